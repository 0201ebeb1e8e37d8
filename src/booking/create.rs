//! Making a booking: one transaction that locks the resource, lapses overdue requests, checks the
//! request with the availability engine and writes the booking, or the waitlist entry.

use chrono::Duration;

use super::behalf::booker_of;
use super::calendar::{self, Loaded, naive};
use super::operation::needs_assistance;
use super::{Step, log, log_new, payment};
use crate::db::bookings::{self, BookingRow, NewBooking};
use crate::db::{DbConnection, due, resources};
use crate::domain::actor::Actor;
use crate::domain::availability::{Instant, Refusal, Span};
use crate::domain::booking::{explain, is_blocking, pending_deadline};
use crate::domain::ids::{OrganizationId, ResourceId, UserId};
use crate::domain::ledger::Claim;
use crate::domain::money::{Fen, PurposeKind};
use crate::domain::types::{
    ApprovalPolicy, BookingState, ConflictPolicy, ResourceStatus, Role, SelfOperation,
};
use crate::error::{ErrorCode, ServiceError};

/// A booking request after parsing.
#[derive(Debug, Clone)]
pub struct Request {
    pub resource: ResourceId,
    pub span: Span,
    pub quantity: i64,
    pub purpose: String,
    pub waitlist: bool,
    pub series: Option<String>,
    pub purpose_kind: PurposeKind,
    pub payment: Option<VoucherPayment>,
    /// The booker a resource's staff book for, if not themselves.
    pub on_behalf: Option<UserId>,
}

/// Paying part of a booking with a voucher, on the quote the booker accepted.
#[derive(Debug, Clone, Copy)]
pub struct VoucherPayment {
    pub voucher: i64,
    /// The co-payment of the accepted quote: the booking fails rather than charge more.
    pub accepted_co_payment: Fen,
}

/// Why a request was not booked.
#[derive(Debug)]
pub enum Failure {
    /// The slot is taken: the intervals that block it.
    Conflict(Vec<Span>),
    /// The resource takes no bookings then (closed, or blacked out): the answer to give, to which
    /// alternatives can be added.
    Closed(ServiceError),
    Service(ServiceError),
}

impl Failure {
    /// The answer when no alternatives are added.
    pub fn into_error(self) -> ServiceError {
        match self {
            Failure::Service(e) | Failure::Closed(e) => e,
            Failure::Conflict(_) => ServiceError::new(
                ErrorCode::SlotUnavailable,
                "the booking no longer fits: its slot is taken",
            ),
        }
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Failure {
        Failure::Service(e)
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Failure {
        // The database's own overlap guard fired: another writer got there first.
        if e.to_string().contains("bookings_no_overlap") {
            return Failure::Conflict(Vec::new());
        }
        Failure::Service(e.into())
    }
}

/// Turns a refusal into the answer the caller sees.
pub fn refusal_error(refusal: Refusal) -> Failure {
    match refusal {
        Refusal::Conflict { spans } => Failure::Conflict(spans),
        closed @ (Refusal::Blackout { .. } | Refusal::OutsideOpeningHours) => {
            let (field, message) = explain(&closed);
            Failure::Closed(ServiceError::invalid_field(field, message))
        }
        other => {
            let (field, message) = explain(&other);
            Failure::Service(ServiceError::invalid_field(field, message))
        }
    }
}

/// What a booking reads of its resource before it locks it: the catalogue view and the opening
/// hours, which change rarely. Reading them first keeps the lock (PostgreSQL's row lock, SQLite's
/// one writer) for what must be read under it; the lock then confirms the view is current.
#[derive(Debug, Clone)]
pub struct Prepared {
    view: crate::db::resources::ResourceView,
    hours: crate::domain::opening::OpeningHours,
}

/// The resource `id` as a booking of it starts from; `None` when there is no such resource.
pub fn prepare(conn: &mut DbConnection, id: ResourceId) -> Result<Option<Prepared>, ServiceError> {
    let Some(view) = resources::find(conn, id)? else {
        return Ok(None);
    };
    let hours = crate::db::opening_hours::opening_hours(conn, id)?;
    Ok(Some(Prepared { view, hours }))
}

/// Locks the resource and loads it around `span`; refuses resources that take no bookings.
pub fn open_resource(
    conn: &mut DbConnection,
    id: ResourceId,
    span: Span,
    now: Instant,
) -> Result<Loaded, Failure> {
    let prepared = prepare(conn, id)?;
    open_prepared(conn, (id, prepared), span, now)
}

/// [`open_resource`] from what was read before the lock. The view is read again under the lock
/// when the row's version moved since (an edit of rates, rules, operators or status); its
/// longest booking, which bounds the overlap search, is always the locked row's. Opening hours
/// are kept as read: their writers do not take the resource's lock, so reading them under it
/// would order nothing.
pub fn open_prepared(
    conn: &mut DbConnection,
    (id, prepared): (ResourceId, Option<Prepared>),
    span: Span,
    now: Instant,
) -> Result<Loaded, Failure> {
    let Some(locked) = bookings::lock_resource(conn, id)? else {
        return Err(ServiceError::invalid_field(
            "resource_id",
            format!("resource {id} does not exist"),
        )
        .into());
    };
    expire_overdue(conn, id, now)?;
    let Prepared { mut view, hours } = match prepared {
        Some(p) if p.view.row.version == locked.version => p,
        _ => {
            prepare(conn, id)?.ok_or_else(|| ServiceError::internal("locked resource vanished"))?
        }
    };
    view.row.longest_block_min = locked.longest_block_min;
    if view.row.status != ResourceStatus::Active {
        let why = view.row.status_reason.clone().unwrap_or_default();
        return Err(ServiceError::invalid_field(
            "resource_id",
            format!(
                "the resource is {} and takes no bookings {why}",
                view.row.status
            ),
        )
        .into());
    }
    Ok(calendar::load_with(conn, (view, hours), span, now)?)
}

/// Holds a quoted slot to the rules a booking of it would be held to (length, grid, lead time,
/// advance window, capacity), without asking whether it is free: a price may be asked first.
pub fn check_quoted(
    conn: &mut DbConnection,
    view: &crate::db::resources::ResourceView,
    (span, quantity): (Span, i64),
    now: Instant,
) -> Result<(), ServiceError> {
    let loaded = calendar::load(conn, view.clone(), span, now)?;
    loaded
        .calendar()
        .check_shape(span, quantity, now)
        .map_err(|refusal| {
            let (field, message) = explain(&refusal);
            ServiceError::invalid_field(field, message)
        })
}

/// Lapses the resource's pending requests whose decision deadline has passed.
pub fn expire_overdue(
    conn: &mut DbConnection,
    id: ResourceId,
    now: Instant,
) -> Result<(), ServiceError> {
    let at = naive(now);
    for booking in due::overdue_requests(conn, id, at)? {
        let from = booking.state;
        if bookings::transition(
            conn,
            booking.id,
            from,
            BookingState::Expired,
            false,
            false,
            at,
        )? {
            let step = Step {
                event: "expired",
                from: Some(from),
                to: BookingState::Expired,
            };
            let why = if from == BookingState::Pending {
                "no decision before the deadline"
            } else {
                "no space became free before the slot began"
            };
            log(conn, at, booking.id, None, step, Some(why))?;
            payment::release(conn, &booking, None, why, at)?;
        }
    }
    Ok(())
}

/// Books `req` for `actor` (or for the booker staff book it for), or waitlists it when it does
/// not fit and they asked to wait.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    req: &Request,
    now: Instant,
) -> Result<Made, Failure> {
    let prepared = prepare(conn, req.resource)?;
    create_prepared(conn, actor, (req, prepared), now)
}

/// [`create`] from what [`prepare`] read before the transaction.
pub fn create_prepared(
    conn: &mut DbConnection,
    actor: &Actor,
    (req, prepared): (&Request, Option<Prepared>),
    now: Instant,
) -> Result<Made, Failure> {
    if req.on_behalf.is_none() {
        actor.require(&[Role::Booker]).map_err(ServiceError::from)?;
    }
    let loaded = open_prepared(conn, (req.resource, prepared), req.span, now)?;
    let (booker, org) = booker_of(conn, actor, req.on_behalf, &loaded.view)?;
    let state = initial_state(&loaded, req, now)?;
    let operator_assisted = needs_assistance(conn, &loaded.view, booker, naive(req.span.end))?;
    if operator_assisted && loaded.view.row.self_operation == SelfOperation::QualifiedOnly {
        return Err(not_qualified().into());
    }
    let priced = price_request(conn, org, &loaded, req, now)?;
    let terms = Terms {
        state,
        operator_assisted,
        priced,
    };
    let new = new_booking(&loaded, req, (booker, org), &terms, now);
    let block_min = (new.block_end - new.block_start).num_minutes() as i32;
    if block_min > loaded.view.row.longest_block_min {
        bookings::note_block_length(conn, req.resource, block_min)?;
    }
    let row = bookings::insert(conn, &new)?;
    let step = Step {
        event: "requested",
        from: None,
        to: state,
    };
    let why =
        (booker != actor.id).then_some("booked on the booker's behalf by the resource's staff");
    log_new(conn, &row, &loaded.view, (actor.id, why), step)?;
    if let Some(voucher) = row.voucher_id {
        let (claim, amount) = (Claim::Booking(row.id), row.voucher_share_fen);
        payment::hold(conn, voucher, claim, amount, actor.id, new.created_at)?;
    }
    Ok(Made { row, tz: loaded.tz })
}

/// The state a request starts in: confirmed or pending when it fits, waitlisted when it
/// conflicts and the booker asked to wait; any other refusal is the answer.
fn initial_state(loaded: &Loaded, req: &Request, now: Instant) -> Result<BookingState, Failure> {
    match loaded.calendar().check(req.span, req.quantity, now) {
        Ok(()) if loaded.view.row.approval_policy == ApprovalPolicy::Auto.as_str() => {
            Ok(BookingState::Confirmed)
        }
        Ok(()) => Ok(BookingState::Pending),
        Err(Refusal::Conflict { .. }) if req.waitlist => Ok(BookingState::Waitlisted),
        Err(refusal) => Err(refusal_error(refusal)),
    }
}

/// What was decided about a request before it is written.
pub(super) struct Terms {
    pub state: BookingState,
    pub operator_assisted: bool,
    pub priced: payment::Quote,
}

/// The row for a request by `booker` of `org` on the terms decided.
pub(super) fn new_booking(
    loaded: &Loaded,
    req: &Request,
    (booker, org): (UserId, OrganizationId),
    terms: &Terms,
    now: Instant,
) -> NewBooking {
    let state = terms.state;
    let policy = ConflictPolicy::parse(&loaded.view.row.conflict_policy)
        .unwrap_or(ConflictPolicy::FirstCome);
    let blocking = is_blocking(state, policy);
    let buffered = loaded.buffered(req.span);
    let price = &terms.priced.price;
    let voucher = terms.priced.voucher.as_ref().filter(|v| v.share_fen > 0);
    NewBooking {
        resource_id: req.resource.0,
        booker_id: booker.0,
        organization_id: org.0,
        state,
        blocking,
        exclusive: blocking && loaded.view.row.capacity == 1,
        start_at: naive(req.span.start),
        end_at: naive(req.span.end),
        block_start: naive(buffered.start),
        block_end: naive(buffered.end),
        quantity: req.quantity,
        purpose: req.purpose.clone(),
        wants_waitlist: req.waitlist,
        series_id: req.series.clone(),
        pending_deadline: (state == BookingState::Pending)
            .then(|| naive(pending_deadline(now, req.span.start))),
        operator_assisted: terms.operator_assisted,
        version: 1,
        created_at: naive(now),
        updated_at: naive(now),
        customer_category: price.customer_category.as_str().into(),
        rate_fen: price.rate_fen,
        shift_min: price.shift_min.map(|m| m as i32),
        gross_fen: price.gross_fen,
        purpose_kind: req.purpose_kind.as_str().into(),
        voucher_id: voucher.map(|v| v.id),
        voucher_share_fen: terms.priced.voucher_share(),
    }
}

/// Prices a request at the booker's category. With a voucher, the enterprise's vouchers of its
/// programme are locked first, so the quote checked here is the one the hold is taken on; a
/// co-payment above the accepted one refuses the request with the fresh quote.
fn price_request(
    conn: &mut DbConnection,
    org: OrganizationId,
    loaded: &Loaded,
    req: &Request,
    now: Instant,
) -> Result<payment::Quote, Failure> {
    if let Some(p) = req.payment {
        payment::lock_vouchers(conn, p.voucher)?;
    }
    let minutes = (req.span.end - req.span.start).num_minutes();
    let quote = payment::quote(
        conn,
        org,
        &loaded.view,
        (req.quantity, minutes),
        req.payment.map(|p| p.voucher),
        req.purpose_kind,
        now,
    )?;
    match req.payment {
        Some(p) if quote.co_payment_fen > p.accepted_co_payment => {
            Err(payment::quote_changed(&quote, p.accepted_co_payment).into())
        }
        _ => Ok(quote),
    }
}

/// A booking just written, with the time zone its times are shown in.
pub struct Made {
    pub row: BookingRow,
    pub tz: chrono_tz::Tz,
}

fn not_qualified() -> ServiceError {
    ServiceError::new(
        ErrorCode::NotQualified,
        "this resource takes only users qualified on it until the booking's end; \
         ask its operators for a qualification",
    )
}

/// A free slot offered instead of a refused one.
#[derive(Debug, Clone)]
pub struct Alternative {
    pub resource: ResourceId,
    pub span: Span,
}

/// The bookable slots of the same length nearest to `wanted` on an already loaded resource, up to
/// `limit`, searching a week either side.
pub fn nearest_slots(
    loaded: &Loaded,
    wanted: Span,
    quantity: i64,
    now: Instant,
    limit: usize,
) -> Vec<Alternative> {
    let cal = loaded.calendar();
    let length = wanted.end - wanted.start;
    let window = Span::new(
        wanted.start - Duration::days(7),
        wanted.end + Duration::days(7),
    );
    let mut slots: Vec<Span> = Vec::new();
    for free in cal.bookable_spans(window, quantity, now, length.num_minutes()) {
        // The slot nearest to the wanted start within this free interval, on the grid.
        let latest = free.end - length;
        let start = wanted.start.clamp(free.start, latest.max(free.start));
        let start = cal.floor_to_grid(start).max(free.start);
        let candidate = Span::new(start, start + length);
        if free.contains(&candidate) && cal.check(candidate, quantity, now).is_ok() {
            slots.push(candidate);
        }
    }
    slots.sort_by_key(|s| (s.start - wanted.start).num_minutes().abs());
    slots.truncate(limit);
    let resource = ResourceId(loaded.view.row.id);
    slots
        .into_iter()
        .map(|span| Alternative { resource, span })
        .collect()
}
