//! `Idempotency-Key` for the writes that move money or bookings: the first successful response to
//! a key is stored in the same transaction as the change and replayed for a retry with the same
//! request; the same key with a different request is a 422. The key is claimed first thing in the
//! transaction, so a concurrent retry waits for the first attempt and then replays it (on SQLite
//! the writer lock already serialises them).

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::db::{DbConnection, idempotency as store};
use crate::domain::ids::UserId;
use crate::error::{ErrorCode, ServiceError};

/// A request's key and a digest of what it asks (method, path and body).
#[derive(Debug, Clone)]
pub struct Key {
    key: String,
    hash: String,
}

impl Key {
    /// The request's key, if it sent one: 1 to 200 visible ASCII characters.
    pub fn of(req: &HttpRequest, body: &str) -> Result<Option<Key>, ServiceError> {
        let Some(value) = req.headers().get("idempotency-key") else {
            return Ok(None);
        };
        let key = value.to_str().unwrap_or("").trim();
        if key.is_empty() || key.len() > 200 {
            return Err(ServiceError::new(
                ErrorCode::InvalidBody,
                "Idempotency-Key must be 1 to 200 visible characters",
            ));
        }
        let what = format!("{} {}\n{body}", req.method(), req.path());
        let hash = Sha256::digest(what.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Some(Key {
            key: key.to_owned(),
            hash,
        }))
    }

    /// A key a form carries (the console's, against a double submission) for what it asks.
    pub fn named(key: &str, what: &str) -> Key {
        let hash = Sha256::digest(what.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Key {
            key: key.to_owned(),
            hash,
        }
    }
}

/// What a keyed write did: ran now, or replayed the stored response of an earlier run.
pub enum Once<T> {
    Fresh(T),
    Replay(StatusCode, serde_json::Value),
}

/// Runs `work` once per key within the caller's write transaction. `keep` says which outcomes are
/// stored for replay (the status and body the client got); others leave the key free for a retry.
pub fn once<T>(
    conn: &mut DbConnection,
    user: UserId,
    key: Option<&Key>,
    at: NaiveDateTime,
    work: impl FnOnce(&mut DbConnection) -> Result<T, ServiceError>,
    keep: impl FnOnce(&T) -> Option<(StatusCode, String)>,
) -> Result<Once<T>, ServiceError> {
    let Some(k) = key else {
        return work(conn).map(Once::Fresh);
    };
    if !store::claim_key(conn, user, &k.key, &k.hash, at)? {
        let (hash, status, body) = store::idempotent_response(conn, user, &k.key)?
            .ok_or_else(|| ServiceError::internal("claimed key vanished"))?;
        if hash != k.hash {
            return Err(ServiceError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request; use a new key for a new request",
            ));
        }
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        let body = serde_json::from_str(&body).map_err(ServiceError::internal)?;
        return Ok(Once::Replay(status, body));
    }
    let done = work(conn)?;
    match keep(&done) {
        Some((status, body)) => store::finish_key(conn, user, &k.key, status.as_u16(), &body)?,
        None => store::forget_key(conn, user, &k.key)?,
    }
    Ok(Once::Fresh(done))
}
