//! The application: shared state, the one route table, extractor error handlers, and
//! `Application::build`, which binds a listener (port 0 in tests) so tests run production code.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, middleware, web};

use crate::auth::TokenKeys;
use crate::db::Db;
use crate::error::{ErrorCode, ServiceError};
use crate::http::handlers::{
    accounts, allocations, api_tokens, approval_queue, audit, availability, beamtime, blackouts,
    booking_series, bookings, feeds, messages, opening_hours, ops, organizations, qualifications,
    reports, resources, service_orders, services, settings, settlements, statements, usage, users,
    vouchers, webhooks,
};
use crate::http::middleware::{Metrics, observe, reject_nul};

/// What every handler may reach.
pub struct AppState {
    pub db: Db,
    pub keys: TokenKeys,
    pub metrics: Metrics,
    /// Wakes the outbox dispatcher after a write, so a confirmation leaves at once rather than at
    /// the next scheduled run.
    pub outbox: crate::jobs::Wake,
    /// The time as requests see it: the system clock, or one a test sets.
    pub clock: crate::domain::clock::Clock,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for sign-in limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The domain of the sender's address, which Message-IDs are made on.
    pub mail_domain: String,
    /// How long a request's body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Account checks and catalogue views read moments ago.
    pub reads: crate::http::cache::ReadCache,
    /// How webhook endpoints are checked and their secrets sealed.
    pub webhooks: crate::webhooks::Policy,
}

/// Largest JSON body accepted; larger ones get 413.
pub const JSON_LIMIT: usize = 256 * 1024;
/// Largest catalogue CSV accepted.
pub const CSV_LIMIT: usize = 4 * 1024 * 1024;

/// Declares the routes once: registers them and lists them, so a test can compare the list
/// with `openapi.yaml`.
macro_rules! route_table {
    ($($path:literal => { $($method:ident : $handler:path),+ $(,)? }),+ $(,)?) => {
        fn register(cfg: &mut web::ServiceConfig) {
            $( cfg.service(
                web::resource($path)
                    $(.route(route_for(stringify!($method)).to($handler)))+
                    .default_service(web::to(method_not_allowed)),
            ); )+
        }

        /// Every (method, path) the server answers.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),+];
    };
}

/// The route for a method of the table; GET also answers HEAD (RFC 9110 section 9.3.2: the same
/// headers, no body).
fn route_for(method: &str) -> actix_web::Route {
    use actix_web::guard;
    match method {
        "get" => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
        "post" => web::post(),
        "put" => web::put(),
        "patch" => web::patch(),
        "delete" => web::delete(),
        other => unreachable!("the route table has no method {other}"),
    }
}

route_table! {
    "/healthz" => { get: ops::healthz },
    "/readyz" => { get: ops::readyz },
    "/metrics" => { get: ops::metrics },
    "/openapi.yaml" => { get: ops::openapi },
    "/problems/{code}" => { get: ops::problem_page },
    "/api/v1/auth/token" => { post: accounts::create_token },
    "/api/v1/me" => { get: accounts::get_me, patch: accounts::update_me },
    "/api/v1/jurisdictions" => { get: accounts::list_jurisdictions },
    "/api/v1/api-tokens" => { get: api_tokens::list_api_tokens, post: api_tokens::create_api_token },
    "/api/v1/api-tokens/{id}" => { delete: api_tokens::revoke_api_token },
    "/api/v1/calendar-feeds" => { get: feeds::list_calendar_feeds, post: feeds::create_calendar_feed },
    "/api/v1/calendar-feeds/{id}" => { get: feeds::get_calendar_feed, delete: feeds::revoke_calendar_feed },
    "/feeds/{token}.ics" => { get: feeds::get_feed_calendar },
    "/api/v1/webhooks" => { get: webhooks::list_webhooks, post: webhooks::create_webhook },
    "/api/v1/webhooks/{id}" => { get: webhooks::get_webhook, patch: webhooks::update_webhook, delete: webhooks::delete_webhook },
    "/api/v1/webhooks/{id}/rotate-secret" => { post: webhooks::rotate_webhook_secret },
    "/api/v1/webhooks/{id}/deliveries" => { get: webhooks::list_webhook_deliveries },
    "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver" => { post: webhooks::redeliver_webhook_delivery },
    "/api/v1/organizations" => { get: organizations::list_organizations, post: organizations::create_organization },
    "/api/v1/organizations/{id}" => { get: organizations::get_organization, patch: organizations::update_organization },
    "/api/v1/users" => { get: users::list_users, post: users::create_user },
    "/api/v1/users/{id}" => { get: users::get_user, patch: users::update_user },
    "/api/v1/resources" => { get: resources::list_resources, post: resources::create_resource },
    "/api/v1/resources/import" => { post: resources::import_resources },
    "/api/v1/resources/{id}" => { get: resources::get_resource, patch: resources::update_resource },
    "/api/v1/resources/{id}/retire" => { post: resources::retire_resource },
    "/api/v1/resources/{id}/rated-hours" => { get: settings::get_rated_hours, put: settings::set_rated_hours },
    "/api/v1/resources/{id}/reminder" => { get: settings::get_reminder, put: settings::set_reminder },
    "/api/v1/resources/{id}/opening-hours" => { get: opening_hours::get_opening_hours, put: opening_hours::replace_opening_hours },
    "/api/v1/resources/{id}/blackouts" => { get: blackouts::list_blackouts, post: blackouts::create_blackout },
    "/api/v1/resources/{id}/blackouts/{blackout_id}" => { delete: blackouts::delete_blackout },
    "/api/v1/resources/{id}/availability" => { get: availability::get_resource_availability },
    "/api/v1/availability" => { get: availability::search_availability },
    "/api/v1/bookings" => { get: bookings::list_bookings, post: bookings::create_booking },
    "/api/v1/bookings/{id}" => { get: bookings::get_booking },
    "/api/v1/booking-series" => { post: booking_series::create_booking_series },
    "/api/v1/booking-series/{id}" => { get: booking_series::get_booking_series },
    "/api/v1/booking-series/{id}/cancel" => { post: booking_series::cancel_booking_series },
    "/api/v1/approval-queue" => { get: approval_queue::list_approval_queue },
    "/api/v1/resources/{id}/quote" => { get: vouchers::get_quote },
    "/api/v1/voucher-programs" => { get: vouchers::list_voucher_programs, post: vouchers::create_voucher_program },
    "/api/v1/voucher-programs/{id}" => { get: vouchers::get_voucher_program },
    "/api/v1/vouchers" => { get: vouchers::list_vouchers, post: vouchers::grant_voucher },
    "/api/v1/vouchers/{id}/suspend" => { post: vouchers::suspend_voucher },
    "/api/v1/vouchers/{id}/reinstate" => { post: vouchers::reinstate_voucher },
    "/api/v1/vouchers/{id}/revoke" => { post: vouchers::revoke_voucher },
    "/api/v1/vouchers/{id}" => { get: vouchers::get_voucher },
    "/api/v1/vouchers/{id}/ledger" => { get: vouchers::get_voucher_ledger },
    "/api/v1/settlements" => { get: settlements::get_settlements },
    "/api/v1/reports/sharing" => { get: reports::get_sharing_report },
    "/api/v1/reports/flows" => { get: reports::get_flow_report },
    "/api/v1/reports/charts/utilisation.svg" => { get: reports::get_utilisation_chart },
    "/api/v1/reports/charts/flows.svg" => { get: reports::get_flow_chart },
    "/api/v1/admin/messages" => { get: messages::list_messages },
    "/api/v1/admin/outbox" => { get: messages::get_outbox },
    "/api/v1/admin/outbox/retry" => { post: messages::retry_failed_messages },
    "/api/v1/admin/report-totals/rebuild" => { post: reports::rebuild_report_totals },
    "/api/v1/admin/messages/{id}" => { get: messages::get_message },
    "/api/v1/admin/messages/{id}/retry" => { post: messages::retry_message },
    "/api/v1/vouchers/{id}/ledger/{entry}/reversal" => { post: vouchers::reverse_ledger_entry },
    "/api/v1/bookings/{id}/history" => { get: bookings::get_booking_history },
    "/api/v1/bookings/{id}/calendar.ics" => { get: bookings::get_booking_ics },
    "/api/v1/bookings/{id}/approve" => { post: bookings::approve_booking },
    "/api/v1/bookings/{id}/reject" => { post: bookings::reject_booking },
    "/api/v1/bookings/{id}/cancel" => { post: bookings::cancel_booking },
    "/api/v1/bookings/{id}/check-in" => { post: usage::check_in_booking },
    "/api/v1/bookings/{id}/check-out" => { post: usage::check_out_booking },
    "/api/v1/allocations" => { get: allocations::list_allocations, post: allocations::create_allocation },
    "/api/v1/allocations/{id}" => { get: allocations::get_allocation },
    "/api/v1/allocations/{id}/approve" => { post: allocations::approve_allocation },
    "/api/v1/allocations/{id}/reject" => { post: allocations::reject_allocation },
    "/api/v1/allocations/{id}/cancel" => { post: allocations::cancel_allocation },
    "/api/v1/allocations/{id}/usage" => { get: allocations::list_allocation_usage },
    "/api/v1/resources/{id}/usage" => { post: allocations::record_usage },
    "/api/v1/beam-calls" => { get: beamtime::list_beam_calls, post: beamtime::create_beam_call },
    "/api/v1/beam-calls/{id}" => { get: beamtime::get_beam_call },
    "/api/v1/beam-calls/{id}/proposals" => { get: beamtime::list_beam_proposals, post: beamtime::submit_beam_proposal },
    "/api/v1/beam-calls/{id}/allocation" => { post: beamtime::allocate_beam_call },
    "/api/v1/beam-proposals/{id}" => { get: beamtime::get_beam_proposal, put: beamtime::update_beam_proposal },
    "/api/v1/beam-proposals/{id}/reviewers" => { put: beamtime::put_beam_proposal_reviewers },
    "/api/v1/beam-proposals/{id}/review" => { put: beamtime::put_beam_review },
    "/api/v1/beam-proposals/{id}/reviews" => { get: beamtime::list_beam_reviews },
    "/api/v1/services" => { get: services::list_services, post: services::create_service },
    "/api/v1/services/{id}" => { get: services::get_service, patch: services::update_service },
    "/api/v1/services/{id}/quote" => { get: services::get_service_quote },
    "/api/v1/service-orders" => { get: service_orders::list_service_orders, post: service_orders::create_service_order },
    "/api/v1/service-orders/{id}" => { get: service_orders::get_service_order },
    "/api/v1/service-orders/{id}/history" => { get: service_orders::get_service_order_history },
    "/api/v1/service-orders/{id}/accept" => { post: service_orders::accept_service_order },
    "/api/v1/service-orders/{id}/reject" => { post: service_orders::reject_service_order },
    "/api/v1/service-orders/{id}/receive-samples" => { post: service_orders::receive_service_order_samples },
    "/api/v1/service-orders/{id}/start" => { post: service_orders::start_service_order },
    "/api/v1/service-orders/{id}/report" => { get: service_orders::get_service_order_report, put: service_orders::put_service_order_report },
    "/api/v1/service-orders/{id}/deliver" => { post: service_orders::deliver_service_order },
    "/api/v1/service-orders/{id}/cancel" => { post: service_orders::cancel_service_order },
    "/api/v1/qualifications" => { get: qualifications::list_qualifications, post: qualifications::grant_qualification },
    "/api/v1/qualifications/{id}/revoke" => { post: qualifications::revoke_qualification },
    "/api/v1/audit-events" => { get: audit::list_audit_events },
    "/api/v1/settlement-statements" => { get: statements::list_statements, post: statements::issue_statement },
    "/api/v1/settlement-statements/{id}" => { get: statements::get_statement },
    "/api/v1/settlement-statements/{id}/agree" => { post: statements::agree_statement },
    "/api/v1/settlement-statements/{id}/pay" => { post: statements::pay_statement },
    "/api/v1/settlement-statements/{id}/withdraw" => { post: statements::withdraw_statement },
    "/api/v1/settlement-statements/{id}/dispute" => { post: statements::dispute_statement },
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ServiceError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {limit} bytes"),
        ),
        JsonPayloadError::Payload(e) if crate::http::middleware::too_slow(e) => {
            crate::http::middleware::too_slow_error()
        }
        JsonPayloadError::ContentType => ServiceError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as Content-Type: application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => ServiceError::new(
            ErrorCode::InvalidBody,
            format!("the body does not have the expected fields: {e}"),
        ),
        JsonPayloadError::Deserialize(e) => ServiceError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        ),
        other => ServiceError::new(
            ErrorCode::MalformedJson,
            format!("cannot read the body: {other}"),
        ),
    };
    api.into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ServiceError::new(ErrorCode::InvalidQuery, format!("bad query string: {err}")).into()
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ServiceError::new(
        ErrorCode::InvalidPath,
        format!("bad path parameter: {err}; ids are positive integers"),
    )
    .into()
}

/// 405 with the `Allow` header RFC 9110 asks for, taken from the route table.
async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let pattern = req.match_pattern().unwrap_or_default();
    let mut allowed: Vec<String> = ROUTES
        .iter()
        .filter(|(_, path)| *path == pattern)
        .map(|(method, _)| method.to_uppercase())
        .collect();
    if allowed.iter().any(|m| m == "GET") {
        allowed.push("HEAD".into());
    }
    let err = ServiceError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not supported on {}; use {}",
            req.method(),
            req.path(),
            allowed.join(", ")
        ),
    );
    let mut resp = HttpResponse::from_error(err);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
        resp.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    resp
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ServiceError> {
    Err(ServiceError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// Everything an App needs besides the state: routes, limits and error mapping.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error));
    register(cfg);
    crate::console::register(cfg);
    cfg.default_service(web::to(not_found));
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `bind` and prepares the server; the caller runs it.
    pub fn build(
        state: AppState,
        listener: TcpListener,
        workers: Option<usize>,
    ) -> std::io::Result<Application> {
        let port = listener.local_addr()?.port();
        // Each worker's blocking threads run database work and wait for a pooled connection: more
        // threads than connections only queue, and after a burst they linger holding memory.
        let (_, _, pool_size) = state.db.pool_use();
        let blocking = usize::try_from(pool_size).unwrap_or(1).max(1);
        let state = web::Data::new(state);
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(configure)
                .wrap(middleware::from_fn(crate::http::authn::authenticate))
                .wrap(middleware::from_fn(crate::http::middleware::body_deadline))
                .wrap(middleware::from_fn(reject_nul))
                .wrap(middleware::from_fn(crate::http::locale::localize))
                .wrap(middleware::from_fn(observe))
        })
        .shutdown_timeout(30)
        .worker_max_blocking_threads(blocking)
        .listen(listener)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; on SIGINT or SIGTERM, in-flight requests finish first.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
