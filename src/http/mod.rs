//! The HTTP edge: extractors, DTOs, handlers and the error mapping. No SQL lives here.

pub mod authn;
pub mod cache;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod idempotency;
pub mod locale;
pub mod middleware;
pub mod page;

use actix_web::web;

use crate::app::AppState;
use crate::db::DbConnection;
use error::ServiceError;

/// Runs read-only database work on the blocking pool, never on an async worker.
pub async fn read<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    let db = state.db.clone();
    web::block(move || db.read_blocking(f)).await?
}

/// Runs read-only work that guards no invariant (the catalogue, availability listings, reports)
/// on a streaming replica when one is fresh enough for `reader`, else as [`read`] does.
pub async fn read_routed<T, F>(
    state: &web::Data<AppState>,
    reader: crate::domain::ids::UserId,
    f: F,
) -> Result<T, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Clone + Send + 'static,
    T: Send + 'static,
{
    let (db, reader) = (state.db.clone(), reader.0);
    web::block(move || db.read_routed(reader, f)).await?
}

/// Runs `f` in one write transaction on the blocking pool; an error rolls everything back.
pub async fn write<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    let done = state.db.write(f).await;
    if done.is_ok() {
        // The write may have queued messages; one wake-up covers any number of writes.
        state.outbox.notify();
    }
    done
}
