//! Scheduled jobs. Each is a plain idempotent function of the clock and the database, working in
//! bounded batches; every state change is a compare-and-swap, so two servers running the same job
//! at once change each booking once. The scheduler only registers them.

pub mod beamtime;
pub mod bookings;
pub mod digest;
pub mod lease;
pub mod outbox;
pub mod prune;
pub mod reminders;
pub mod vouchers;
pub mod webhooks;

use std::sync::Arc;

use prometheus::{IntCounterVec, Opts, Registry};
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::db::Db;
use crate::domain::availability::Instant;
use crate::error::ServiceError;
use outbox::Sender;

/// How often requests lapse, no-shows are marked and forgotten check-outs completed.
pub const BOOKING_JOBS: &str = "*/20 * * * * *";
/// How often due reminders are queued.
pub const REMINDERS: &str = "0 * * * * *";
/// How often vouchers past their expiry are expired and holders of expiring ones warned.
pub const VOUCHER_JOBS: &str = "30 */5 * * * *";
/// How often the outbox is delivered (writes wake it in between).
pub const OUTBOX: &str = "*/5 * * * * *";
/// When operators get their digest of pending requests: 00:00 UTC is 08:00 in Shanghai.
pub const DIGEST: &str = "0 0 0 * * *";
/// How often old idempotency keys and spent sign-in limits are dropped.
pub const PRUNE: &str = "0 40 * * * *";

/// When each job runs; an empty schedule disables that job on this server.
#[derive(Debug, Clone)]
pub struct Schedules {
    pub bookings: String,
    pub reminders: String,
    pub vouchers: String,
    pub outbox: String,
    pub digest: String,
    pub prune: String,
}

/// Wakes the mail and webhook dispatchers after a write that may have queued for them.
#[derive(Debug, Clone, Default)]
pub struct Wake {
    mail: Arc<Notify>,
    webhooks: Arc<Notify>,
}

impl Wake {
    pub fn notify(&self) {
        self.mail.notify_one();
        self.webhooks.notify_one();
    }
}

/// What the dispatchers deliver with, and what wakes them.
pub struct Deliver {
    pub mail: Sender,
    pub webhooks: webhooks::Deliverer,
    pub wake: Wake,
}

/// A job's work: a function of the database and the clock, returning how much it did.
type Work = fn(&Db, Instant) -> Result<usize, ServiceError>;

fn booking_work(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    let done = bookings::run(db, now)?;
    // Keeps SQLite's planner statistics current as the tables grow.
    db.optimize().map_err(ServiceError::internal)?;
    Ok(done.resources_with_lapsed_requests + done.no_shows + done.completed)
}

fn reminder_work(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    Ok(reminders::run(db, now)? + beamtime::run(db, now)?)
}

fn voucher_work(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    Ok(vouchers::run(db, now)? + vouchers::warn_expiring(db, now)?)
}

/// Runs and failures of each job, for `/metrics`.
#[derive(Clone)]
pub struct JobMetrics {
    runs: IntCounterVec,
    failures: IntCounterVec,
}

impl JobMetrics {
    pub fn new(registry: &Registry) -> Result<JobMetrics, prometheus::Error> {
        let runs = IntCounterVec::new(
            Opts::new("job_runs_total", "Runs of each background job"),
            &["job"],
        )?;
        let failures = IntCounterVec::new(
            Opts::new(
                "job_failures_total",
                "Runs of each background job that failed",
            ),
            &["job"],
        )?;
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(failures.clone()))?;
        Ok(JobMetrics { runs, failures })
    }

    fn count(&self, job: &str, ok: bool) {
        self.runs.with_label_values(&[job]).inc();
        if !ok {
            self.failures.with_label_values(&[job]).inc();
        }
    }
}

/// Starts the scheduler with the jobs that have a schedule; it runs until the process ends.
pub async fn start(
    db: Db,
    schedules: &Schedules,
    deliver: Deliver,
    metrics: JobMetrics,
) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let jobs: [(&str, &'static str, Work); 5] = [
        (&schedules.bookings, "booking jobs", booking_work),
        (&schedules.reminders, "reminders", reminder_work),
        (&schedules.vouchers, "voucher jobs", voucher_work),
        (&schedules.digest, "operator digest", digest::run),
        (&schedules.prune, "prune", prune::run),
    ];
    for (cron, name, work) in jobs {
        if !cron.trim().is_empty() {
            scheduler
                .add(blocking_job(
                    db.clone(),
                    cron.trim(),
                    (name, work),
                    metrics.clone(),
                )?)
                .await?;
        }
    }
    if let Some(cron) = Some(schedules.outbox.trim()).filter(|c| !c.is_empty()) {
        // The schedule only wakes the dispatchers; writes wake them too. One run at a time each.
        let tick = deliver.wake.clone();
        scheduler
            .add(Job::new_async(cron, move |_, _| {
                let tick = tick.clone();
                Box::pin(async move { tick.notify() })
            })?)
            .await?;
        let Deliver {
            mail,
            webhooks,
            wake,
        } = deliver;
        let mail_run = move |db: Db| {
            let mail = mail.clone();
            async move { outbox::run(&db, &mail, chrono::Utc::now()).await }
        };
        let hook_run = move |db: Db| {
            let hooks = webhooks.clone();
            async move { webhooks::run(&db, &hooks, chrono::Utc::now()).await }
        };
        let mail_loop = dispatcher(db.clone(), ("outbox", wake.mail), mail_run, metrics.clone());
        tokio::task::spawn_local(mail_loop);
        tokio::task::spawn_local(dispatcher(
            db,
            ("webhooks", wake.webhooks),
            hook_run,
            metrics,
        ));
    }
    scheduler.start().await?;
    Ok(scheduler)
}

/// Runs `work` at each tick of `cron`, off the scheduler's thread (diesel blocks), and logs it.
fn blocking_job(
    db: Db,
    cron: &str,
    (name, work): (&'static str, Work),
    metrics: JobMetrics,
) -> Result<Job, JobSchedulerError> {
    Job::new_async(cron, move |_, _| {
        let (db, metrics) = (db.clone(), metrics.clone());
        Box::pin(async move {
            let now = chrono::Utc::now();
            let outcome = tokio::task::spawn_blocking(move || work(&db, now)).await;
            metrics.count(name, matches!(outcome, Ok(Ok(_))));
            match outcome {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(job = name, changed = n, "job"),
                Ok(Err(e)) => tracing::error!(job = name, error = %e, "job failed"),
                Err(e) => tracing::error!(job = name, error = %e, "job panicked"),
            }
        })
    })
}

/// Runs a dispatcher each time it is woken, until the process ends.
async fn dispatcher<R, F>(
    db: Db,
    (name, wake): (&'static str, Arc<Notify>),
    run: R,
    metrics: JobMetrics,
) where
    R: Fn(Db) -> F,
    F: std::future::Future<Output = Result<outbox::Delivered, ServiceError>>,
{
    loop {
        wake.notified().await;
        // Runs until a run finds nothing due, so a burst larger than a batch drains at once.
        loop {
            let outcome = run(db.clone()).await;
            metrics.count(name, outcome.is_ok());
            match outcome {
                Ok(d) if d == outbox::Delivered::default() => break,
                Ok(d) => tracing::debug!(job = name, ?d, "delivered"),
                Err(e) => {
                    tracing::error!(job = name, error = %e, "delivery failed");
                    break;
                }
            }
        }
    }
}
