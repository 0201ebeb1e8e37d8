//! One error type for the API, mapped once to RFC 9457 problem+json. The table in
//! [`ErrorCode::status`] is the contract: codes are stable, and a test pins them.
//! Our faults become an opaque 5xx with the cause logged; client faults say what to fix.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Stable machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    InvalidBody,
    UnsupportedMediaType,
    PayloadTooLarge,
    InvalidPath,
    InvalidQuery,
    InvalidCursor,
    ValidationFailed,
    ImportFailed,
    MissingCredentials,
    InvalidToken,
    InvalidCredentials,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    ResourceRetired,
    SlotUnavailable,
    InvalidState,
    BlackoutCollides,
    IdempotencyKeyReused,
    QuoteChanged,
    DuplicateImport,
    PreconditionFailed,
    PreconditionRequired,
    DatabaseUnavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = {
        use ErrorCode::*;
        &[
            MalformedJson,
            InvalidBody,
            UnsupportedMediaType,
            PayloadTooLarge,
            InvalidPath,
            InvalidQuery,
            InvalidCursor,
            ValidationFailed,
            ImportFailed,
            MissingCredentials,
            InvalidToken,
            InvalidCredentials,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            AlreadyExists,
            ResourceRetired,
            SlotUnavailable,
            InvalidState,
            BlackoutCollides,
            IdempotencyKeyReused,
            QuoteChanged,
            DuplicateImport,
            PreconditionFailed,
            PreconditionRequired,
            DatabaseUnavailable,
            Internal,
        ]
    };

    /// The one table from code to HTTP status.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            MalformedJson | InvalidPath | InvalidQuery | InvalidCursor => StatusCode::BAD_REQUEST,
            InvalidBody | ValidationFailed | ImportFailed => StatusCode::UNPROCESSABLE_ENTITY,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            MissingCredentials | InvalidToken | InvalidCredentials => StatusCode::UNAUTHORIZED,
            Forbidden => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AlreadyExists | ResourceRetired | SlotUnavailable | InvalidState | BlackoutCollides
            | QuoteChanged | DuplicateImport => StatusCode::CONFLICT,
            IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

pub use crate::domain::Issue;

/// An API failure: a code, a human-readable detail, optional per-field issues, and for our own
/// faults the cause, which is logged and never sent.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub issues: Vec<Issue>,
    /// Members added to the problem body, such as a conflict's intervals and alternatives.
    pub extra: serde_json::Map<String, serde_json::Value>,
    cause: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        for issue in &self.issues {
            match (&issue.field, issue.line) {
                (Some(field), _) => write!(f, "\n  {field}: {}", issue.message)?,
                (None, Some(line)) => write!(f, "\n  line {line}: {}", issue.message)?,
                (None, None) => write!(f, "\n  {}", issue.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: detail.into(),
            issues: Vec::new(),
            extra: serde_json::Map::new(),
            cause: None,
        }
    }

    pub fn with_issues(mut self, issues: Vec<Issue>) -> ApiError {
        self.issues = issues;
        self
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError {
            cause: Some(cause.to_string()),
            ..ApiError::new(
                ErrorCode::Internal,
                "the server failed to handle this request",
            )
        }
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Forbidden, detail)
    }

    pub fn validation(issues: Vec<Issue>) -> ApiError {
        let detail = match issues.as_slice() {
            [one] => match &one.field {
                Some(field) => format!("{field}: {}", one.message),
                None => one.message.clone(),
            },
            _ => format!("{} fields are invalid; see errors", issues.len()),
        };
        ApiError::new(ErrorCode::ValidationFailed, detail).with_issues(issues)
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::validation(vec![Issue::field(field, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::AlreadyExists, detail)
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: String,
    #[serde(skip_serializing_if = "<[Issue]>::is_empty")]
    errors: &'a [Issue],
    #[serde(flatten)]
    extra: &'a serde_json::Map<String, serde_json::Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = %self.code.as_str(), cause = self.cause.as_deref().unwrap_or(""), "request failed");
        }
        let code = self.code.as_str();
        let body = Problem {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: &self.detail,
            code,
            errors: &self.issues,
            extra: &self.extra,
        };
        HttpResponse::build(status)
            .content_type("application/problem+json")
            .json(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> ApiError {
        ApiError {
            cause: Some(e.to_string()),
            ..ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "the database is not reachable right now; retry shortly",
            )
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> ApiError {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_body_has_code_and_status() {
        let err = ApiError::invalid_field("email", "must contain @");
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
    }

    /// The contract clients rely on: changing a row here is a breaking change of the API.
    #[test]
    fn codes_and_statuses_are_pinned() {
        let table: Vec<(String, u16)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.as_str(), c.status().as_u16()))
            .collect();
        let expected = [
            ("malformed_json", 400),
            ("invalid_body", 422),
            ("unsupported_media_type", 415),
            ("payload_too_large", 413),
            ("invalid_path", 400),
            ("invalid_query", 400),
            ("invalid_cursor", 400),
            ("validation_failed", 422),
            ("import_failed", 422),
            ("missing_credentials", 401),
            ("invalid_token", 401),
            ("invalid_credentials", 401),
            ("forbidden", 403),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("already_exists", 409),
            ("resource_retired", 409),
            ("slot_unavailable", 409),
            ("invalid_state", 409),
            ("blackout_collides", 409),
            ("idempotency_key_reused", 422),
            ("quote_changed", 409),
            ("duplicate_import", 409),
            ("precondition_failed", 412),
            ("precondition_required", 428),
            ("database_unavailable", 503),
            ("internal", 500),
        ];
        let expected: Vec<(String, u16)> =
            expected.iter().map(|(c, s)| (c.to_string(), *s)).collect();
        assert_eq!(table, expected);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal("secret connection string");
        assert!(!err.detail.contains("secret"));
    }
}
