//! Command line and environment configuration, parsed and validated before anything binds a port
//! or opens a database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};

use crate::db::{Backend, Options, Synchronous};
use crate::domain::types::{Locale, Role};

#[derive(Debug, Parser)]
#[command(
    name = "instrument-booking",
    version,
    about = "Shared scientific-instrument booking for the Yangtze River Delta: REST API server and tools"
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory for the embedded database, the generated JWT secret and other local state.
    #[arg(long, env = "DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB [default: sqlite://DATA_DIR/instrument-booking.sqlite3]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Maximum connections in the database pool.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 16, global = true)]
    pub db_pool_size: u32,
    /// How SQLite commits: normal keeps every acknowledged write through a crash of the process,
    /// full also through a power loss or a crash of the machine, at some cost in speed.
    #[arg(long, env = "SQLITE_SYNCHRONOUS", default_value = "normal", global = true,
          value_parser = PossibleValuesParser::new(Synchronous::NAMES))]
    pub sqlite_synchronous: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API server (migrations are applied first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo region: institutions, enterprises, demo accounts and the demo catalogue.
    SeedDemo,
    /// Create a user account.
    CreateUser(CreateUserArgs),
    /// Import a catalogue CSV (the shape of data/demo/demo-catalogue.csv); all rows or none.
    Import(ImportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// PostgreSQL streaming replicas (comma-separated URLs) that answer catalogue, availability
    /// and report reads; writes and every check that guards a booking stay on DATABASE_URL.
    #[arg(
        long,
        env = "DATABASE_REPLICA_URLS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub database_replica_urls: Vec<String>,
    /// A replica further behind the primary than this many milliseconds answers no reads.
    #[arg(long, env = "REPLICA_MAX_LAG_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(200..=600_000))]
    pub replica_max_lag_ms: u64,
    /// How long an account check or a resource read through this server is reused, in
    /// milliseconds; a write through this server forgets them at once. 0 reads every time.
    #[arg(long, env = "READ_CACHE_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub read_cache_ms: u64,
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// HMAC secret for access tokens, at least 32 characters. Generated and kept in the data
    /// directory on SQLite when absent; required with PostgreSQL.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens in seconds.
    #[arg(long, env = "TOKEN_TTL_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=86_400))]
    pub token_ttl_seconds: i64,
    /// Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client;
    /// sign-in limits count per client address.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a request's body may take to arrive before the answer is 408.
    #[arg(long, env = "BODY_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_seconds: u64,
    /// HTTP worker threads [default: number of cores].
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,
    /// Load the demo region (if not yet loaded) before serving. For trying the service only.
    #[arg(long)]
    pub demo: bool,
    /// When to lapse overdue requests, mark no-shows and complete forgotten check-outs: a cron
    /// expression with seconds; empty disables these jobs on this server.
    #[arg(long, env = "BOOKING_JOBS_CRON", default_value = crate::jobs::BOOKING_JOBS)]
    pub booking_jobs_cron: String,
    /// When to queue due reminders, and beamtime reviewers' letters (cron with seconds); empty
    /// disables it on this server.
    #[arg(long, env = "REMINDERS_CRON", default_value = crate::jobs::REMINDERS)]
    pub reminders_cron: String,
    /// When to expire vouchers and warn of expiring ones (cron with seconds); empty disables it.
    #[arg(long, env = "VOUCHER_JOBS_CRON", default_value = crate::jobs::VOUCHER_JOBS)]
    pub voucher_jobs_cron: String,
    /// When to deliver the outbox: a cron expression with seconds; empty disables delivery here.
    #[arg(long, env = "OUTBOX_CRON", default_value = crate::jobs::OUTBOX)]
    pub outbox_cron: String,
    /// When operators get the digest of pending requests (cron with seconds, UTC); empty disables it.
    #[arg(long, env = "DIGEST_CRON", default_value = crate::jobs::DIGEST)]
    pub digest_cron: String,
    /// When idempotency keys older than a day and spent sign-in limits are dropped.
    #[arg(long, env = "PRUNE_CRON", default_value = crate::jobs::PRUNE)]
    pub prune_cron: String,
    /// Where mail goes: smtp://HOST:PORT (plain, e.g. a relay on loopback),
    /// smtps://USER:PASSWORD@HOST (TLS), file:///FOLDER, or memory: [default: .eml files in DATA_DIR/mail]
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of every message.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "instrument-booking <noreply@instrument-booking.invalid>"
    )]
    pub mail_from: String,
    /// Delivery attempts before a message is parked as failed.
    #[arg(long, env = "MAIL_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=50))]
    pub mail_max_attempts: i32,
    /// The wait after a first failed attempt, in seconds; it doubles after each further one.
    #[arg(long, env = "MAIL_BACKOFF_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub mail_backoff_seconds: i64,
    /// How long a dispatcher's claim on a message lasts, in seconds: if its server dies, the
    /// message goes out again (from another server, or this one restarted) after this.
    #[arg(long, env = "MAIL_LEASE_SECONDS", default_value_t = 120, value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub mail_lease_seconds: i64,
    /// The longest one message's exchange with the SMTP relay may take, in seconds (greeting,
    /// commands and data): a relay that stops answering fails the attempt, which is retried.
    #[arg(long, env = "SMTP_TIMEOUT_SECONDS", default_value_t = crate::jobs::outbox::SEND_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub smtp_timeout_seconds: u64,
    /// Deliver webhooks to loopback, private and link-local addresses, and over plain HTTP:
    /// for tests and closed networks only; otherwise an endpoint must be public and HTTPS.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private_addresses: bool,
    /// The longest a webhook endpoint may take to answer, in seconds.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECONDS", default_value_t = crate::jobs::webhooks::TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout_seconds: u64,
    /// Attempts at a webhook delivery before it is parked and its subscription paused.
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=50))]
    pub webhook_max_attempts: i32,
    /// The wait after a first failed webhook attempt, in seconds; it doubles after each further
    /// one, up to an hour.
    #[arg(long, env = "WEBHOOK_BACKOFF_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub webhook_backoff_seconds: i64,
}

#[derive(Debug, Clone, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub email: String,
    /// The password; prefer the environment variable so it stays out of shell history.
    #[arg(long, env = "NEW_USER_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// What the user does.
    #[arg(long, value_parser = PossibleValuesParser::new(Role::NAMES))]
    pub role: String,
    /// English name or id of the user's organisation (none for admins).
    #[arg(long)]
    pub organization: Option<String>,
    #[arg(long)]
    pub display_name: Option<String>,
    /// The language of the user's mail.
    #[arg(long, default_value = "zh-CN", value_parser = PossibleValuesParser::new(Locale::NAMES))]
    pub locale: String,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Create institutions named in the file that do not exist yet.
    #[arg(long)]
    pub create_institutions: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StorageArgs {
    /// The database URL, defaulting to a SQLite file in the data directory; its scheme is
    /// checked here so that a typo never silently creates a new empty database.
    pub fn database_url(&self) -> Result<String, ConfigError> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("instrument-booking.sqlite3").display()
            ),
        };
        Backend::parse(&url).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.db_pool_size == 0 {
            return Err(ConfigError::Invalid(
                "DB_POOL_SIZE must be at least 1".into(),
            ));
        }
        Ok(url)
    }
}

impl StorageArgs {
    /// How the database is opened for serving.
    pub fn options(&self) -> Options {
        Options {
            pool_size: self.db_pool_size,
            synchronous: Synchronous::parse(&self.sqlite_synchronous).unwrap_or_default(),
        }
    }
}

/// The JWT secret: the configured one, or on SQLite one generated once and kept in the data
/// directory. PostgreSQL deployments run several servers, which must share a configured secret.
pub fn jwt_secret(
    configured: Option<&str>,
    backend: Backend,
    data_dir: &Path,
) -> Result<String, ConfigError> {
    if let Some(secret) = configured {
        if secret.len() < 32 {
            return Err(ConfigError::Invalid(
                "JWT_SECRET must be at least 32 characters".into(),
            ));
        }
        return Ok(secret.to_owned());
    }
    if backend == Backend::Postgres {
        return Err(ConfigError::Invalid(
            "JWT_SECRET (or --jwt-secret) is required with PostgreSQL: every server must share it"
                .into(),
        ));
    }
    let path = data_dir.join("jwt-secret");
    let io = |source| ConfigError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 32 => Ok(secret.trim().to_owned()),
        Ok(_) => Err(ConfigError::Invalid(format!(
            "{} is shorter than 32 characters",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(io)?;
            let secret = crate::auth::new_secret();
            write_private(&path, &secret).map_err(io)?;
            Ok(secret)
        }
        Err(e) => Err(io(e)),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scheme_is_refused() {
        let args = StorageArgs {
            data_dir: "./data".into(),
            database_url: Some("mysql://x".into()),
            db_pool_size: 4,
            sqlite_synchronous: "normal".into(),
        };
        assert!(
            args.database_url()
                .unwrap_err()
                .to_string()
                .contains("unsupported")
        );
    }

    #[test]
    fn secret_is_generated_once_for_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let a = jwt_secret(None, Backend::Sqlite, dir.path()).unwrap();
        let b = jwt_secret(None, Backend::Sqlite, dir.path()).unwrap();
        assert_eq!(a, b);
        assert!(jwt_secret(None, Backend::Postgres, dir.path()).is_err());
        assert!(jwt_secret(Some("short"), Backend::Sqlite, dir.path()).is_err());
    }
}
