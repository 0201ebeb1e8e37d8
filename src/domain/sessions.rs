//! Recorded use against capacity: who is checked in at the same time. A check-in opens a session
//! without an end, so it fits only if the sessions still open, or closed after it began, leave
//! room for its quantity at every instant from then on.

use super::availability::Instant;

/// One booking's recorded use: from its check-in to its check-out, or still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub booking: i64,
    pub from: Instant,
    pub to: Option<Instant>,
    pub quantity: i64,
}

impl Session {
    fn ends_after(&self, t: Instant) -> bool {
        self.to.is_none_or(|to| to > t)
    }
}

/// The sessions that leave no room for a new one of `quantity` opened at `arrived`, or none when
/// it fits within `capacity`.
pub fn crowding(
    sessions: &[Session],
    arrived: Instant,
    quantity: i64,
    capacity: i64,
) -> Vec<Session> {
    let overlapping: Vec<Session> = sessions
        .iter()
        .filter(|s| s.ends_after(arrived))
        .copied()
        .collect();
    if peak_from(&overlapping, arrived) + quantity <= capacity {
        Vec::new()
    } else {
        overlapping
    }
}

/// The most units the sessions hold at once at or after `t`.
fn peak_from(sessions: &[Session], t: Instant) -> i64 {
    let mut edges: Vec<(Instant, i64)> = Vec::new();
    for s in sessions {
        edges.push((s.from.max(t), s.quantity));
        if let Some(to) = s.to {
            edges.push((to, -s.quantity));
        }
    }
    // An end sorts before a start at the same instant: a hand-over does not add up.
    edges.sort();
    let (mut held, mut peak) = (0, 0);
    for (_, delta) in edges {
        held += delta;
        peak = peak.max(held);
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(h: u32, m: u32) -> Instant {
        Utc.with_ymd_and_hms(2027, 3, 1, h, m, 0).unwrap()
    }

    fn session(booking: i64, from: Instant, to: Option<Instant>, quantity: i64) -> Session {
        Session {
            booking,
            from,
            to,
            quantity,
        }
    }

    #[test]
    fn an_open_session_fills_a_capacity_of_one() {
        let open = [session(1, at(10, 0), None, 1)];
        assert_eq!(crowding(&open, at(10, 50), 1, 1), open.to_vec());
        assert!(crowding(&open, at(10, 50), 1, 2).is_empty());
    }

    #[test]
    fn a_session_closed_before_the_arrival_leaves_room() {
        let closed = [session(1, at(10, 0), Some(at(10, 45)), 1)];
        assert!(crowding(&closed, at(10, 45), 1, 1).is_empty());
        assert_eq!(crowding(&closed, at(10, 30), 1, 1), closed.to_vec());
    }

    #[test]
    fn units_add_up_only_where_sessions_overlap() {
        // 2 units until 11:00, then 2 others from 11:00: never more than 2 at once.
        let sessions = [
            session(1, at(9, 0), Some(at(11, 0)), 2),
            session(2, at(11, 0), None, 2),
        ];
        assert!(crowding(&sessions, at(10, 0), 2, 4).is_empty());
        assert_eq!(crowding(&sessions, at(10, 0), 3, 4).len(), 2);
    }
}
