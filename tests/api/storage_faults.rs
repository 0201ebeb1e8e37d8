//! Faults of the database and the disk, met by real server processes: a PostgreSQL restart in
//! the middle of bookings, a SQLite folder that turns read-only and back, and a full disk under
//! the mail folder. The folder faults are made as the operating system makes them (a read-only
//! bind mount, a small tmpfs), which takes root, as the test command runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration as StdDuration;

use actix_web::http::Method;

use crate::faults::attempted;
use crate::harness::*;
use crate::processes::{arrivals, free_port, queue_confirmations, server_with, wait_until};
use crate::server::{Mount, Server, sh, text};
use crate::smtp::SmtpSink;

/// A 503 for a storage fault names it and says when to retry.
fn unavailable(resp: &Response, code: &str) {
    assert_eq!(resp.status.as_u16(), 503, "{:?}", resp.body);
    assert_eq!(resp.code(), code, "{:?}", resp.body);
    assert!(resp.header("retry-after").is_some(), "Retry-After on a 503");
}

/// Started on a folder that has turned read-only, the server is not ready and refuses writes
/// with `database_read_only` while it still answers reads; once the folder is writable again it
/// is ready and takes bookings, without a restart.
#[actix_web::test]
async fn a_read_only_sqlite_folder_is_not_ready_and_recovers_without_a_restart() {
    let root = tempfile::tempdir().unwrap();
    let (src, mnt) = (root.path().join("src"), root.path().join("data"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    sh(&["mount", "--bind", text(&src), text(&mnt)]);
    let _mount = Mount(mnt.clone());
    let env = [("DATA_DIR", text(&mnt)), ("SMTP_URL", "memory:")];
    let (booker, nodes, booked) = {
        let mut first = Server::start(&env);
        let (booker, manager) = (first.login(BOOKER).await, first.login(MANAGER).await);
        let nodes = first.nodes(&manager).await;
        let made = first.book(&booker, nodes, 0).await;
        assert_eq!(made.status.as_u16(), 201, "{:?}", made.body);
        // Killed, so the database's write-ahead log and shared memory stay behind.
        first.child.kill().unwrap();
        first.child.wait().unwrap();
        (booker, nodes, made.body["id"].as_i64().unwrap())
    };
    sh(&["mount", "-o", "remount,ro,bind", text(&mnt)]);
    let second = Server::start(&env);
    unavailable(&second.ready().await, "database_read_only");
    let read = second
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{booked}"),
            Some(&booker),
            None,
        )
        .await;
    assert_eq!(
        read.status.as_u16(),
        200,
        "reads still work: {:?}",
        read.body
    );
    unavailable(&second.book(&booker, nodes, 1).await, "database_read_only");

    sh(&["mount", "-o", "remount,rw,bind", text(&mnt)]);
    let mut ready = false;
    for _ in 0..50 {
        if second.ready().await.status.as_u16() == 200 {
            ready = true;
            break;
        }
        actix_web::rt::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(ready, "ready again once the folder is writable");
    let made = second.book(&booker, nodes, 2).await;
    assert_eq!(made.status.as_u16(), 201, "{:?}", made.body);
}

/// The `.eml` files in `dir`, and whether anything else (a partial file) is there but `keep`.
fn mail_files(dir: &Path, keep: &str) -> (Vec<PathBuf>, Vec<String>) {
    let (mut mail, mut other) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".eml") {
            mail.push(path);
        } else if name != keep {
            other.push(name);
        }
    }
    (mail, other)
}

/// Fills the file system under `dir` with one file, until it is full.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).and_then(|_| file.flush()).is_ok() {}
    path
}

/// Mail written to a folder on a full disk fails and is retried; no reader of the folder ever
/// sees an empty or partial message, and every message arrives whole once there is room.
#[actix_web::test]
async fn a_full_disk_leaves_no_broken_mail_file() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let queued = queue_confirmations(&app, 20).await;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("mail");
    std::fs::create_dir_all(&folder).unwrap();
    sh(&[
        "mount",
        "-t",
        "tmpfs",
        "-o",
        "size=1m",
        "tmpfs",
        text(&folder),
    ]);
    let _mount = Mount(folder.clone());
    let filler = fill(&folder);
    let data = tempfile::tempdir().unwrap();
    let smtp = format!("file://{}", folder.display());
    let _server = crate::faults::Servers(vec![server_with(
        &app.url,
        &smtp,
        data.path(),
        free_port(),
        &[("MAIL_BACKOFF_SECONDS", "1")],
    )]);
    let tried = wait_until(StdDuration::from_secs(30), || attempted(&app) >= 20);
    assert!(tried, "only {} of 20 were attempted", attempted(&app));
    assert_eq!(
        mail_files(&folder, "filler"),
        (vec![], vec![]),
        "nothing written"
    );

    std::fs::remove_file(filler).unwrap();
    let all = wait_until(StdDuration::from_secs(60), || {
        mail_files(&folder, "").0.len() >= queued.len()
    });
    let (mail, other) = mail_files(&folder, "");
    assert!(all, "only {} of {} were written", mail.len(), queued.len());
    assert!(other.is_empty(), "partial files left: {other:?}");
    for m in &mail {
        let text = std::fs::read_to_string(m).unwrap();
        assert!(
            text.contains("Message-ID:") && text.contains("END:VCALENDAR"),
            "{m:?} is whole"
        );
    }
}

/// A private PostgreSQL for a test that restarts it; stopped and removed when the test ends.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    url: String,
}

impl PrivatePostgres {
    fn start() -> PrivatePostgres {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // The cluster belongs to the postgres user when the tests run as root.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-start");
        let out = Command::new(script)
            .arg(dir.path().join("pg"))
            .arg(free_port().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        PrivatePostgres { dir, url }
    }

    /// `pg_ctl restart -m fast`: every session is ended, and the server is back a moment later.
    fn restart(&self) -> Command {
        self.pg_ctl(&["restart", "-m", "fast", "-w"])
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let bindir = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .max()
            .unwrap();
        let data = self.dir.path().join("pg/data");
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"])
            .arg(bindir.join("pg_ctl"));
        cmd.arg("-D").arg(data).args(args);
        cmd.stdout(Stdio::null());
        cmd
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-stop");
        let _ = Command::new(script)
            .arg(self.dir.path().join("pg"))
            .status();
    }
}

/// Books in a loop for `seconds`; each answer's status and code.
async fn keep_booking(
    server: &Server,
    booker: &str,
    nodes: i64,
    from: i64,
    seconds: u64,
) -> Vec<(u16, String, bool)> {
    let until = std::time::Instant::now() + StdDuration::from_secs(seconds);
    let mut answers = Vec::new();
    let mut i = from;
    while std::time::Instant::now() < until {
        let resp = server.book(booker, nodes, i).await;
        let retry = resp.header("retry-after").is_some();
        answers.push((resp.status.as_u16(), resp.code().to_owned(), retry));
        i += 4;
    }
    answers
}

/// Bookings while PostgreSQL restarts: every answer is a 201 or a 503 `database_unavailable`
/// with Retry-After, and every confirmation is delivered once.
#[actix_web::test]
async fn a_postgres_restart_is_answered_503_and_sends_no_mail_twice() {
    let pg = PrivatePostgres::start();
    let sink = SmtpSink::start();
    let server = Server::start(&[("DATABASE_URL", pg.url.as_str()), ("SMTP_URL", &sink.url())]);
    let (booker, manager) = (server.login(BOOKER).await, server.login(MANAGER).await);
    let nodes = server.nodes(&manager).await;
    let load =
        futures_util::future::join_all((0..4).map(|k| keep_booking(&server, &booker, nodes, k, 6)));
    let mut restart = pg.restart();
    let restarted = async move {
        actix_web::rt::time::sleep(StdDuration::from_secs(2)).await;
        actix_web::rt::task::spawn_blocking(move || restart.output()).await
    };
    let (answers, restarted) = futures_util::future::join(load, restarted).await;
    let out = restarted.unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<_> = answers.into_iter().flatten().collect();
    let created = answers.iter().filter(|a| a.0 == 201).count();
    let wrong: Vec<_> = answers
        .iter()
        .filter(|(status, code, retry)| {
            *status != 201 && !(*status == 503 && code == "database_unavailable" && *retry)
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "answers other than 201 or a 503 to retry: {wrong:?}"
    );
    assert!(created > 0, "bookings went through");
    let retried = answers.len() - created;
    eprintln!("{created} bookings made, {retried} answered 503 across the restart");

    let db = instrument_booking::db::Db::open(&pg.url, 2).unwrap();
    let queued = db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use instrument_booking::db::schema::outbox as o;
            o::table
                .count()
                .get_result::<i64>(c)
                .map_err(instrument_booking::error::ServiceError::from)
        })
        .unwrap() as usize;
    assert!(queued >= created, "a confirmation for every booking");
    let all = wait_until(StdDuration::from_secs(60), || {
        sink.received().len() >= queued
    });
    std::thread::sleep(StdDuration::from_secs(2));
    let seen = arrivals(&sink);
    assert!(all, "only {} of {queued} arrived", seen.len());
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "arrived more than once: {twice:?}");

    // With the database gone, readiness says so within about a second, as health checks need.
    let stopped = pg.pg_ctl(&["stop", "-m", "fast", "-w"]).output().unwrap();
    assert!(stopped.status.success());
    let asked = std::time::Instant::now();
    let ready = server.ready().await;
    let took = asked.elapsed();
    unavailable(&ready, "database_unavailable");
    assert!(
        took < StdDuration::from_millis(1500),
        "readiness took {took:?}"
    );
}
