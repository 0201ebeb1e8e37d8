//! Renders a [`ServiceError`] as RFC 9457 problem+json. Our faults become an opaque 5xx with
//! the cause logged once, here; client faults carry the detail that says what to fix.

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_LANGUAGE, RETRY_AFTER as RETRY_AFTER_HEADER, WWW_AUTHENTICATE,
};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::types::Locale;
pub use crate::error::{ErrorCode, Issue, ServiceError};
use crate::sign_in::RETRY_AFTER;

/// The Bearer challenge of RFC 6750: a bad token is named as such, a missing one is not.
fn challenge(code: ErrorCode) -> String {
    match code {
        ErrorCode::InvalidToken => r#"Bearer realm="instrument-booking", error="invalid_token""#,
        _ => r#"Bearer realm="instrument-booking""#,
    }
    .to_owned()
}

/// When to try again after a storage fault: a restart of the database takes about a second; a
/// read-only folder or a full disk waits for an operator.
fn storage_retry_after(code: ErrorCode) -> Option<u64> {
    match code {
        ErrorCode::DatabaseUnavailable => Some(1),
        ErrorCode::DatabaseReadOnly | ErrorCode::StorageFull | ErrorCode::StorageFailed => Some(30),
        _ => None,
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[Issue]>::is_empty")]
    errors: &'a [Issue],
    #[serde(flatten)]
    extra: &'a serde_json::Map<String, serde_json::Value>,
}

impl ResponseError for ServiceError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(code = %self.code, cause = self.cause().unwrap_or(""), "request failed");
        }
        self.render(Locale::En)
    }
}

impl ServiceError {
    /// The problem+json response, its texts in `locale`.
    pub fn render(&self, locale: Locale) -> HttpResponse {
        let status = self.status_code();
        let texts = crate::http::locale::texts(self, locale);
        let code = self.code.as_str();
        let body = Problem {
            kind: format!("/problems/{code}"),
            title: texts.title,
            status: status.as_u16(),
            detail: &texts.detail,
            code,
            errors: &texts.issues,
            extra: &texts.extra,
        };
        let mut resp = HttpResponse::build(status);
        resp.content_type("application/problem+json");
        resp.insert_header((CONTENT_LANGUAGE, locale.as_str()));
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((WWW_AUTHENTICATE, challenge(self.code)));
        }
        let wait = self.extra.get(RETRY_AFTER).and_then(|v| v.as_u64());
        if let Some(wait) = wait.or_else(|| storage_retry_after(self.code)) {
            resp.insert_header((RETRY_AFTER_HEADER, wait.to_string()));
        }
        resp.json(body)
    }
}

impl From<actix_web::error::BlockingError> for ServiceError {
    fn from(e: actix_web::error::BlockingError) -> ServiceError {
        ServiceError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_body_has_code_and_status() {
        let err = ServiceError::invalid_field("email", "must contain @");
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
    }

    #[test]
    fn every_code_has_a_valid_status() {
        for code in ErrorCode::ALL {
            assert!(StatusCode::from_u16(code.status()).is_ok(), "{code}");
        }
    }
}
