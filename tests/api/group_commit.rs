//! SQLite's writes are committed together by one writer thread, each in a savepoint of its own:
//! a write that fails or panics leaves nothing behind and costs the others nothing.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use futures_util::future::join_all;

use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::{Backend, DbConnection};
use instrument_booking::error::ServiceError;

#[derive(QueryableByName)]
struct Probe {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn insert(c: &mut DbConnection, n: i64) -> Result<(), ServiceError> {
    diesel::sql_query("INSERT INTO grouped_probe (n) VALUES ($1)")
        .bind::<BigInt, _>(n)
        .execute(c)?;
    Ok(())
}

async fn writes_committed_together_fail_alone(app: TestApp) {
    let queued = app.db.queue_write(|_| Ok::<(), ServiceError>(()));
    if app.db.backend() != Backend::Sqlite {
        assert!(queued.is_err(), "PostgreSQL writers lock rows, not a queue");
        return;
    }
    queued.ok().unwrap().await.unwrap();
    app.db
        .write_blocking(|c| {
            diesel::sql_query("CREATE TABLE grouped_probe (n BIGINT NOT NULL)").execute(c)?;
            Ok::<_, ServiceError>(())
        })
        .unwrap();
    // The first write holds the writer while the others queue behind it and share a commit.
    let first = app.db.queue_write(|c| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        insert(c, 0)
    });
    let rest: Vec<_> = (1..=20)
        .map(|n| {
            app.db.queue_write(move |c| {
                insert(c, n)?;
                match n {
                    7 => panic!("a write that panics after writing"),
                    n if n % 2 == 1 => Err(ServiceError::invalid_field("n", "is odd")),
                    n => Ok(n),
                }
            })
        })
        .map(|q| q.ok().unwrap())
        .collect();
    first.ok().unwrap().await.unwrap();
    let answers = join_all(rest).await;
    for (n, answer) in (1..).zip(&answers) {
        assert_eq!(answer.is_ok(), n % 2 == 0, "write {n}: {answer:?}");
    }
    let kept: Vec<i64> = app
        .db
        .read_blocking(|c| {
            let rows: Vec<Probe> =
                diesel::sql_query("SELECT n FROM grouped_probe ORDER BY n").load(c)?;
            Ok::<_, ServiceError>(rows.into_iter().map(|p| p.n).collect())
        })
        .unwrap();
    assert_eq!(kept, (0..=20).step_by(2).collect::<Vec<_>>());
}

on_both_backends!(writes_committed_together_fail_alone);
