//! A real SMTP server on loopback for the mail tests: `scripts/smtp-sink.py` (aiosmtpd) in the
//! test command's Python environment, one per test, stopped and started at will.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has aiosmtpd and icalendar: `TEST_PYTHON`, or the repository's `.venv`.
pub fn python() -> PathBuf {
    std::env::var_os("TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// How the server behaves when it is (re)started.
    pub mode: Mode,
}

/// How the SMTP server answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// At once.
    Prompt,
    /// Each message's data only after this many seconds.
    Slow(f64),
    /// Never: it accepts connections and says nothing.
    Silent,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        SmtpSink::with(Mode::Prompt)
    }

    pub fn with(mode: Mode) -> SmtpSink {
        let mut sink = SmtpSink {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("a folder for received mail"),
            mode,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server again on the same port (after [`SmtpSink::stop`]).
    pub fn resume(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/smtp-sink.py");
        let options = match self.mode {
            Mode::Prompt => vec![],
            Mode::Slow(seconds) => vec!["--delay".to_owned(), seconds.to_string()],
            Mode::Silent => vec!["--silent".to_owned()],
        };
        let mut child = Command::new(python())
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .args(options)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink (scripts/test installs aiosmtpd in .venv)");
        let mut line = String::new();
        let out = child.stdout.take().expect("its stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line)
            .expect("the sink says it is ready");
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        self.child = Some(child);
    }

    /// Kills the server: the port refuses connections until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The messages received so far, oldest first, as text.
    pub fn received(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the mail folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("a message"))
            .collect()
    }

    /// Waits up to ten seconds for at least `n` messages.
    pub fn wait_for(&self, n: usize) -> Vec<String> {
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

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a Python snippet with the message on stdin and returns what it prints: the tests read
/// MIME and iCalendar with Python's email package and the icalendar library, not with our code.
pub fn python_reads(message: &str, program: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(python())
        .arg("-c")
        .arg(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(message.as_bytes())
        .expect("message written");
    let out = child.wait_with_output().expect("python finished");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
