//! The availability engine against examples worked by hand, and against a brute-force model that
//! looks at every minute.

use chrono::{Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::domain::opening::{DatedException, OpeningHours, WeeklyRule};
use crate::domain::resource::BookingRules;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Instant {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn rules(granularity: i32) -> BookingRules {
    BookingRules {
        granularity_min: granularity,
        min_duration_min: granularity,
        max_duration_min: 12 * 60,
        lead_time_min: 0,
        cancel_lead_time_min: 0,
        advance_window_days: 365,
        setup_min: 0,
        teardown_min: 0,
        no_show_grace_min: 30,
    }
}

fn weekdays(start: u16, end: u16) -> OpeningHours {
    OpeningHours {
        weekly: (1..=7)
            .map(|weekday| WeeklyRule {
                weekday,
                start_min: start,
                end_min: end,
            })
            .collect(),
        exceptions: vec![],
    }
}

#[test]
fn opening_hours_follow_berlin_across_both_dst_changes() {
    let hours = weekdays(8 * 60, 18 * 60);
    let cal = Calendar {
        tz: chrono_tz::Europe::Berlin,
        rules: rules(30),
        capacity: 1,
        hours: &hours,
        blackouts: &[],
        occupied: &[],
    };
    // 2026-03-29: clocks go from 02:00 to 03:00; 08:00 local is 06:00 UTC after, 07:00 UTC before.
    let spring = cal.open_spans(Span::new(utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)));
    assert_eq!(
        spring,
        vec![
            Span::new(utc(2026, 3, 28, 7, 0), utc(2026, 3, 28, 17, 0)),
            Span::new(utc(2026, 3, 29, 6, 0), utc(2026, 3, 29, 16, 0)),
        ]
    );
    // 2026-10-25: clocks go from 03:00 back to 02:00.
    let autumn = cal.open_spans(Span::new(utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0)));
    assert_eq!(
        autumn,
        vec![
            Span::new(utc(2026, 10, 24, 6, 0), utc(2026, 10, 24, 16, 0)),
            Span::new(utc(2026, 10, 25, 7, 0), utc(2026, 10, 25, 17, 0)),
        ]
    );
}

#[test]
fn durations_are_elapsed_time_across_both_changes() {
    let hours = weekdays(0, 1440);
    let mut r = rules(60);
    r.max_duration_min = 120;
    let cal = Calendar {
        tz: chrono_tz::Europe::Berlin,
        rules: r,
        capacity: 1,
        hours: &hours,
        blackouts: &[],
        occupied: &[],
    };
    let now = utc(2027, 10, 1, 0, 0);
    // 2027-10-31: the first 02:00+02:00 to 03:00+02:00 is one real hour.
    let first_two = Span::new(utc(2027, 10, 31, 0, 0), utc(2027, 10, 31, 1, 0));
    assert_eq!(cal.check(first_two, 1, now), Ok(()));
    // 01:00+02:00 to 02:00+01:00 shows one hour on the wall but lasts two.
    let doubled = Span::new(utc(2027, 10, 30, 23, 0), utc(2027, 10, 31, 1, 0));
    assert_eq!(doubled.minutes(), 120);
    assert_eq!(cal.check(doubled, 1, now), Ok(()));
    let three = Span::new(utc(2027, 10, 30, 23, 0), utc(2027, 10, 31, 2, 0));
    assert_eq!(
        cal.check(three, 1, now),
        Err(Refusal::TooLong { max_minutes: 120 })
    );
}

#[test]
fn a_night_shift_across_the_spring_change_is_seven_real_hours() {
    let hours = weekdays(0, 1440);
    let mut r = rules(60);
    r.min_duration_min = 480;
    r.max_duration_min = 480;
    let cal = Calendar {
        tz: chrono_tz::Europe::Berlin,
        rules: r,
        capacity: 1,
        hours: &hours,
        blackouts: &[],
        occupied: &[],
    };
    let now = utc(2026, 3, 1, 0, 0);
    // 00:00+01:00 to 08:00+02:00 reads 8 hours on the wall and lasts 7.
    let wall_shift = Span::new(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 6, 0));
    assert_eq!(
        cal.check(wall_shift, 1, now),
        Err(Refusal::TooShort { min_minutes: 480 })
    );
    let real_shift = Span::new(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 7, 0));
    assert_eq!(cal.check(real_shift, 1, now), Ok(()));
}

#[test]
fn buffers_capacity_and_blackouts_shape_the_offer() {
    let hours = weekdays(8 * 60, 18 * 60);
    let mut r = rules(30);
    r.setup_min = 30;
    r.teardown_min = 30;
    let taken = [Occupancy {
        span: Span::new(utc(2026, 6, 1, 1, 30), utc(2026, 6, 1, 3, 30)),
        quantity: 1,
    }];
    let blackouts = [Span::new(utc(2026, 6, 1, 7, 0), utc(2026, 6, 1, 8, 0))];
    let cal = Calendar {
        tz: chrono_tz::Asia::Shanghai,
        rules: r,
        capacity: 1,
        hours: &hours,
        blackouts: &blackouts,
        occupied: &taken,
    };
    let day = Span::new(utc(2026, 6, 1, 0, 0), utc(2026, 6, 1, 10, 0));
    // Open 00:00-10:00 UTC; taken 01:30-03:30 (buffered); dark 07:00-08:00. With 30-minute
    // buffers, which may run outside opening hours but not into other bookings or blackouts, a
    // booking fits in 00:00-01:00, 04:00-06:30 and 08:30-10:00.
    let offered = cal.bookable_spans(day, 1, utc(2026, 5, 1, 0, 0), 0);
    assert_eq!(
        offered,
        vec![
            Span::new(utc(2026, 6, 1, 0, 0), utc(2026, 6, 1, 1, 0)),
            Span::new(utc(2026, 6, 1, 4, 0), utc(2026, 6, 1, 6, 30)),
            Span::new(utc(2026, 6, 1, 8, 30), utc(2026, 6, 1, 10, 0)),
        ]
    );
    let clash = Span::new(utc(2026, 6, 1, 3, 30), utc(2026, 6, 1, 4, 30));
    assert_eq!(
        cal.check(clash, 1, utc(2026, 5, 1, 0, 0)),
        Err(Refusal::Conflict {
            spans: vec![taken[0].span]
        })
    );
    let dark = Span::new(utc(2026, 6, 1, 8, 0), utc(2026, 6, 1, 9, 0));
    assert!(matches!(
        cal.check(dark, 1, utc(2026, 5, 1, 0, 0)),
        Err(Refusal::Blackout { .. })
    ));
}

#[test]
fn shape_rules_are_named() {
    let hours = weekdays(0, 1440);
    let mut r = rules(30);
    r.lead_time_min = 60;
    r.advance_window_days = 7;
    r.max_duration_min = 120;
    let cal = Calendar {
        tz: chrono_tz::Asia::Shanghai,
        rules: r,
        capacity: 2,
        hours: &hours,
        blackouts: &[],
        occupied: &[],
    };
    let now = utc(2026, 6, 1, 0, 0);
    let at = |h: u32, m: u32, len: i64| {
        Span::new(
            utc(2026, 6, 2, h, m),
            utc(2026, 6, 2, h, m) + Duration::minutes(len),
        )
    };
    assert_eq!(
        cal.check(at(1, 0, 0), 1, now),
        Err(Refusal::EndNotAfterStart)
    );
    assert_eq!(
        cal.check(at(1, 10, 30), 1, now),
        Err(Refusal::Misaligned {
            granularity_min: 30
        })
    );
    assert_eq!(
        cal.check(at(1, 0, 150), 1, now),
        Err(Refusal::TooLong { max_minutes: 120 })
    );
    assert_eq!(
        cal.check(at(1, 0, 30), 3, now),
        Err(Refusal::QuantityAboveCapacity { capacity: 2 })
    );
    let soon = Span::new(utc(2026, 6, 1, 0, 30), utc(2026, 6, 1, 1, 0));
    assert_eq!(
        cal.check(soon, 1, now),
        Err(Refusal::TooSoon {
            earliest: utc(2026, 6, 1, 1, 0)
        })
    );
    let far = Span::new(utc(2026, 6, 9, 0, 0), utc(2026, 6, 9, 1, 0));
    assert!(matches!(
        cal.check(far, 1, now),
        Err(Refusal::TooFarAhead { .. })
    ));
    assert_eq!(cal.check(at(1, 0, 120), 2, now), Ok(()));
}

#[test]
fn dated_exceptions_replace_the_weekly_rule() {
    let mut hours = weekdays(8 * 60, 18 * 60);
    hours.exceptions.push(DatedException {
        day: NaiveDate::from_ymd_opt(2026, 6, 2).unwrap(),
        interval: None,
        reason: "closed".into(),
    });
    hours.exceptions.push(DatedException {
        day: NaiveDate::from_ymd_opt(2026, 6, 3).unwrap(),
        interval: Some((600, 720)),
        reason: "short".into(),
    });
    let cal = Calendar {
        tz: Tz::UTC,
        rules: rules(30),
        capacity: 1,
        hours: &hours,
        blackouts: &[],
        occupied: &[],
    };
    let spans = cal.open_spans(Span::new(utc(2026, 6, 2, 0, 0), utc(2026, 6, 4, 0, 0)));
    assert_eq!(
        spans,
        vec![Span::new(utc(2026, 6, 3, 10, 0), utc(2026, 6, 3, 12, 0))]
    );
}

/// A random resource, its bookings and the moment of asking.
struct Case {
    tz: Tz,
    rules: BookingRules,
    capacity: i64,
    hours: OpeningHours,
    blackouts: Vec<Span>,
    occupied: Vec<Occupancy>,
    now: Instant,
    window: Span,
}

fn random_case(rng: &mut StdRng) -> Case {
    let tz = [
        Tz::UTC,
        chrono_tz::Asia::Shanghai,
        chrono_tz::Europe::Berlin,
    ][rng.random_range(0..3)];
    // Start near a Berlin DST change half of the time.
    let day0 = [
        utc(2026, 3, 28, 0, 0),
        utc(2026, 10, 24, 0, 0),
        utc(2026, 6, 10, 0, 0),
    ][rng.random_range(0..3)];
    let g = [15, 30, 60][rng.random_range(0..3)];
    let min = g * rng.random_range(1..=3);
    let rules = BookingRules {
        granularity_min: g,
        min_duration_min: min,
        max_duration_min: min + g * rng.random_range(0..=6),
        lead_time_min: [0, 45, 120][rng.random_range(0..3)],
        cancel_lead_time_min: 0,
        advance_window_days: rng.random_range(1..=3),
        setup_min: [0, 15, 30][rng.random_range(0..3)],
        teardown_min: [0, 15, 30][rng.random_range(0..3)],
        no_show_grace_min: 30,
    };
    let mut weekly = Vec::new();
    for weekday in 1..=7u8 {
        let mut at = 0u16;
        for _ in 0..rng.random_range(0..=2) {
            let start = at + rng.random_range(0..8) * 60 + [0, 30][rng.random_range(0..2)];
            let end = (start + rng.random_range(1..10) * 45).min(1440);
            if start >= 1440 || start >= end {
                break;
            }
            weekly.push(WeeklyRule {
                weekday,
                start_min: start,
                end_min: end,
            });
            at = end;
        }
    }
    let mut exceptions = Vec::new();
    if rng.random_bool(0.3) {
        let local = day0.with_timezone(&tz).date_naive() + Duration::days(rng.random_range(0..3));
        let interval = rng.random_bool(0.5).then_some((9 * 60, 13 * 60));
        exceptions.push(DatedException {
            day: local,
            interval,
            reason: "x".into(),
        });
    }
    let capacity = rng.random_range(1..=3);
    let random_span = |rng: &mut StdRng, max_len: i64| {
        let start = day0 + Duration::minutes(rng.random_range(0..3 * 1440 / 15) * 15);
        Span::new(
            start,
            start + Duration::minutes(rng.random_range(1..=max_len / 15) * 15),
        )
    };
    let blackouts = (0..rng.random_range(0..=2))
        .map(|_| random_span(rng, 240))
        .collect();
    let occupied = (0..rng.random_range(0..=8))
        .map(|_| Occupancy {
            span: random_span(rng, 300),
            quantity: rng.random_range(1..=capacity),
        })
        .collect();
    let now = day0 - Duration::minutes(rng.random_range(0..=2 * 1440 / 15) * 15);
    Case {
        tz,
        rules,
        capacity,
        hours: OpeningHours { weekly, exceptions },
        blackouts,
        occupied,
        now,
        window: Span::new(day0, day0 + Duration::days(3)),
    }
}

impl Case {
    fn calendar(&self) -> Calendar<'_> {
        Calendar {
            tz: self.tz,
            rules: self.rules,
            capacity: self.capacity,
            hours: &self.hours,
            blackouts: &self.blackouts,
            occupied: &self.occupied,
        }
    }

    /// Minute by minute: is this minute inside opening hours on the local wall clock?
    fn open_at(&self, t: Instant) -> bool {
        let local = t.with_timezone(&self.tz).naive_local();
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.hours
            .intervals_on(local.date())
            .iter()
            .any(|(s, e)| *s <= minute && minute < *e)
    }

    fn free_at(&self, t: Instant, quantity: i64) -> bool {
        let used: i64 = self
            .occupied
            .iter()
            .filter(|o| o.span.start <= t && t < o.span.end)
            .map(|o| o.quantity)
            .sum();
        used + quantity <= self.capacity
            && !self.blackouts.iter().any(|b| b.start <= t && t < b.end)
    }

    fn on_grid(&self, t: Instant) -> bool {
        let local = t.with_timezone(&self.tz).naive_local();
        (local.hour() * 60 + local.minute()).is_multiple_of(self.rules.granularity_min as u32)
    }

    /// The model: every rule checked minute by minute.
    fn valid(&self, s: Instant, e: Instant, q: i64) -> bool {
        let r = &self.rules;
        let elapsed = (e - s).num_minutes();
        let minutes = |from: Instant, to: Instant| {
            let n = (to - from).num_minutes();
            (0..n).map(move |i| from + Duration::minutes(i))
        };
        e > s
            && q <= self.capacity
            && self.on_grid(s)
            && self.on_grid(e)
            && elapsed >= r.min_duration_min.into()
            && elapsed <= r.max_duration_min.into()
            && s >= self.now + Duration::minutes(r.lead_time_min.into())
            && e <= self.now + Duration::days(r.advance_window_days.into())
            && minutes(s, e).all(|m| self.open_at(m))
            && minutes(
                s - Duration::minutes(r.setup_min.into()),
                e + Duration::minutes(r.teardown_min.into()),
            )
            .all(|m| self.free_at(m, q))
    }
}

#[test]
fn engine_agrees_with_a_minute_by_minute_model() {
    let mut rng = StdRng::seed_from_u64(20261129);
    let mut valid_seen = 0;
    for case_no in 0..150 {
        let case = random_case(&mut rng);
        let cal = case.calendar();
        let q = rng.random_range(1..=case.capacity);
        let offered = cal.bookable_spans(case.window, q, case.now, 0);
        let g = Duration::minutes(case.rules.granularity_min.into());
        let mut bookable = vec![false; offered.len()];
        let mut s = case.window.start;
        while s < case.window.end {
            for steps in 1..=(case.rules.max_duration_min / case.rules.granularity_min + 1) {
                let e = s + g * steps;
                if e > case.window.end {
                    break;
                }
                let model = case.valid(s, e, q);
                let engine = cal.check(Span::new(s, e), q, case.now).is_ok();
                assert_eq!(
                    engine, model,
                    "case {case_no}: check({s}, {e}, q={q}) = {engine}, model says {model}"
                );
                let rules_ok = cal.check_shape(Span::new(s, e), q, case.now).is_ok();
                if rules_ok {
                    let inside = offered.iter().position(|o| o.contains(&Span::new(s, e)));
                    assert_eq!(
                        inside.is_some(),
                        model,
                        "case {case_no}: [{s}, {e}) offered={inside:?}, model says {model}"
                    );
                    if let Some(i) = inside {
                        bookable[i] = true;
                    }
                }
                valid_seen += usize::from(model);
            }
            s += g;
        }
        for (o, ok) in offered.iter().zip(&bookable) {
            assert!(ok, "case {case_no}: offered {o:?} holds no bookable slot");
        }
    }
    assert!(
        valid_seen > 1000,
        "the random cases exercise bookable slots ({valid_seen})"
    );
}
