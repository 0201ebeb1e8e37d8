//! Faults of what the service depends on, met by real server processes: a relay that answers
//! slowly or not at all. (The database's faults are in `storage_faults`.)

use std::time::Duration as StdDuration;

use diesel::prelude::*;

use crate::harness::*;
use crate::on_both_backends;
use crate::processes::{
    arrivals, free_port, queue_confirmations, sample, scrape, server_with, wait_until,
};
use crate::smtp::{Mode, SmtpSink};
use instrument_booking::db::schema::outbox as o;
use instrument_booking::error::ServiceError;

/// Kills the server processes of a test when it ends, however it ends.
pub struct Servers(pub Vec<std::process::Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for p in &mut self.0 {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// Every queued message went out exactly once.
fn each_once(sink: &SmtpSink, queued: usize) {
    let seen = arrivals(sink);
    assert_eq!(seen.len(), queued, "messages that arrived");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "arrived more than once: {twice:?}");
}

/// Two servers and a relay that takes longer per message than a claim lasts: each dispatcher
/// holds only what it is sending and renews its claim, so the other never takes it over.
async fn a_slow_relay_and_two_servers_send_each_message_once(app: TestApp) {
    let sink = SmtpSink::with(Mode::Slow(1.5));
    let queued = queue_confirmations(&app, 40).await;
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lease = [("MAIL_LEASE_SECONDS", "1")];
    let _servers = Servers(vec![
        server_with(&app.url, &sink.url(), d1.path(), free_port(), &lease),
        server_with(&app.url, &sink.url(), d2.path(), free_port(), &lease),
    ]);
    let all = wait_until(StdDuration::from_secs(90), || {
        sink.received().len() >= queued.len()
    });
    assert!(
        all,
        "only {} of {} arrived",
        sink.received().len(),
        queued.len()
    );
    // Longer than a lease, for any second delivery to show.
    std::thread::sleep(StdDuration::from_secs(3));
    each_once(&sink, queued.len());
}

/// Messages still to go that have been tried at least once.
pub fn attempted(app: &TestApp) -> i64 {
    app.db
        .read_blocking(|c| {
            o::table
                .filter(o::status.ne("sent"))
                .filter(o::attempts.ge(1))
                .count()
                .get_result(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

/// A relay that takes connections and never answers fails each attempt after the timeout; every
/// message is tried, the stall shows, and all go out once when the relay answers again.
async fn a_silent_relay_does_not_stop_the_outbox(app: TestApp) {
    let mut sink = SmtpSink::with(Mode::Silent);
    let queued = queue_confirmations(&app, 20).await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let settings = [("SMTP_TIMEOUT_SECONDS", "1"), ("MAIL_BACKOFF_SECONDS", "1")];
    let _server = Servers(vec![server_with(
        &app.url,
        &sink.url(),
        data.path(),
        port,
        &settings,
    )]);
    let tried = wait_until(StdDuration::from_secs(30), || attempted(&app) >= 20);
    assert!(tried, "only {} of 20 were attempted", attempted(&app));
    let admin = app.login(ADMIN).await;
    let waiting = app
        .list_all("/api/v1/admin/messages?status=pending", &admin)
        .await;
    assert!(
        waiting.iter().any(|m| m["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("did not finish"))),
        "{waiting:?}"
    );
    std::thread::sleep(StdDuration::from_secs(2));
    let stalled = app.get("/api/v1/admin/outbox", &admin).await;
    assert_eq!(stalled.body["waiting"], 20, "{:?}", stalled.body);
    assert!(
        stalled.body["oldest_waiting_seconds"].as_i64() >= Some(2),
        "{:?}",
        stalled.body
    );
    let metrics = scrape(&format!("http://127.0.0.1:{port}")).await;
    assert!(
        sample(&metrics, "outbox_oldest_waiting_seconds").is_some_and(|s| s >= 2.0),
        "{metrics}"
    );

    sink.stop();
    sink.mode = Mode::Prompt;
    sink.resume();
    let all = wait_until(StdDuration::from_secs(60), || {
        sink.received().len() >= queued.len()
    });
    assert!(
        all,
        "only {} of {} arrived",
        sink.received().len(),
        queued.len()
    );
    std::thread::sleep(StdDuration::from_secs(1));
    each_once(&sink, queued.len());
}

on_both_backends!(
    a_slow_relay_and_two_servers_send_each_message_once,
    a_silent_relay_does_not_stop_the_outbox
);
