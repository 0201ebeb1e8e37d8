//! Thin entry point: parse the command line, start logging, run the subcommand.

use std::error::Error;
use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use instrument_booking::app::{AppState, Application};
use instrument_booking::auth::TokenKeys;
use instrument_booking::config::{
    self, Cli, Command, CreateUserArgs, ImportArgs, ServeArgs, StorageArgs,
};
use instrument_booking::db::{Backend, Db, redact};
use instrument_booking::domain::actor::Actor;
use instrument_booking::domain::ids::OrganizationId;
use instrument_booking::domain::seal::Sealer;
use instrument_booking::domain::types::{Locale, Role};
use instrument_booking::error::ServiceError;
use instrument_booking::http::cache::ReadCache;
use instrument_booking::http::middleware::Metrics;
use instrument_booking::mail::Mailer;
use instrument_booking::webhooks::post::Poster;
use instrument_booking::{accounts, catalogue, db, demo, jobs, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn Error>> {
    let url = cli.storage.database_url()?;
    match cli.command {
        Command::Serve(args) => serve(&cli.storage, &url, *args),
        Command::Migrate => {
            let db = Db::open(&url, 1)?;
            println!(
                "database at {} is up to date ({:?})",
                redact(&url),
                db.backend()
            );
            Ok(())
        }
        Command::SeedDemo => {
            let db = Db::open(&url, 2)?;
            let loaded = demo::seed(&db)?;
            if loaded {
                demo::session::seed(&db, chrono::Utc::now())?;
            }
            println!(
                "{}",
                if loaded {
                    "demo region loaded"
                } else {
                    "demo region was already loaded"
                }
            );
            Ok(())
        }
        Command::CreateUser(args) => create_user(&url, args),
        Command::Import(args) => import(&url, args),
    }
}

fn serve(storage: &StorageArgs, url: &str, args: ServeArgs) -> Result<(), Box<dyn Error>> {
    let (backend, _) = Backend::parse(url)?;
    // Everything is checked before the port is bound.
    let secret = config::jwt_secret(args.jwt_secret.as_deref(), backend, &storage.data_dir)?;
    let mut db = Db::open_with(url, storage.options())?;
    db.attach_replicas(
        &args.database_replica_urls,
        std::time::Duration::from_millis(args.replica_max_lag_ms),
        storage.db_pool_size,
    )?;
    db.optimize()?;
    if instrument_booking::db::reports::totals::ensure(&db)? {
        tracing::info!("built the reports' monthly totals from every recorded use");
    }
    if args.demo {
        load_demo(&db, &args)?;
    }
    check_schedules(&args)?;
    let system = actix_web::rt::System::new();
    let timeout = std::time::Duration::from_secs(args.smtp_timeout_seconds);
    let mailer = Mailer::from_url(args.smtp_url.as_deref(), &storage.data_dir, timeout)?;
    let sender = mail_sender(mailer, &args)?;
    let schedules = schedules(&args);
    let sealer = Sealer::derive(secret.as_bytes(), instrument_booking::webhooks::SEALING);
    let deliverer = webhook_deliverer(&args, &sealer);
    let listener = TcpListener::bind(args.bind)?;
    let state = AppState {
        db,
        keys: TokenKeys::new(secret.as_bytes(), args.token_ttl_seconds)?,
        metrics: Metrics::new()?,
        outbox: Default::default(),
        clock: Default::default(),
        trusted_proxies: args.trusted_proxies.clone(),
        body_timeout: std::time::Duration::from_secs(args.body_timeout_seconds),
        mail_domain: instrument_booking::mail::domain_of(&sender.from).to_owned(),
        reads: ReadCache::new(std::time::Duration::from_millis(args.read_cache_ms)),
        webhooks: instrument_booking::webhooks::Policy {
            sealer,
            allow_private: args.webhook_allow_private_addresses,
        },
    };
    tracing::info!(bind = %args.bind, database = %redact(url), "serving");
    let (jobs_db, wake) = (state.db.clone(), state.outbox.clone());
    let job_metrics = jobs::JobMetrics::new(&state.metrics.registry)?;
    system.block_on(async move {
        let deliver = jobs::Deliver {
            mail: sender,
            webhooks: deliverer,
            wake,
        };
        let _jobs = jobs::start(jobs_db, &schedules, deliver, job_metrics).await?;
        Application::build(state, listener, args.workers)?
            .run()
            .await?;
        Ok::<(), Box<dyn Error>>(())
    })?;
    Ok(())
}

/// Loads the demo region once, and says loudly that this is a demo.
fn load_demo(db: &Db, args: &ServeArgs) -> Result<(), Box<dyn Error>> {
    if demo::seed(db)? {
        demo::session::seed(db, chrono::Utc::now())?;
    }
    tracing::warn!(
        "DEMO MODE: demo accounts with the password 'demo-password' are active; never expose this server"
    );
    eprintln!(
        "\n*** DEMO MODE ***  demo data and demo accounts (password: demo-password) are loaded.\n*** Not for real use. Listening on http://{} ***\n",
        args.bind
    );
    Ok(())
}

/// Refuses a schedule that is not a cron expression with seconds, before the port is bound.
fn check_schedules(args: &ServeArgs) -> Result<(), Box<dyn Error>> {
    for (name, cron) in [
        ("BOOKING_JOBS_CRON", &args.booking_jobs_cron),
        ("REMINDERS_CRON", &args.reminders_cron),
        ("VOUCHER_JOBS_CRON", &args.voucher_jobs_cron),
        ("OUTBOX_CRON", &args.outbox_cron),
        ("DIGEST_CRON", &args.digest_cron),
        ("PRUNE_CRON", &args.prune_cron),
    ] {
        let cron = cron.trim();
        if !cron.is_empty() {
            tokio_cron_scheduler::Job::new(cron, |_, _| {}).map_err(|e| {
                format!("{name} {cron:?} is not a cron expression with seconds: {e}")
            })?;
        }
    }
    Ok(())
}

/// The outbox's sender: the transport, the From address and the retry policy.
fn mail_sender(mailer: Mailer, args: &ServeArgs) -> Result<jobs::outbox::Sender, Box<dyn Error>> {
    Ok(jobs::outbox::Sender {
        mailer,
        from: args
            .mail_from
            .parse()
            .map_err(|e| format!("MAIL_FROM {:?} is not an address: {e}", args.mail_from))?,
        retry: jobs::outbox::Retry {
            max_attempts: args.mail_max_attempts,
            first_backoff_seconds: args.mail_backoff_seconds,
            lease_seconds: args.mail_lease_seconds,
        },
        timeout: std::time::Duration::from_secs(args.smtp_timeout_seconds),
    })
}

fn webhook_deliverer(args: &ServeArgs, sealer: &Sealer) -> jobs::webhooks::Deliverer {
    let timeout = std::time::Duration::from_secs(args.webhook_timeout_seconds);
    jobs::webhooks::Deliverer {
        poster: Poster::new(args.webhook_allow_private_addresses, timeout),
        sealer: sealer.clone(),
        retry: jobs::outbox::Retry {
            max_attempts: args.webhook_max_attempts,
            first_backoff_seconds: args.webhook_backoff_seconds,
            lease_seconds: args.mail_lease_seconds,
        },
    }
}

fn schedules(args: &ServeArgs) -> jobs::Schedules {
    jobs::Schedules {
        bookings: args.booking_jobs_cron.clone(),
        reminders: args.reminders_cron.clone(),
        vouchers: args.voucher_jobs_cron.clone(),
        outbox: args.outbox_cron.clone(),
        digest: args.digest_cron.clone(),
        prune: args.prune_cron.clone(),
    }
}

fn create_user(url: &str, args: CreateUserArgs) -> Result<(), Box<dyn Error>> {
    let role = Role::parse(&args.role)
        .ok_or_else(|| format!("--role must be one of {}", Role::choices()))?;
    let locale = Locale::parse(&args.locale)
        .ok_or_else(|| format!("--locale must be one of {}", Locale::choices()))?;
    accounts::check_password(&args.password, &[&args.email])?;
    let hash = instrument_booking::auth::hash_password(&args.password)?;
    let db = Db::open(url, 2)?;
    let user = db.write_blocking(|conn| {
        let org = match &args.organization {
            None => None,
            Some(name) => Some(find_org(conn, name)?),
        };
        let draft = accounts::UserDraft {
            email: args.email.clone(),
            display_name: args.display_name.clone(),
            role,
            organization_id: org,
            locale,
        };
        accounts::create_user(conn, draft, hash, db::now())
    })?;
    println!(
        "created user {} ({}) with id {}",
        user.email, user.role, user.id
    );
    Ok(())
}

fn find_org(conn: &mut db::DbConnection, name: &str) -> Result<OrganizationId, ServiceError> {
    let found = match name.parse::<i64>() {
        Ok(id) => db::organizations::find(conn, OrganizationId(id))?,
        Err(_) => db::organizations::find_by_name(conn, name)?,
    };
    found
        .map(|o| OrganizationId(o.id))
        .ok_or_else(|| ServiceError::not_found("organisation"))
}

fn import(url: &str, args: ImportArgs) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let db = Db::open(url, 2)?;
    let ids = db.write_blocking(|conn| {
        // The CLI runs with the operator's shell access: it acts as the platform.
        let now = db::now();
        catalogue::import(
            conn,
            &Actor::platform(),
            &text,
            args.create_institutions,
            now,
        )
    })?;
    db.analyze()?;
    println!("imported {} resources", ids.len());
    Ok(())
}
