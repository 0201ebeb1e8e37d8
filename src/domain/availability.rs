//! The one availability engine: what a resource offers as free, and whether a requested booking
//! fits, computed from the same spans so that anything offered can be booked.
//!
//! Everything is in UTC instants; the resource's time zone only decides where opening hours and
//! the granularity grid fall. Durations are real elapsed time, as they are priced and captured, so
//! the night a clock goes back an hour of the wall clock may last two: a quote and a booking
//! always agree on how long a request is.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::opening::OpeningHours;
use super::resource::BookingRules;

pub type Instant = DateTime<Utc>;

/// A half-open interval of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: Instant,
    pub end: Instant,
}

impl Span {
    pub fn new(start: Instant, end: Instant) -> Span {
        Span { start, end }
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    fn intersect(&self, other: &Span) -> Option<Span> {
        let s = Span::new(self.start.max(other.start), self.end.min(other.end));
        (s.start < s.end).then_some(s)
    }
}

/// Time already taken on a resource: a blocking booking's buffered interval and its quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupancy {
    pub span: Span,
    pub quantity: i64,
}

/// Everything the engine knows about one resource.
#[derive(Debug, Clone)]
pub struct Calendar<'a> {
    pub tz: Tz,
    pub rules: BookingRules,
    pub capacity: i64,
    pub hours: &'a OpeningHours,
    pub blackouts: &'a [Span],
    pub occupied: &'a [Occupancy],
}

/// Why a requested booking cannot be made, precisely enough to tell the user what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    EndNotAfterStart,
    QuantityNotPositive,
    QuantityAboveCapacity { capacity: i64 },
    Misaligned { granularity_min: i32 },
    TooShort { min_minutes: i32 },
    TooLong { max_minutes: i32 },
    TooSoon { earliest: Instant },
    TooFarAhead { latest: Instant },
    OutsideOpeningHours,
    Blackout { spans: Vec<Span> },
    Conflict { spans: Vec<Span> },
}

impl Calendar<'_> {
    fn setup(&self) -> Duration {
        Duration::minutes(self.rules.setup_min.into())
    }

    fn teardown(&self) -> Duration {
        Duration::minutes(self.rules.teardown_min.into())
    }

    /// The earliest start the lead time allows and the latest end the advance window allows.
    pub fn booking_horizon(&self, now: Instant) -> Span {
        Span::new(
            now + Duration::minutes(self.rules.lead_time_min.into()),
            now + Duration::days(self.rules.advance_window_days.into()),
        )
    }

    /// Opening hours within `window`, in UTC, adjacent intervals merged.
    pub fn open_spans(&self, window: Span) -> Vec<Span> {
        let first = self.local_date(window.start) - Duration::days(1);
        let last = self.local_date(window.end) + Duration::days(1);
        let mut spans = Vec::new();
        let mut day = first;
        while day <= last {
            for (s, e) in self.hours.intervals_on(day) {
                let start = self.to_utc(day, s, Edge::Start);
                let end = self.to_utc(day, e, Edge::End);
                if let Some(span) = Span::new(start, end).intersect(&window) {
                    spans.push(span);
                }
            }
            day += Duration::days(1);
        }
        merge(spans)
    }

    /// Where `quantity` more units fit and no blackout lies, within `window`: the ground a
    /// booking's buffered interval must stand on.
    pub fn free_spans(&self, window: Span, quantity: i64) -> Vec<Span> {
        let mut edges: Vec<(Instant, i64)> = Vec::new();
        for o in self.occupied.iter().filter(|o| o.span.overlaps(&window)) {
            edges.push((o.span.start, o.quantity));
            edges.push((o.span.end, -o.quantity));
        }
        edges.sort();
        let mut free = Vec::new();
        let (mut used, mut cursor) = (0i64, window.start);
        let mut fits = used + quantity <= self.capacity;
        for (at, delta) in edges {
            let at = at.clamp(window.start, window.end);
            if at > cursor {
                if fits {
                    free.push(Span::new(cursor, at));
                }
                cursor = at;
            }
            used += delta;
            fits = used + quantity <= self.capacity;
        }
        if fits && cursor < window.end {
            free.push(Span::new(cursor, window.end));
        }
        subtract(merge(free), self.blackouts)
    }

    /// The intervals offered for booking in `window`: inside opening hours, on free ground once
    /// buffers are added, within lead time and advance window, on the granularity grid, and at
    /// least `min_minutes` long. Any grid-aligned booking inside one of them whose length obeys the
    /// duration rules can be made.
    pub fn bookable_spans(
        &self,
        window: Span,
        quantity: i64,
        now: Instant,
        min_minutes: i64,
    ) -> Vec<Span> {
        if quantity < 1 || quantity > self.capacity {
            return Vec::new();
        }
        let Some(window) = window.intersect(&self.booking_horizon(now)) else {
            return Vec::new();
        };
        let wide = Span::new(window.start - self.setup(), window.end + self.teardown());
        let ground: Vec<Span> = self
            .free_spans(wide, quantity)
            .into_iter()
            .filter_map(|f| {
                let inner = Span::new(f.start + self.setup(), f.end - self.teardown());
                (inner.start < inner.end).then_some(inner)
            })
            .collect();
        let min_minutes = min_minutes.max(self.rules.min_duration_min.into());
        intersect_all(&self.open_spans(window), &ground)
            .into_iter()
            .filter_map(|s| {
                let start = self.ceil_to_grid(s.start);
                let end = self.floor_to_grid(s.end);
                let span = Span::new(start, end);
                (start < end && span.minutes() >= min_minutes).then_some(span)
            })
            .collect()
    }

    /// Whether `request` for `quantity` can be booked now; the first rule it breaks otherwise.
    pub fn check(&self, request: Span, quantity: i64, now: Instant) -> Result<(), Refusal> {
        self.check_shape(request, quantity, now)?;
        let open = self.open_spans(request);
        if !open.iter().any(|o| o.contains(&request)) {
            return Err(Refusal::OutsideOpeningHours);
        }
        self.check_fit(request, quantity)
    }

    /// Whether `request` still fits beside what is booked and clear of blackouts, ignoring the
    /// rules about when it may be requested: what an approval or a waitlist promotion asks.
    pub fn check_fit(&self, request: Span, quantity: i64) -> Result<(), Refusal> {
        let buffered = Span::new(request.start - self.setup(), request.end + self.teardown());
        let dark: Vec<Span> = self
            .blackouts
            .iter()
            .filter(|b| b.overlaps(&buffered))
            .copied()
            .collect();
        if !dark.is_empty() {
            return Err(Refusal::Blackout { spans: dark });
        }
        if self
            .free_spans(buffered, quantity)
            .iter()
            .any(|f| f.contains(&buffered))
        {
            return Ok(());
        }
        let mut spans: Vec<Span> = self
            .occupied
            .iter()
            .filter(|o| o.span.overlaps(&buffered))
            .map(|o| o.span)
            .collect();
        spans.sort();
        spans.dedup();
        Err(Refusal::Conflict { spans })
    }

    /// The rules a request must obey whatever else is booked.
    pub fn check_shape(&self, request: Span, quantity: i64, now: Instant) -> Result<(), Refusal> {
        let r = &self.rules;
        if request.end <= request.start {
            return Err(Refusal::EndNotAfterStart);
        }
        if quantity < 1 {
            return Err(Refusal::QuantityNotPositive);
        }
        if quantity > self.capacity {
            return Err(Refusal::QuantityAboveCapacity {
                capacity: self.capacity,
            });
        }
        if !self.on_grid(request.start) || !self.on_grid(request.end) {
            return Err(Refusal::Misaligned {
                granularity_min: r.granularity_min,
            });
        }
        let minutes = request.minutes();
        if minutes < i64::from(r.min_duration_min) {
            return Err(Refusal::TooShort {
                min_minutes: r.min_duration_min,
            });
        }
        if minutes > i64::from(r.max_duration_min) {
            return Err(Refusal::TooLong {
                max_minutes: r.max_duration_min,
            });
        }
        let horizon = self.booking_horizon(now);
        if request.start < horizon.start {
            return Err(Refusal::TooSoon {
                earliest: self.ceil_to_grid(horizon.start),
            });
        }
        if request.end > horizon.end {
            return Err(Refusal::TooFarAhead {
                latest: horizon.end,
            });
        }
        Ok(())
    }

    fn local(&self, t: Instant) -> NaiveDateTime {
        t.with_timezone(&self.tz).naive_local()
    }

    fn local_date(&self, t: Instant) -> NaiveDate {
        self.local(t).date()
    }

    /// True when `t` falls on a whole multiple of the granularity after local midnight.
    pub fn on_grid(&self, t: Instant) -> bool {
        let local = self.local(t);
        let minute = i64::from(local.hour() * 60 + local.minute());
        local.second() == 0
            && local.nanosecond() == 0
            && minute % i64::from(self.rules.granularity_min) == 0
    }

    /// The first grid point at or after `t` (local grid points inside a DST gap do not exist).
    pub fn ceil_to_grid(&self, t: Instant) -> Instant {
        self.step_to_grid(t, 1)
    }

    /// The last grid point at or before `t`.
    pub fn floor_to_grid(&self, t: Instant) -> Instant {
        self.step_to_grid(t, -1)
    }

    fn step_to_grid(&self, t: Instant, direction: i64) -> Instant {
        let g = i64::from(self.rules.granularity_min);
        let local = self.local(t);
        let midnight = local.date().and_hms_opt(0, 0, 0).unwrap_or(local);
        let exact = (local - midnight).num_seconds() % (g * 60) == 0 && local.nanosecond() == 0;
        if exact {
            return t;
        }
        let steps = (local - midnight).num_seconds().div_euclid(g * 60) + i64::from(direction > 0);
        let mut candidate = midnight + Duration::minutes(steps * g);
        // At most a day of grid points to try: DST gaps are never that long.
        for _ in 0..(24 * 60 / g + 2) {
            if let Some(instant) = self.tz.from_local_datetime(&candidate).earliest() {
                return instant.with_timezone(&Utc);
            }
            candidate += Duration::minutes(direction * g);
        }
        t
    }

    /// Converts local minute-of-day `minute` on `day` to UTC. A time inside a DST gap moves to the
    /// end of the gap; an ambiguous time takes its first occurrence for a start and its second for
    /// an end, so that an opening interval never loses wall-clock time.
    fn to_utc(&self, day: NaiveDate, minute: u16, edge: Edge) -> Instant {
        let base =
            day.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::minutes(minute.into());
        for shift in 0..=180 {
            let naive = base + Duration::minutes(shift);
            let found = match (self.tz.from_local_datetime(&naive), edge) {
                (chrono::LocalResult::Single(t), _) => Some(t),
                (chrono::LocalResult::Ambiguous(first, _), Edge::Start) => Some(first),
                (chrono::LocalResult::Ambiguous(_, second), Edge::End) => Some(second),
                (chrono::LocalResult::None, _) => None,
            };
            if let Some(t) = found {
                return t.with_timezone(&Utc);
            }
        }
        Utc.from_utc_datetime(&base)
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;

/// Sorts spans and joins those that overlap or touch.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// The parts of sorted, disjoint `a` that also lie in sorted, disjoint `b`.
pub fn intersect_all(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if let Some(s) = a[i].intersect(&b[j]) {
            out.push(s);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `spans` with every part covered by `holes` removed.
pub fn subtract(spans: Vec<Span>, holes: &[Span]) -> Vec<Span> {
    let holes = merge(holes.to_vec());
    let mut out = Vec::new();
    for s in spans {
        let mut cursor = s.start;
        for h in holes.iter().filter(|h| h.overlaps(&s)) {
            if h.start > cursor {
                out.push(Span::new(cursor, h.start));
            }
            cursor = cursor.max(h.end);
        }
        if cursor < s.end {
            out.push(Span::new(cursor, s.end));
        }
    }
    out
}
