//! Delivery by real server processes (the built binary): one killed with SIGKILL in the middle of
//! dispatching and started again loses nothing and repeats at most what was in flight; two
//! processes on one database deliver every message exactly once.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, DurationRound, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;
use crate::smtp::SmtpSink;
use instrument_booking::db::schema::outbox as o;
use instrument_booking::error::ServiceError;
use instrument_booking::jobs::outbox::IN_FLIGHT;

/// Starts `instrument-booking serve` on the test's database, delivering to `sink` every second.
fn server(app: &TestApp, sink: &SmtpSink, data: &std::path::Path) -> Child {
    server_on(app, sink, data, free_port())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn server_on(app: &TestApp, sink: &SmtpSink, data: &std::path::Path, port: u16) -> Child {
    server_with(&app.url, &sink.url(), data, port, &[])
}

/// Starts `instrument-booking serve` on `url`, mailing to `smtp`, with `extra` settings on top
/// of the tests' (delivery every second, a three-second lease, no other jobs).
pub fn server_with(
    url: &str,
    smtp: &str,
    data: &std::path::Path,
    port: u16,
    extra: &[(&str, &str)],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_instrument-booking"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("DATA_DIR", data)
        .env("JWT_SECRET", SECRET)
        .env("SMTP_URL", smtp)
        .env("OUTBOX_CRON", "* * * * * *")
        .env("MAIL_LEASE_SECONDS", "3")
        .env("BOOKING_JOBS_CRON", "")
        .env("REMINDERS_CRON", "")
        .env("VOUCHER_JOBS_CRON", "")
        .env("DIGEST_CRON", "")
        .env("RUST_LOG", "error")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary")
}

/// Queues `n` confirmations: bookings on a fresh round-the-clock partition, through the API.
pub async fn queue_confirmations(app: &TestApp, n: i64) -> Vec<i64> {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "computing", "name_en": "Fudan mail test nodes", "name_zh": "复旦邮件测试节点",
        "category": "computing", "original_value_cny": 1000000, "jurisdiction_code": "310100", "capacity": 1000,
        "unit": "node", "approval_policy": "auto", "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"granularity_min": 60, "lead_time_min": 0}});
    let nodes = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let start = Utc::now().duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(2);
    for i in 0..n {
        let s = start + Duration::hours(i % 48);
        let made = app
            .post(
                "/api/v1/bookings",
                &t,
                json!({"resource_id": nodes, "start": s.to_rfc3339(),
                "end": (s + Duration::hours(1)).to_rfc3339(), "purpose": format!("run {i}")}),
            )
            .await;
        assert_eq!(made.status.as_u16(), 201, "{:?}", made.body);
    }
    app.db
        .read_blocking(|c| {
            o::table
                .filter(o::status.eq("pending"))
                .select(o::id)
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

/// How many times each Message-ID arrived.
pub fn arrivals(sink: &SmtpSink) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in sink.received() {
        let id = m
            .lines()
            .find(|l| l.starts_with("Message-ID:"))
            .unwrap_or("")
            .to_owned();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

pub fn wait_until(limit: StdDuration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(StdDuration::from_millis(50));
    }
    done()
}

async fn a_killed_dispatcher_loses_nothing(app: TestApp) {
    let sink = SmtpSink::start();
    let queued = queue_confirmations(&app, 240).await;
    let data = tempfile::tempdir().unwrap();
    let mut first = server(&app, &sink, data.path());
    assert!(
        wait_until(StdDuration::from_secs(60), || sink.received().len() >= 40),
        "delivery started"
    );
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    let at_kill = sink.received().len();
    assert!(
        at_kill < queued.len(),
        "killed in the middle ({at_kill} of {})",
        queued.len()
    );
    let mut second = server(&app, &sink, data.path());
    let all = wait_until(StdDuration::from_secs(90), || {
        arrivals(&sink).len() >= queued.len()
    });
    second.kill().ok();
    second.wait().ok();
    let seen = arrivals(&sink);
    assert!(all, "only {} of {} arrived", seen.len(), queued.len());
    for id in &queued {
        assert!(
            seen.contains_key(&app.message_id(*id, "instrument-booking.invalid")),
            "message {id} lost"
        );
    }
    let repeated: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        repeated <= IN_FLIGHT,
        "{repeated} duplicates: more than the {IN_FLIGHT} in flight"
    );
}

async fn two_server_processes_deliver_each_message_once(app: TestApp) {
    let sink = SmtpSink::start();
    let queued = queue_confirmations(&app, 200).await;
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = server(&app, &sink, d1.path());
    let mut b = server(&app, &sink, d2.path());
    let all = wait_until(StdDuration::from_secs(90), || {
        sink.received().len() >= queued.len()
    });
    // A little longer, for any second delivery to show.
    std::thread::sleep(StdDuration::from_secs(2));
    for p in [&mut a, &mut b] {
        p.kill().ok();
        p.wait().ok();
    }
    let seen = arrivals(&sink);
    assert!(all, "only {} of {} arrived", seen.len(), queued.len());
    assert_eq!(seen.len(), queued.len());
    assert!(seen.values().all(|n| *n == 1), "a message arrived twice");
}

/// The value of the first sample of `metric` (name and labels as written) in a scrape.
pub fn sample(scrape: &str, metric: &str) -> Option<f64> {
    scrape
        .lines()
        .find(|l| l.starts_with(metric) && l[metric.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

pub async fn scrape(base: &str) -> String {
    let mut resp = awc::Client::default()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics answered");
    String::from_utf8(resp.body().await.unwrap().to_vec()).unwrap()
}

/// The metrics once the outbox has nothing waiting and its round is counted, or after ten seconds.
async fn settled_metrics(base: &str) -> String {
    for _ in 0..100 {
        let now = scrape(base).await;
        if sample(&now, "outbox_messages{status=\"waiting\"}") == Some(0.0)
            && sample(&now, "job_runs_total{job=\"outbox\"}").is_some()
        {
            return now;
        }
        actix_web::rt::time::sleep(StdDuration::from_millis(100)).await;
    }
    scrape(base).await
}

async fn metrics_show_the_backlog_the_pool_the_process_and_the_jobs(app: TestApp) {
    let queued = queue_confirmations(&app, 3).await;
    let before = scrape(&app.base).await;
    assert_eq!(
        sample(&before, "outbox_messages{status=\"waiting\"}"),
        Some(queued.len() as f64),
        "{before}"
    );
    assert_eq!(
        sample(&before, "outbox_messages{status=\"failed\"}"),
        Some(0.0)
    );
    assert!(
        sample(&before, "outbox_oldest_waiting_seconds").is_some(),
        "{before}"
    );
    assert_eq!(
        sample(&before, "db_pool_connections{state=\"max\"}"),
        Some(8.0),
        "{before}"
    );
    assert!(
        sample(&before, "process_resident_memory_bytes").is_some_and(|b| b > 0.0),
        "{before}"
    );
    let sink = SmtpSink::start();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = server_on(&app, &sink, data.path(), port);
    let delivered = wait_until(StdDuration::from_secs(60), || {
        sink.received().len() >= queued.len()
    });
    // A message reaches the relay just before its dispatcher records it as sent.
    let after = settled_metrics(&format!("http://127.0.0.1:{port}")).await;
    server.kill().ok();
    server.wait().ok();
    assert!(delivered, "delivered");
    assert!(
        sample(&after, "job_runs_total{job=\"outbox\"}").is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert_eq!(
        sample(&after, "outbox_messages{status=\"waiting\"}"),
        Some(0.0),
        "{after}"
    );
}

on_both_backends!(
    metrics_show_the_backlog_the_pool_the_process_and_the_jobs,
    a_killed_dispatcher_loses_nothing,
    two_server_processes_deliver_each_message_once
);

/// `--help` never prints a secret held in the environment, and names the values a choice takes.
#[test]
fn help_hides_secrets_and_lists_choices() {
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_instrument-booking"))
            .args(args)
            .env(
                "DATABASE_URL",
                "postgres://booking:db-s3cret@db.example/booking",
            )
            .env("SMTP_URL", "smtps://mailer:smtp-s3cret@mail.example")
            .env("JWT_SECRET", "jwt-s3cret-0123456789abcdef-0123456789")
            .env("NEW_USER_PASSWORD", "user-s3cret")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["create-user", "--help"],
    ] {
        let text = help(args);
        assert!(text.contains("DATABASE_URL"), "{args:?}: {text}");
        assert!(!text.contains("s3cret"), "{args:?} shows a secret: {text}");
    }
    let create = help(&["create-user", "--help"]);
    assert!(
        create.contains("[possible values: admin, manager, operator, booker, issuer]"),
        "{create}"
    );
    assert!(create.contains("[possible values: zh-CN, en]"), "{create}");
}
