//! Group commit on SQLite. The writes of requests run on one writer thread: it takes the first
//! that waits and every other already waiting, and runs them in one transaction, each in a
//! savepoint of its own. A write that fails rolls back to its savepoint and touches no other; each
//! is answered once the transaction is committed, so none is acknowledged before it is durable.
//! One thread and one commit for many writes replaces a queue of threads handing a lock on.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error};

use super::{Db, DbConnection, Faulty};

/// The most writes one transaction takes: enough to amortise its commit, few enough that a
/// failing commit answers a bounded number of requests with an error.
const MOST_PER_COMMIT: usize = 64;

/// A write waiting for the writer: it runs on the writer's connection (or is told why there is
/// none) and says how it went.
pub(super) type Job = Box<dyn FnOnce(Result<&mut DbConnection, String>) -> Ran + Send>;

/// How a job went, and how to answer it once the transaction's fate is known.
pub(super) struct Ran {
    ok: bool,
    fault: bool,
    answer: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// The job for `f`, whose answer goes to `reply` once its transaction is committed or failed.
pub(super) fn job<T, E, F, R>(f: F, reply: R) -> Job
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Faulty + Send + 'static,
    R: FnOnce(Result<T, E>) + Send + 'static,
{
    Box::new(move |conn| {
        let outcome = match conn {
            Ok(conn) => f(conn),
            Err(why) => Err(E::from(failure(why))),
        };
        Ran {
            ok: outcome.is_ok(),
            fault: outcome.as_ref().err().and_then(Faulty::fault).is_some(),
            answer: Box::new(move |committed| {
                let answer = match committed {
                    Ok(()) => outcome,
                    Err(why) => outcome.and(Err(E::from(failure(why)))),
                };
                reply(answer);
            }),
        }
    })
}

/// A failure of the transaction as a database error, keeping the database's own message, by
/// which a storage fault is recognised.
pub(super) fn failure(message: String) -> Error {
    Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message))
}

/// The writer thread: runs what waits, a transaction at a time, until every handle is gone.
pub(super) fn writer(db: Db, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MOST_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        db.commit_together(batch);
    }
}

impl Db {
    /// Runs `batch` in one transaction under the writer lock, each job in its own savepoint.
    fn commit_together(&self, batch: Vec<Job>) {
        let mut conn = match self.checkout(super::POOL_WAIT) {
            Ok(conn) => conn,
            Err(e) => return refuse(batch, e.to_string()),
        };
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let c: &mut DbConnection = &mut conn;
        if let Err(e) = begin(c) {
            self.discard_all(c);
            return refuse(batch, e.to_string());
        }
        let mut answers = Vec::with_capacity(batch.len());
        let mut fault = false;
        let mut broken: Option<String> = None;
        for job in batch {
            if let Some(why) = &broken {
                answers.push(job(Err(why.clone())).answer);
                continue;
            }
            if let Err(e) = open(c) {
                broken = Some(e.to_string());
                answers.push(job(Err(e.to_string())).answer);
                continue;
            }
            match panic::catch_unwind(AssertUnwindSafe(|| job(Ok(&mut *c)))) {
                Ok(ran) => {
                    let ended = match ran.ok {
                        true => close(c),
                        false => undo(c),
                    };
                    fault |= ran.fault;
                    broken = broken.or(ended.err().map(|e| e.to_string()));
                    answers.push(ran.answer);
                }
                // The job's answer went with it: its caller learns of the failure.
                Err(_) => {
                    if let Err(e) = undo(c) {
                        broken = Some(e.to_string());
                    }
                }
            }
        }
        let committed = match broken {
            None => close(c).map_err(|e| e.to_string()),
            Some(why) => Err(why),
        };
        if committed.is_err() {
            let _ = undo(c);
        }
        if fault || committed.is_err() {
            self.discard_all(c);
        }
        for answer in answers {
            answer(committed.clone());
        }
    }
}

fn begin(c: &mut DbConnection) -> Result<(), Error> {
    match c {
        DbConnection::Sqlite(s) => {
            AnsiTransactionManager::begin_transaction_sql(s, "BEGIN IMMEDIATE")
        }
        DbConnection::Postgresql(p) => AnsiTransactionManager::begin_transaction(p),
    }
}

/// Opens a savepoint inside the transaction (or a transaction outside one).
fn open(c: &mut DbConnection) -> Result<(), Error> {
    match c {
        DbConnection::Sqlite(s) => AnsiTransactionManager::begin_transaction(s),
        DbConnection::Postgresql(p) => AnsiTransactionManager::begin_transaction(p),
    }
}

/// Releases the innermost savepoint, or commits the transaction.
fn close(c: &mut DbConnection) -> Result<(), Error> {
    match c {
        DbConnection::Sqlite(s) => AnsiTransactionManager::commit_transaction(s),
        DbConnection::Postgresql(p) => AnsiTransactionManager::commit_transaction(p),
    }
}

/// Rolls back to the innermost savepoint, or the whole transaction.
fn undo(c: &mut DbConnection) -> Result<(), Error> {
    match c {
        DbConnection::Sqlite(s) => AnsiTransactionManager::rollback_transaction(s),
        DbConnection::Postgresql(p) => AnsiTransactionManager::rollback_transaction(p),
    }
}

/// Answers every job of a batch that could not run with why.
fn refuse(batch: Vec<Job>, why: String) {
    for job in batch {
        (job(Err(why.clone())).answer)(Err(why.clone()));
    }
}
