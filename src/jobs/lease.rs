//! What the mail and webhook dispatchers share: a claim kept alive while its work is on its way,
//! and outcomes written persistently across a short storage fault.

use std::convert::Infallible;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};

use crate::db::{Db, DbConnection, Faulty, truncate};
use crate::domain::availability::Instant;
use crate::error::ServiceError;

/// How often the outcomes of a claim are written before they are given up: across a database
/// restart of a few seconds, rather than leave finished work to be done again.
const RECORD_TRIES: u64 = 6;

/// Extends a claim every third of its lease, by `renew` with the new end, for as long as it is
/// awaited: a slow recipient never lets a second dispatcher take work this one still holds.
pub async fn keep<R>(db: &Db, lease_seconds: i64, now: Instant, renew: R) -> Infallible
where
    R: Fn(&mut DbConnection, NaiveDateTime) -> diesel::QueryResult<usize> + Clone + Send + 'static,
{
    let started = std::time::Instant::now();
    let every = StdDuration::from_millis(u64::try_from(lease_seconds * 1000 / 3).unwrap_or(1000));
    loop {
        tokio::time::sleep(every).await;
        let elapsed = Duration::from_std(started.elapsed()).unwrap_or_default();
        let until = truncate((now + elapsed + Duration::seconds(lease_seconds)).naive_utc());
        let renew = renew.clone();
        let write = move |conn: &mut DbConnection| renew(conn, until).map_err(ServiceError::from);
        if let Err(e) = db.write(write).await {
            tracing::warn!(error = %e, "a claim could not be renewed");
        }
    }
}

/// Runs a write that is idempotent under its claim, again on a fresh connection after a storage
/// fault, for a few seconds.
pub async fn persist<W>(db: &Db, write: W) -> Result<(), ServiceError>
where
    W: FnOnce(&mut DbConnection) -> Result<(), ServiceError> + Clone + Send + 'static,
{
    let mut tries = 1;
    loop {
        match db.write(write.clone()).await {
            Err(e) if e.fault().is_some() && tries < RECORD_TRIES => {
                tokio::time::sleep(StdDuration::from_millis(250 * tries)).await;
                tries += 1;
            }
            done => return done,
        }
    }
}
