//! Structured logs: JSON lines on stderr, filtered by RUST_LOG (default `info`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_writer(std::io::stderr)
        .try_init();
}
