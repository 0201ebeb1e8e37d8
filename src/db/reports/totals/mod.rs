//! Month-by-month totals of recorded use (Asia/Shanghai calendar months), kept in the transaction
//! of each change that records use, so that reports over whole months read a few rows per
//! resource instead of every use. A use across months is shared out by [`Use::before`], the same
//! rule reports use for any period, so months add up exactly to what a scan of the uses gives.

mod write;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::bookings::BookingRow;
use crate::db::schema::{allocations as a, bookings as b, rollup_state, usage_records as ur};
use crate::domain::availability::Span;
use crate::domain::ids::BookingId;
use crate::domain::months::{month_key, month_of, next_month, start_of};
use crate::domain::sharing::{LATE_CANCEL_HOURS, Use};
use crate::domain::types::BookingState;

type UseKey = (i64, i64, i64, String);

/// Totals to add: by (resource, organisation, voucher or 0, month), users by month, endings by
/// the month a booking was due to start.
#[derive(Default)]
pub struct Tally {
    uses: HashMap<UseKey, [i64; 4]>,
    users: HashSet<(i64, String, String)>,
    endings: HashMap<(i64, String), [i64; 3]>,
    longest: HashMap<i64, i64>,
}

impl Tally {
    /// Shares a use out over the months it touches; its fee, voucher payment and count go to the
    /// month it ended in.
    pub fn add_use(&mut self, resource: i64, voucher: Option<i64>, u: &Use, voucher_fen: i64) {
        let wall = (u.used.end - u.used.start).num_minutes() + 1;
        let longest = self.longest.entry(resource).or_default();
        *longest = (*longest).max(wall);
        let mut month = month_of(u.used.start.naive_utc());
        loop {
            let next = next_month(month);
            let span = Span::new(start_of(month).and_utc(), start_of(next).and_utc());
            if span.start > u.used.end {
                break;
            }
            let minutes = u.before(span.end) - u.before(span.start);
            let ended = u.ended_in(span);
            if minutes != 0 || ended {
                let key = (
                    resource,
                    u.organization,
                    voucher.unwrap_or(0),
                    month_key(month),
                );
                let t = self.uses.entry(key).or_default();
                t[0] = t[0].saturating_add(minutes);
                if ended {
                    t[1] = t[1].saturating_add(u.fee_fen);
                    t[2] = t[2].saturating_add(voucher_fen);
                    t[3] += 1;
                }
            }
            // A user of the month if the use overlaps it at all, as a scan of the uses counts.
            if span.start < u.used.end && u.used.start < span.end {
                self.users
                    .insert((resource, u.user.clone(), month_key(month)));
            }
            if ended || next == month {
                break;
            }
            month = next;
        }
    }

    /// Counts a booking that has just ended as completed, no-show or cancelled.
    pub fn add_ending(&mut self, booking: &BookingRow) {
        let late_from = booking.start_at - chrono::Duration::hours(LATE_CANCEL_HOURS);
        let (due, no_show, late) = match booking.state {
            BookingState::Completed => (1, 0, 0),
            BookingState::NoShow => (1, 1, 0),
            BookingState::Cancelled if booking.updated_at > late_from => (1, 0, 1),
            BookingState::Cancelled => (0, 0, 0),
            _ => return,
        };
        let key = (booking.resource_id, month_key(month_of(booking.start_at)));
        let e = self.endings.entry(key).or_default();
        e[0] += due;
        e[1] += no_show;
        e[2] += late;
    }

    /// Adds a completed booking's use.
    pub fn add_booking(&mut self, booking: &BookingRow) {
        let (Some(i), Some(o)) = (booking.check_in_at, booking.check_out_at) else {
            return;
        };
        let user = format!("u{}", booking.booker_id);
        let used = Span::new(i.and_utc(), o.and_utc());
        let fee = booking.final_gross_fen.unwrap_or(0);
        let u = Use::booked(booking.organization_id, &user, used, booking.quantity, fee);
        let paid = booking.final_voucher_fen.unwrap_or(0);
        self.add_use(booking.resource_id, booking.voucher_id, &u, paid);
    }

    /// Writes the totals into empty tables (a rebuild), a thousand rows a statement.
    fn insert_fresh(&self, conn: &mut DbConnection) -> QueryResult<()> {
        use crate::db::schema::user_months as usm;
        use crate::db::schema::{ending_months as em, use_bounds as ub, use_months as um};
        let uses: Vec<_> = self
            .uses
            .iter()
            .map(|((r, o, v, m), t)| {
                let key = (um::resource_id.eq(*r), um::organization_id.eq(*o));
                let at = (um::voucher_id.eq(*v), um::month.eq(m.clone()));
                let sums = (um::unit_minutes.eq(t[0]), um::fee_fen.eq(t[1]));
                let paid = (um::voucher_fen.eq(t[2]), um::uses.eq(t[3]));
                (key, at, sums, paid)
            })
            .collect();
        crate::insert_in_chunks!(conn, um::table, uses);
        let users: Vec<_> = self
            .users
            .iter()
            .map(|(r, u, m)| {
                (
                    usm::resource_id.eq(*r),
                    usm::user_key.eq(u.clone()),
                    usm::month.eq(m.clone()),
                )
            })
            .collect();
        crate::insert_in_chunks!(conn, usm::table, users);
        let endings: Vec<_> = self
            .endings
            .iter()
            .map(|((r, m), e)| {
                let key = (em::resource_id.eq(*r), em::month.eq(m.clone()));
                (
                    key,
                    em::due.eq(e[0]),
                    em::no_shows.eq(e[1]),
                    em::late_cancels.eq(e[2]),
                )
            })
            .collect();
        crate::insert_in_chunks!(conn, em::table, endings);
        let bounds: Vec<_> = self
            .longest
            .iter()
            .map(|(r, m)| (ub::resource_id.eq(*r), ub::longest_use_min.eq(*m)))
            .collect();
        crate::insert_in_chunks!(conn, ub::table, bounds);
        Ok(())
    }
}

/// Counts how a booking that has just reached a final state ended. Called once per booking, in
/// the transaction of the change.
pub fn booking_ended(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let Some(booking) = crate::db::bookings::find(conn, BookingId(id))? else {
        return Ok(());
    };
    let mut t = Tally::default();
    t.add_ending(&booking);
    t.write(conn)
}

/// Adds a booking's recorded use once it has been charged (its check-out and fee written),
/// whichever way it was completed. Called once per booking, in the transaction of the charge.
pub fn booking_used(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let Some(booking) = crate::db::bookings::find(conn, BookingId(id))? else {
        return Ok(());
    };
    let mut t = Tally::default();
    t.add_booking(&booking);
    t.write(conn)
}

/// What a computing job is to the reports: a use by its allocation's organisation, whose user
/// is its login on the resource.
fn job_use(
    (organization, resource): (i64, i64),
    user_name: &str,
    (started, ended): (NaiveDateTime, NaiveDateTime),
    (unit_minutes, fee_fen): (i64, i64),
) -> Use {
    Use {
        organization,
        user: format!("r{resource}:{user_name}"),
        used: Span::new(started.and_utc(), ended.and_utc()),
        unit_minutes,
        fee_fen,
    }
}

/// Adds newly recorded jobs of one allocation.
pub fn jobs_recorded(
    conn: &mut DbConnection,
    allocation: &crate::db::allocations::AllocationRow,
    rows: &[crate::db::allocations::NewRecord],
) -> QueryResult<()> {
    let mut t = Tally::default();
    for r in rows {
        let whose = (allocation.organization_id, r.resource_id);
        let when = (r.started_at, r.ended_at);
        let u = job_use(whose, &r.user_name, when, (r.unit_minutes, r.fee_fen));
        t.add_use(r.resource_id, allocation.voucher_id, &u, 0);
    }
    t.write(conn)
}

/// Holds the totals for this transaction: another rebuild (or a change adding to them) waits, so
/// two rebuilds never add their rows to each other's. On SQLite the write transaction already
/// holds the only write lock.
fn lock(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        use diesel::connection::SimpleConnection;
        pg.batch_execute(
            "LOCK TABLE rollup_state, use_months, user_months, ending_months, use_bounds \
             IN EXCLUSIVE MODE",
        )?;
    }
    Ok(())
}

/// How many rows the rebuild reads at a time.
const CHUNK: i64 = 10_000;

/// Rebuilds every total from the recorded uses and bookings, replacing what was there.
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    lock(conn)?;
    diesel::delete(crate::db::schema::use_months::table).execute(conn)?;
    diesel::delete(crate::db::schema::user_months::table).execute(conn)?;
    diesel::delete(crate::db::schema::ending_months::table).execute(conn)?;
    diesel::delete(crate::db::schema::use_bounds::table).execute(conn)?;
    let mut t = Tally::default();
    let mut after = 0;
    loop {
        let rows: Vec<BookingRow> = b::table
            .filter(b::id.gt(after))
            .filter(b::state.eq_any([
                BookingState::Completed,
                BookingState::NoShow,
                BookingState::Cancelled,
            ]))
            .order(b::id)
            .limit(CHUNK)
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for booking in &rows {
            t.add_ending(booking);
            if booking.state == BookingState::Completed {
                t.add_booking(booking);
            }
        }
    }
    let mut after = 0;
    loop {
        let rows: Vec<(crate::db::allocations::RecordRow, i64, Option<i64>)> = ur::table
            .inner_join(a::table)
            .filter(ur::id.gt(after))
            .order(ur::id)
            .limit(CHUNK)
            .select((ur::all_columns, a::organization_id, a::voucher_id))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.id;
        for (r, org, voucher) in &rows {
            let when = (r.started_at, r.ended_at);
            let u = job_use(
                (*org, r.resource_id),
                &r.user_name,
                when,
                (r.unit_minutes, r.fee_fen),
            );
            t.add_use(r.resource_id, *voucher, &u, 0);
        }
    }
    t.insert_fresh(conn)?;
    diesel::delete(rollup_state::table).execute(conn)?;
    diesel::insert_into(rollup_state::table)
        .values((
            rollup_state::name.eq("months"),
            rollup_state::built_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Builds the totals if they have never been built (a database from before they existed, or one
/// whose uses were written around the server).
pub fn ensure(db: &crate::db::Db) -> Result<bool, crate::db::StorageError> {
    let built = |conn: &mut DbConnection| -> QueryResult<bool> {
        let name: Option<String> = rollup_state::table
            .select(rollup_state::name)
            .first(conn)
            .optional()?;
        Ok(name.is_some())
    };
    if db.read_blocking(|conn| built(conn).map_err(crate::db::StorageError::from))? {
        return Ok(false);
    }
    // Asked again under the lock: two servers starting together build the totals once.
    db.write_blocking(|conn| {
        lock(conn)?;
        if built(conn)? {
            return Ok(false);
        }
        rebuild(conn)?;
        Ok::<_, crate::db::StorageError>(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> crate::domain::availability::Instant {
        s.parse().unwrap()
    }

    #[test]
    fn a_use_across_a_shanghai_month_end_is_shared_by_its_minutes() {
        // 23:00 on 31 January to 02:00 on 1 February, Shanghai time: 60 minutes, then 120.
        let used = Span::new(at("2027-01-31T15:00:00Z"), at("2027-01-31T18:00:00Z"));
        let u = Use::booked(7, "u1", used, 2, 300);
        let mut t = Tally::default();
        t.add_use(1, None, &u, 0);
        assert_eq!(t.uses[&(1, 7, 0, "2027-01".into())], [120, 0, 0, 0]);
        assert_eq!(t.uses[&(1, 7, 0, "2027-02".into())], [240, 300, 0, 1]);
        assert_eq!(t.users.len(), 2, "a user of both months");
        assert_eq!(t.longest[&1], 181);
    }

    #[test]
    fn months_add_up_to_the_use() {
        for (start, end, units) in [
            ("2027-03-10T01:00:00Z", "2027-05-20T07:31:00Z", 3),
            ("2027-03-31T15:59:30Z", "2027-03-31T16:00:10Z", 1),
            ("2027-12-31T10:00:00Z", "2028-01-02T10:00:00Z", 8),
        ] {
            let u = Use::booked(1, "u", Span::new(at(start), at(end)), units, 1);
            let mut t = Tally::default();
            t.add_use(1, Some(4), &u, 0);
            let minutes: i64 = t.uses.values().map(|v| v[0]).sum();
            let counted: i64 = t.uses.values().map(|v| v[3]).sum();
            assert_eq!((minutes, counted), (u.unit_minutes, 1), "{start}..{end}");
        }
    }
}
