//! The outbox: messages written with the change that causes them, claimed and delivered later.
//! A message is claimed with a lease; a dispatcher that dies leaves its claim to expire, so the
//! message goes out again (the one duplicate a crash can cause). On PostgreSQL the claim skips rows
//! another dispatcher has locked, so two servers never claim the same message.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::DbConnection;
use super::schema::{outbox, outbox_contents};
use crate::domain::types::MessageStatus;

/// A message's envelope and delivery state: the row that claims, renewals and outcomes rewrite.
#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = outbox)]
pub struct MessageHead {
    pub id: i64,
    pub dedupe_key: String,
    pub kind: String,
    pub user_id: Option<i64>,
    pub to_address: String,
    pub locale: String,
    pub subject: String,
    pub booking_id: Option<i64>,
    pub status: MessageStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// Random, drawn when queued; names the message in its Message-ID.
    pub message_key: Option<String>,
    /// The token of the claim that holds the message while it is being sent.
    pub claim_token: Option<String>,
}

/// What a message says: written once, with the message, and never changed.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = outbox_contents)]
pub struct Contents {
    pub message_id: i64,
    pub text_body: String,
    pub html_body: String,
    pub ics: Option<String>,
}

/// A whole message: its envelope and state, and what it says.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub head: MessageHead,
    pub text_body: String,
    pub html_body: String,
    pub ics: Option<String>,
}

impl MessageRow {
    pub fn new(head: MessageHead, contents: Contents) -> MessageRow {
        MessageRow {
            head,
            text_body: contents.text_body,
            html_body: contents.html_body,
            ics: contents.ics,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub dedupe_key: String,
    pub kind: String,
    pub user_id: Option<i64>,
    pub to_address: String,
    pub locale: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub ics: Option<String>,
    pub booking_id: Option<i64>,
    pub status: MessageStatus,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub message_key: String,
}

/// Queues a message unless one with its dedupe key exists; true when it was queued now.
pub fn enqueue(conn: &mut DbConnection, m: &NewMessage) -> QueryResult<bool> {
    let insert = diesel::insert_into(outbox::table)
        .values((
            outbox::dedupe_key.eq(&m.dedupe_key),
            outbox::kind.eq(&m.kind),
            outbox::user_id.eq(m.user_id),
            outbox::to_address.eq(&m.to_address),
            outbox::locale.eq(&m.locale),
            outbox::subject.eq(&m.subject),
            outbox::booking_id.eq(m.booking_id),
            outbox::status.eq(m.status),
            outbox::next_attempt_at.eq(m.next_attempt_at),
            outbox::created_at.eq(m.created_at),
            outbox::message_key.eq(&m.message_key),
        ))
        .on_conflict(outbox::dedupe_key)
        .do_nothing()
        .returning(outbox::id);
    // Per backend: the multi-backend query builder has no ON CONFLICT.
    let id: Option<i64> = match conn {
        DbConnection::Postgresql(pg) => insert.get_result(pg).optional()?,
        DbConnection::Sqlite(lite) => insert.get_result(lite).optional()?,
    };
    let Some(message_id) = id else {
        return Ok(false);
    };
    let contents = Contents {
        message_id,
        text_body: m.text_body.clone(),
        html_body: m.html_body.clone(),
        ics: m.ics.clone(),
    };
    diesel::insert_into(outbox_contents::table)
        .values(&contents)
        .execute(conn)?;
    Ok(true)
}

/// What the messages `ids` say, in the order of `ids`; None for a message that has no contents.
pub fn contents(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Option<Contents>>> {
    // One look-up by key each: SQLite planned `message_id IN (…)` as a scan of every message.
    ids.iter()
        .map(|id| outbox_contents::table.find(id).first(conn).optional())
        .collect()
}

/// A dispatcher's hold on the messages it claimed: its token, and until when it lasts unless
/// renewed.
#[derive(Debug, Clone)]
pub struct Claim {
    pub token: String,
    pub until: NaiveDateTime,
}

/// Claims up to `limit` due messages under `claim`: pending ones whose time has come, and
/// sending ones whose holder's lease ran out. Counts the attempt.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    claim: &Claim,
    limit: i64,
) -> QueryResult<Vec<MessageHead>> {
    // Numbered placeholders differ: $1 on PostgreSQL, ?1 on SQLite.
    let (p, skip_locked) = match conn {
        DbConnection::Postgresql(_) => ("$", "FOR UPDATE SKIP LOCKED"),
        DbConnection::Sqlite(_) => ("?", ""),
    };
    let sql = claim_sql(p, skip_locked);
    let query = diesel::sql_query(sql)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(claim.until)
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(&claim.token);
    let mut rows: Vec<MessageHead> = query.load(conn)?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// The claiming statement, with the backend's placeholders and row locking.
fn claim_sql(p: &str, skip_locked: &str) -> String {
    // Two searches, each through the (status, next_attempt_at) index and stopped at the limit:
    // one OR ordered by id made both engines walk every message ever sent, so a claim (and with
    // it delivery) slowed down as the outbox's history grew.
    format!(
        "UPDATE outbox SET status = 'sending', lease_until = {p}2, claim_token = {p}4, \
         attempts = attempts + 1 \
         WHERE id IN (\
           SELECT id FROM (SELECT id FROM outbox \
             WHERE status = 'pending' AND next_attempt_at <= {p}1 \
             ORDER BY next_attempt_at LIMIT {p}3 {skip_locked}) AS due \
           UNION ALL \
           SELECT id FROM (SELECT id FROM outbox \
             WHERE status = 'sending' AND lease_until <= {p}1 LIMIT {p}3 {skip_locked}) AS lapsed \
           ORDER BY id LIMIT {p}3) \
         RETURNING *"
    )
}

/// Extends a claim's lease to `until` on every message it still holds; how many it holds.
pub fn renew(conn: &mut DbConnection, token: &str, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table)
        .filter(outbox::status.eq(MessageStatus::Sending))
        .filter(outbox::claim_token.eq(token))
        .set(outbox::lease_until.eq(until))
        .execute(conn)
}

/// Records a delivery, unless the claim was lost to another dispatcher meanwhile.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    token: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(outbox::table.find(id))
        .filter(outbox::status.eq(MessageStatus::Sending))
        .filter(outbox::claim_token.eq(token))
        .set((
            outbox::status.eq(MessageStatus::Sent),
            outbox::sent_at.eq(at),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Records a failed attempt: retried at `retry_at`, or parked as failed (at `now`) when
/// `retry_at` is None.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    token: &str,
    error: &str,
    (now, retry_at): (NaiveDateTime, Option<NaiveDateTime>),
) -> QueryResult<bool> {
    let (status, next) = match retry_at {
        Some(t) => (MessageStatus::Pending, t),
        None => (MessageStatus::Failed, now),
    };
    diesel::update(outbox::table.find(id))
        .filter(outbox::status.eq(MessageStatus::Sending))
        .filter(outbox::claim_token.eq(token))
        .set((
            outbox::status.eq(status),
            outbox::next_attempt_at.eq(next),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The columns of a whole message, as [`whole`] reads them.
type Whole = (MessageHead, Contents);

fn whole(pairs: Vec<Whole>) -> Vec<MessageRow> {
    pairs
        .into_iter()
        .map(|(head, contents)| MessageRow::new(head, contents))
        .collect()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<MessageRow>> {
    let found: Vec<Whole> = outbox::table
        .inner_join(outbox_contents::table)
        .filter(outbox::id.eq(id))
        .select((outbox::all_columns, outbox_contents::all_columns))
        .load(conn)?;
    Ok(whole(found).pop())
}

/// A page of messages, newest last, optionally of one status.
pub fn list(
    conn: &mut DbConnection,
    status: Option<MessageStatus>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    let mut q = outbox::table
        .inner_join(outbox_contents::table)
        .select((outbox::all_columns, outbox_contents::all_columns))
        .order(outbox::id)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s));
    }
    if let Some(a) = after {
        q = q.filter(outbox::id.gt(a));
    }
    Ok(whole(q.limit(limit).load(conn)?))
}

/// Puts a failed message back in the queue now (an admin's retry); false unless it had failed.
pub fn retry(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.eq(MessageStatus::Failed)),
    )
    .set((
        outbox::status.eq(MessageStatus::Pending),
        outbox::next_attempt_at.eq(now),
        outbox::attempts.eq(0),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Puts every failed message back in the queue now (after an outage that parked them); how many.
pub fn retry_all(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::status.eq(MessageStatus::Failed)))
        .set((
            outbox::status.eq(MessageStatus::Pending),
            outbox::next_attempt_at.eq(now),
            outbox::attempts.eq(0),
        ))
        .execute(conn)
}

/// What waits in the outbox: messages still to go (pending or being sent), those parked as
/// failed, and when the oldest still to go was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub waiting: i64,
    pub failed: i64,
    pub oldest_waiting: Option<NaiveDateTime>,
}

pub fn backlog(conn: &mut DbConnection) -> QueryResult<Backlog> {
    let to_go = [MessageStatus::Pending, MessageStatus::Sending];
    let waiting = outbox::table
        .filter(outbox::status.eq_any(to_go))
        .count()
        .get_result(conn)?;
    let failed = outbox::table
        .filter(outbox::status.eq(MessageStatus::Failed))
        .count()
        .get_result(conn)?;
    // One indexed look-up per status: a single MIN over both read every waiting message.
    let oldest_waiting = to_go
        .into_iter()
        .map(|status| {
            outbox::table
                .filter(outbox::status.eq(status))
                .select(diesel::dsl::min(outbox::created_at))
                .first::<Option<NaiveDateTime>>(conn)
        })
        .collect::<QueryResult<Vec<_>>>()?
        .into_iter()
        .flatten()
        .min();
    Ok(Backlog {
        waiting,
        failed,
        oldest_waiting,
    })
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use crate::db::Db;

    #[derive(diesel::QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    /// A claim looks its messages up through the index, however many were sent before: the plan
    /// of its statement, over an outbox of sent messages with analysed statistics, scans nothing.
    #[test]
    fn a_claim_reads_no_message_it_does_not_claim() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("o.sqlite3").display());
        let db = Db::open(&url, 2).unwrap();
        let mut conn = db.get().unwrap();
        conn.batch_execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
             INSERT INTO outbox (dedupe_key, kind, to_address, locale, subject, \
               status, next_attempt_at, created_at, message_key) \
             SELECT 'k' || i, 'confirmed', 'a@b.test', 'en', 's', \
               CASE WHEN i > 4990 THEN 'pending' ELSE 'sent' END, \
               '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'm' || i FROM n; \
             ANALYZE outbox;",
        )
        .unwrap();
        let plan: Vec<Step> =
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", super::claim_sql("?", "")))
                .bind::<diesel::sql_types::Text, _>("2026-06-01 00:00:00")
                .bind::<diesel::sql_types::Text, _>("2026-06-01 00:00:00")
                .bind::<diesel::sql_types::BigInt, _>(8)
                .bind::<diesel::sql_types::Text, _>("token")
                .load(&mut **conn)
                .unwrap();
        let steps: Vec<&str> = plan.iter().map(|s| s.detail.as_str()).collect();
        assert!(
            steps.iter().all(|s| !s.starts_with("SCAN outbox")),
            "{steps:?}"
        );
        assert!(steps.iter().any(|s| s.contains("USING")), "{steps:?}");
    }

    /// Messages queued before their bodies moved beside them keep their bodies.
    #[test]
    fn moving_the_bodies_keeps_every_queued_message_whole() {
        use diesel::Connection;
        use diesel_migrations::MigrationHarness;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");
        let mut raw = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        let migrations = crate::db::SQLITE_MIGRATIONS;
        let all =
            MigrationHarness::<diesel::sqlite::Sqlite>::pending_migrations(&mut raw, migrations)
                .unwrap();
        let before = all
            .iter()
            .position(|m| m.name().to_string().ends_with("outbox_contents"))
            .expect("the migration that moves the bodies");
        for m in &all[..before] {
            raw.run_migration(m.as_ref()).unwrap();
        }
        raw.batch_execute(
            "INSERT INTO outbox (dedupe_key, kind, to_address, locale, subject, text_body, \
               html_body, ics, status, next_attempt_at, created_at, message_key) \
             VALUES ('k', 'confirmed', 'a@b.test', 'en', 's', 'the text', '<p>html</p>', \
               'BEGIN:VCALENDAR', 'pending', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'm');",
        )
        .unwrap();
        drop(raw);
        let db = Db::open(&format!("sqlite://{}", path.display()), 2).unwrap();
        let mut conn = db.get().unwrap();
        let m = super::find(&mut conn, 1)
            .unwrap()
            .expect("the message is still there");
        assert_eq!(
            (m.text_body.as_str(), m.html_body.as_str(), m.ics.as_deref()),
            ("the text", "<p>html</p>", Some("BEGIN:VCALENDAR"))
        );
        assert_eq!(m.head.subject, "s");
    }
}
