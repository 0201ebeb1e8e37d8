//! A real HTTP receiver on loopback for the webhook tests: `scripts/webhook-sink.py`, which
//! verifies every delivery with Python's `standardwebhooks` library, stopped and started at will.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::smtp::python;

pub struct WebhookSink {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// What the receiver answers every request with instead of verifying it, when set.
    pub failing: Option<u16>,
    /// How far the server's clock is ahead of the wall clock, for the library's timestamp check.
    pub clock_offset: Option<i64>,
}

/// One delivery as received: its headers (lower-case names) and its body, parsed.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Value,
    pub raw: String,
    pub body: Value,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers[name].as_str().unwrap_or("")
    }
}

impl WebhookSink {
    pub fn start() -> WebhookSink {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = l.local_addr().expect("its address").port();
        drop(l);
        let mut sink = WebhookSink {
            child: None,
            port,
            dir: tempfile::tempdir().expect("a folder for deliveries"),
            failing: None,
            clock_offset: None,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/booking", self.port)
    }

    /// The secret the receiver verifies with, as the subscription's creation showed it.
    pub fn trust(&self, secret: &str) {
        std::fs::write(self.dir.path().join("secret"), secret).expect("secret written");
    }

    /// Starts the receiver again on the same port (after [`WebhookSink::stop`]).
    pub fn resume(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/webhook-sink.py");
        let mut command = Command::new(python());
        command
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.dir.path());
        if let Some(code) = self.failing {
            command.arg("--status").arg(code.to_string());
        }
        if let Some(seconds) = self.clock_offset {
            command.arg("--clock-offset").arg(seconds.to_string());
        }
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the webhook receiver (scripts/test installs standardwebhooks in .venv)");
        let mut line = String::new();
        let out = child.stdout.take().expect("its stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line)
            .expect("the receiver says it is ready");
        assert_eq!(line.trim(), "ready", "the webhook receiver did not start");
        self.child = Some(child);
    }

    /// Restarts the receiver with its clock `seconds` ahead, as the server's test clock is.
    pub fn follow_clock(&mut self, seconds: i64) {
        self.stop();
        self.clock_offset = Some(seconds);
        self.resume();
    }

    /// Kills the receiver: the port refuses connections until [`WebhookSink::resume`].
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn files(&self, ext: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the deliveries folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect();
        files.sort();
        files
    }

    /// The verified deliveries so far, in the order they arrived.
    pub fn received(&self) -> Vec<Received> {
        self.files("json")
            .iter()
            .map(|p| {
                let saved: Value =
                    serde_json::from_str(&std::fs::read_to_string(p).expect("a delivery")).unwrap();
                let raw = saved["body"].as_str().unwrap().to_owned();
                Received {
                    headers: saved["headers"].clone(),
                    body: serde_json::from_str(&raw).expect("a JSON body"),
                    raw,
                }
            })
            .collect()
    }

    /// How many deliveries failed verification.
    pub fn rejected(&self) -> usize {
        self.files("rejected").len()
    }

    /// Waits up to ten seconds for at least `n` verified deliveries.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// HMAC-SHA256 written out from RFC 2104 over the `sha2` digest, so that the signature is
/// checked a second time by code that shares nothing with the server's.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.into()
}

/// True when the delivery's `webhook-signature` is the HMAC of `id.timestamp.body` under `secret`.
pub fn signed_by(r: &Received, secret: &str) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.trim_start_matches("whsec_")).unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.raw
    );
    let expected = format!("v1,{}", b64.encode(hmac_sha256(&key, signed.as_bytes())));
    r.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}
