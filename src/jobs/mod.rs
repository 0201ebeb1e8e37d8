//! Scheduled jobs. Each is a plain idempotent function of the clock and the database, working in
//! bounded batches; every state change is a compare-and-swap, so two servers running the same job
//! at once change each booking once. The scheduler only registers them.

pub mod bookings;
pub mod digest;
pub mod outbox;
pub mod reminders;
pub mod vouchers;

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::db::Db;
use outbox::Sender;

/// How often the booking jobs run, as a cron expression with seconds.
pub const BOOKING_JOBS: &str = "*/20 * * * * *";
/// How often the outbox is delivered.
pub const OUTBOX: &str = "*/5 * * * * *";
/// When operators get their digest of pending requests: 00:00 UTC is 08:00 in Shanghai.
pub const DIGEST: &str = "0 0 0 * * *";

/// When each job runs; an empty schedule disables that job on this server.
#[derive(Debug, Clone)]
pub struct Schedules {
    pub bookings: String,
    pub outbox: String,
    pub digest: String,
}

/// Starts the scheduler with the jobs that have a schedule; it runs until the process ends.
pub async fn start(
    db: Db,
    schedules: &Schedules,
    sender: Sender,
    wake: Arc<Notify>,
) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    if let Some(cron) = Some(schedules.bookings.trim()).filter(|c| !c.is_empty()) {
        scheduler.add(booking_job(db.clone(), cron)?).await?;
    }
    if let Some(cron) = Some(schedules.digest.trim()).filter(|c| !c.is_empty()) {
        scheduler.add(digest_job(db.clone(), cron)?).await?;
    }
    if let Some(cron) = Some(schedules.outbox.trim()).filter(|c| !c.is_empty()) {
        // The schedule only wakes the dispatcher; writes wake it too. One run at a time.
        let tick = wake.clone();
        scheduler
            .add(Job::new_async(cron, move |_, _| {
                let tick = tick.clone();
                Box::pin(async move { tick.notify_one() })
            })?)
            .await?;
        actix_web::rt::spawn(dispatcher(db, sender, wake));
    }
    scheduler.start().await?;
    Ok(scheduler)
}

fn booking_job(db: Db, cron: &str) -> Result<Job, JobSchedulerError> {
    Job::new_async(cron, move |_, _| {
        let db = db.clone();
        Box::pin(async move {
            // Diesel blocks: keep it off the scheduler's thread.
            let outcome = tokio::task::spawn_blocking(move || {
                let now = chrono::Utc::now();
                let done = bookings::run(&db, now)?;
                let expired = vouchers::run(&db, now)?;
                let reminded = reminders::run(&db, now)? + vouchers::warn_expiring(&db, now)?;
                db.optimize()
                    .map_err(crate::http::error::ApiError::internal)?;
                Ok::<_, crate::http::error::ApiError>((done, expired, reminded))
            })
            .await;
            match outcome {
                Ok(Ok((done, expired, reminded))) if done.any() || expired + reminded > 0 => {
                    tracing::info!(?done, expired_vouchers = expired, reminded, "booking jobs")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "booking jobs failed"),
                Err(e) => tracing::error!(error = %e, "booking jobs panicked"),
            }
        })
    })
}

/// Delivers the outbox each time it is woken, until the process ends.
async fn dispatcher(db: Db, sender: Sender, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        // Runs until a run finds nothing due, so a burst larger than a batch drains at once.
        loop {
            match outbox::run(&db, &sender, chrono::Utc::now()).await {
                Ok(d) if d == outbox::Delivered::default() => break,
                Ok(d) => tracing::debug!(?d, "outbox"),
                Err(e) => {
                    tracing::error!(error = %e, "outbox delivery failed");
                    break;
                }
            }
        }
    }
}

fn digest_job(db: Db, cron: &str) -> Result<Job, JobSchedulerError> {
    Job::new_async(cron, move |_, _| {
        let db = db.clone();
        Box::pin(async move {
            let now = chrono::Utc::now();
            match tokio::task::spawn_blocking(move || digest::run(&db, now)).await {
                Ok(Ok(n)) => tracing::info!(digests = n, "operator digest"),
                Ok(Err(e)) => tracing::error!(error = %e, "operator digest failed"),
                Err(e) => tracing::error!(error = %e, "operator digest panicked"),
            }
        })
    })
}
