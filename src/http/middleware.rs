//! Request ids, access logs and Prometheus metrics for every request.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};
use tracing::Instrument;

use crate::app::AppState;
use crate::error::{ErrorCode, ServiceError};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The service's Prometheus metrics, in one registry per application.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    outbox: IntGaugeVec,
    oldest_waiting: IntGauge,
    pool: IntGaugeVec,
    replica_lag: GaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern, method and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["method", "route"],
        )?;
        let outbox = IntGaugeVec::new(
            Opts::new(
                "outbox_messages",
                "Messages in the outbox still to go or parked as failed",
            ),
            &["status"],
        )?;
        let oldest_waiting = IntGauge::new(
            "outbox_oldest_waiting_seconds",
            "Age of the oldest message still to go (0 when none waits)",
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections: open, idle and the most it opens",
            ),
            &["state"],
        )?;
        let replica_lag = GaugeVec::new(
            Opts::new(
                "db_replica_lag_seconds",
                "How far each read replica is behind the primary (-1: down or not caught up)",
            ),
            &["replica"],
        )?;
        registry.register(Box::new(replica_lag.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        registry.register(Box::new(oldest_waiting.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            outbox,
            oldest_waiting,
            pool,
            replica_lag,
        })
    }

    /// Sets the gauges read at scrape time: the outbox's backlog and the pool's use.
    pub fn set_backlog(&self, b: &crate::db::outbox::Backlog, now: chrono::NaiveDateTime) {
        self.outbox.with_label_values(&["waiting"]).set(b.waiting);
        self.outbox.with_label_values(&["failed"]).set(b.failed);
        let age = b
            .oldest_waiting
            .map_or(0, |t| (now - t).num_seconds().max(0));
        self.oldest_waiting.set(age);
    }

    pub fn set_pool(&self, (open, idle, max): (u32, u32, u32)) {
        for (state, n) in [("open", open), ("idle", idle), ("max", max)] {
            self.pool.with_label_values(&[state]).set(i64::from(n));
        }
    }

    /// Sets each replica's lag, numbered from 1 in the order of `DATABASE_REPLICA_URLS`.
    pub fn set_replica_lags(&self, lags: &[Option<std::time::Duration>]) {
        for (i, lag) in lags.iter().enumerate() {
            let seconds = lag.map_or(-1.0, |d| d.as_secs_f64());
            self.replica_lag
                .with_label_values(&[&(i + 1).to_string()])
                .set(seconds);
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}

/// Takes the caller's request id when it is short and plain, or makes one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .filter(|v| {
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Wraps every request in a span carrying its id, logs its outcome and records metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    if let Some(m) = metrics {
        m.observe(&method, &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(%method, %path, status, elapsed_ms = elapsed * 1000.0, "request");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    protect(res.headers_mut(), &path);
    Ok(res)
}

/// Headers every answer carries: no content sniffing, and for the API, whose answers are the
/// caller's own (tokens among them), no copy kept by a browser or proxy unless a handler says
/// otherwise.
fn protect(headers: &mut actix_web::http::header::HeaderMap, path: &str) {
    use actix_web::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path.starts_with("/api/") && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Gives a request's body `AppState::body_timeout` from the moment its head arrived: a client
/// trickling a body (to hold a connection and a worker's attention) gets 408 and the connection
/// closes, as a slow head is already cut off by the server's request timeout.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    use actix_web::dev::Payload;
    use actix_web::error::PayloadError;
    use futures_util::StreamExt;
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.body_timeout)
        .unwrap_or(DEFAULT_BODY_TIMEOUT);
    let deadline = tokio::time::Instant::now() + limit;
    let timed = futures_util::stream::unfold(req.take_payload(), move |mut body| async move {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(chunk)) => Some((chunk, body)),
            Ok(None) => None,
            Err(_) => {
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "body too slow");
                Some((Err(PayloadError::Io(late)), body))
            }
        }
    });
    req.set_payload(Payload::Stream {
        payload: Box::pin(timed),
    });
    next.call(req).await
}

/// How long a body may take to arrive unless configured otherwise.
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether reading a body failed because it came too slowly (see [`body_deadline`]).
pub fn too_slow(e: &actix_web::error::PayloadError) -> bool {
    matches!(e, actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// The 408 for a body that did not arrive in time.
pub fn too_slow_error() -> ServiceError {
    ServiceError::new(
        ErrorCode::RequestTimeout,
        "the body did not arrive in time; send it again, whole",
    )
}

/// Refuses a percent-encoded NUL anywhere in the path or query before a handler runs:
/// PostgreSQL can neither store nor compare text that holds one, so both backends refuse it.
pub async fn reject_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri = req.uri().to_string().to_ascii_lowercase();
    if uri.contains("%00") {
        let err = ServiceError::new(
            ErrorCode::InvalidQuery,
            "the path and query must not contain NUL (%00) characters",
        );
        let resp = actix_web::HttpResponse::from_error(err);
        return Ok(req.into_response(resp).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
