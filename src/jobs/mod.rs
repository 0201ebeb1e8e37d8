//! Scheduled jobs. Each is a plain idempotent function of the clock and the database, working in
//! bounded batches; every state change is a compare-and-swap, so two servers running the same job
//! at once change each booking once. The scheduler only registers them.

pub mod bookings;
pub mod vouchers;

use tokio_cron_scheduler::{Job, JobScheduler};

use crate::db::Db;

/// How often the booking jobs run, as a cron expression with seconds.
pub const BOOKING_JOBS: &str = "*/20 * * * * *";

/// Starts the scheduler with the booking jobs on `cron`; it runs until the process ends.
pub async fn start(
    db: Db,
    cron: &str,
) -> Result<JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let job = Job::new_async(cron, move |_, _| {
        let db = db.clone();
        Box::pin(async move {
            // Diesel blocks: keep it off the scheduler's thread.
            let outcome = tokio::task::spawn_blocking(move || {
                let now = chrono::Utc::now();
                let done = bookings::run(&db, now)?;
                Ok::<_, crate::http::error::ApiError>((done, vouchers::run(&db, now)?))
            })
            .await;
            match outcome {
                Ok(Ok((done, expired))) if done.any() || expired > 0 => {
                    tracing::info!(?done, expired_vouchers = expired, "booking jobs")
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "booking jobs failed"),
                Err(e) => tracing::error!(error = %e, "booking jobs panicked"),
            }
        })
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}
