//! A server process for fault tests, started with `serve --demo` on settings of the test's
//! choosing, and the few calls those tests make to it; and the mounts they make.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use actix_web::http::Method;
use chrono::{Duration, DurationRound, Utc};
use serde_json::{Value, json};

use crate::harness::*;
use crate::processes::{free_port, wait_until};

/// Runs a command that must succeed.
pub fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed (the folder faults need root): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A mount made by a test, undone when it ends.
pub struct Mount(pub PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

pub fn text(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A server process started with `serve --demo` and the given settings.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_instrument-booking"))
            .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("JWT_SECRET", SECRET)
            .env("OUTBOX_CRON", "* * * * * *")
            .env("BOOKING_JOBS_CRON", "")
            .env("REMINDERS_CRON", "")
            .env("VOUCHER_JOBS_CRON", "")
            .env("DIGEST_CRON", "")
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let base = format!("http://127.0.0.1:{port}");
        let up = wait_until(StdDuration::from_secs(60), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "the server did not start");
        Server { child, base }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        call(&self.base, method, path, token, body, &[]).await
    }

    pub async fn login(&self, email: &str) -> String {
        let body = json!({"email": email, "password": PASSWORD});
        let resp = self
            .call(Method::POST, "/api/v1/auth/token", None, Some(body))
            .await;
        assert_eq!(resp.status.as_u16(), 200, "login {email}: {:?}", resp.body);
        resp.body["access_token"].as_str().unwrap().to_owned()
    }

    /// A round-the-clock, auto-approved partition of a thousand nodes.
    pub async fn nodes(&self, manager: &str) -> i64 {
        let body = json!({"kind": "computing", "name_en": "Fudan fault test nodes", "name_zh": "复旦故障测试节点",
            "category": "computing", "original_value_cny": 1000000, "jurisdiction_code": "310100", "capacity": 1000,
            "unit": "node", "approval_policy": "auto", "rates": {"internal": 1, "academic": 2, "enterprise": 3},
            "booking_rules": {"granularity_min": 60, "lead_time_min": 0}});
        let made = self
            .call(Method::POST, "/api/v1/resources", Some(manager), Some(body))
            .await;
        assert_eq!(made.status.as_u16(), 201, "{:?}", made.body);
        made.body["id"].as_i64().unwrap()
    }

    pub async fn book(&self, booker: &str, nodes: i64, i: i64) -> Response {
        let start =
            Utc::now().duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(2 + i % 48);
        let body = json!({"resource_id": nodes, "start": start.to_rfc3339(),
            "end": (start + Duration::hours(1)).to_rfc3339(), "purpose": format!("fault run {i}")});
        self.call(Method::POST, "/api/v1/bookings", Some(booker), Some(body))
            .await
    }

    pub async fn ready(&self) -> Response {
        self.call(Method::GET, "/readyz", None, None).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
