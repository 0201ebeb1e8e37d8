//! Request handlers, one module per resource, each named after its OpenAPI operationId.

pub mod accounts;
pub mod allocations;
pub mod api_tokens;
pub mod availability;
pub mod blackouts;
pub mod booking_series;
pub mod bookings;
pub mod messages;
pub mod opening_hours;
pub mod ops;
pub mod organizations;
pub mod rated_hours;
pub mod reminders;
pub mod reports;
pub mod resources;
pub mod settlements;
pub mod usage;
pub mod users;
pub mod vouchers;

use actix_web::HttpResponse;
use serde::Serialize;

pub fn ok<T: Serialize>(body: T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

pub fn created<T: Serialize>(body: T) -> HttpResponse {
    HttpResponse::Created().json(body)
}
