//! The one error type of the service, below any transport: a stable code, a detail that says
//! what to fix, and for our own faults a cause that is logged and never shown. The table in
//! [`error_codes!`] is the contract (code, its text, its HTTP status): one list generates the
//! enum, its texts and its statuses, and a test pins it. `http::error` only renders it.

use serde::Serialize;

use crate::db::{Fault, Faulty};
pub use crate::domain::Issue;

/// Declares every error code once, with the text clients match on and the HTTP status it means.
macro_rules! error_codes {
    ($($variant:ident = $text:literal => $status:literal, $help:literal),+ $(,)?) => {
        /// Stable machine-readable error codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as clients see it, in snake_case.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text),+ }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status),+ }
            }

            /// What the code means and what to do about it, for its problem page.
            pub fn help(self) -> &'static str {
                match self { $(ErrorCode::$variant => $help),+ }
            }

            pub fn parse(text: &str) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

error_codes! {
    MalformedJson = "malformed_json" => 400, "The body is not JSON, or cannot be read. Send valid JSON with Content-Type: application/json.",
    InvalidBody = "invalid_body" => 422, "The JSON has a wrong type, an unknown field or value, or a missing field; the detail names it.",
    UnsupportedMediaType = "unsupported_media_type" => 415, "The body has a content type this operation does not take; the detail says which it takes.",
    PayloadTooLarge = "payload_too_large" => 413, "The body is larger than this operation takes: JSON up to 256 KiB, CSV uploads up to 4 MiB.",
    InvalidPath = "invalid_path" => 400, "A path parameter is not what the route takes; ids are positive integers.",
    InvalidQuery = "invalid_query" => 400, "A query parameter is unknown, malformed or out of range; the detail names it.",
    InvalidCursor = "invalid_cursor" => 400, "The cursor was not one this list gave out. Start again without it.",
    ValidationFailed = "validation_failed" => 422, "The request breaks a rule; errors lists each field and what to fix. Nothing was written.",
    ImportFailed = "import_failed" => 422, "Lines of an uploaded file cannot be taken; errors lists each line. Nothing was written.",
    MissingCredentials = "missing_credentials" => 401, "Send Authorization: Bearer TOKEN, with a token from POST /api/v1/auth/token or an API token.",
    InvalidToken = "invalid_token" => 401, "The token is expired, revoked, malformed, or older than a change to its account. Sign in again.",
    InvalidCredentials = "invalid_credentials" => 401, "The email or the password is wrong.",
    Forbidden = "forbidden" => 403, "The caller's role or organisation may not do this; the detail says who may.",
    NotQualified = "not_qualified" => 403, "The resource takes only users qualified on it until the booking's end; its operators grant qualifications.",
    NotFound = "not_found" => 404, "There is no such thing, or the caller may not see it.",
    MethodNotAllowed = "method_not_allowed" => 405, "The path does not take this method; the Allow header lists those it takes.",
    AlreadyExists = "already_exists" => 409, "Something with the same unique name, code or key exists already.",
    ResourceRetired = "resource_retired" => 409, "The resource is retired and takes no bookings or edits.",
    SlotUnavailable = "slot_unavailable" => 409, "The interval is taken; conflicts lists what is in the way and alternatives free slots.",
    InvalidState = "invalid_state" => 409, "The thing is not in a state that allows this (for example, already decided or already ended).",
    InUse = "in_use" => 409, "The resource is in use: sessions lists who is still checked in. Check them out first; nothing was written.",
    BlackoutCollides = "blackout_collides" => 409, "The blackout overlaps bookings; say what to do with them (collisions).",
    IdempotencyKeyReused = "idempotency_key_reused" => 422, "This Idempotency-Key was used with a different body. Use a new key for a new request.",
    QuoteChanged = "quote_changed" => 409, "The voucher now covers less than the quote accepted; quote holds the fresh figures. Nothing was written.",
    DuplicateImport = "duplicate_import" => 409, "This exact batch was recorded before; nothing was counted twice.",
    PreconditionFailed = "precondition_failed" => 412, "If-Match names an old version. Read the resource again and reapply the change.",
    PreconditionRequired = "precondition_required" => 428, "This edit needs If-Match with the version from the ETag.",
    RequestTimeout = "request_timeout" => 408, "The body did not arrive in time. Send it again, whole.",
    TooManyAttempts = "too_many_attempts" => 429, "Too many failed sign-ins for this account or from this address. Wait Retry-After seconds.",
    DatabaseUnavailable = "database_unavailable" => 503, "The database is not reachable right now (restarting, or the connection was lost). Retry after Retry-After seconds; nothing was written.",
    DatabaseReadOnly = "database_read_only" => 503, "The database cannot be written: its files or folder are read-only. Reads still work; retry once an operator has made it writable. Nothing was written.",
    StorageFull = "storage_full" => 503, "The database's disk is full. Reads still work; retry once an operator has freed space. Nothing was written.",
    StorageFailed = "storage_failed" => 503, "The database's disk failed to read or write. Retry later; nothing was written.",
    Internal = "internal" => 500, "The server failed; the cause is in its log under the request id.",
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of a service call: a code, a human-readable detail, optional per-field issues, and
/// for our own faults the cause, which is logged and never sent.
#[derive(Debug)]
pub struct ServiceError {
    pub code: ErrorCode,
    pub detail: String,
    pub issues: Vec<Issue>,
    /// Members added to the problem body, such as a conflict's intervals and alternatives.
    pub extra: serde_json::Map<String, serde_json::Value>,
    cause: Option<String>,
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)?;
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

impl std::error::Error for ServiceError {}

impl ServiceError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> ServiceError {
        ServiceError {
            code,
            detail: detail.into(),
            issues: Vec::new(),
            extra: serde_json::Map::new(),
            cause: None,
        }
    }

    /// Adds a member to the problem body, beside the standard ones.
    pub fn with_extra(mut self, key: &str, value: impl serde::Serialize) -> ServiceError {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.extra.insert(key.into(), value);
        self
    }

    pub fn with_issues(mut self, issues: Vec<Issue>) -> ServiceError {
        self.issues = issues;
        self
    }

    /// The logged cause of one of our own faults, if any.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    pub fn internal(cause: impl std::fmt::Display) -> ServiceError {
        ServiceError {
            cause: Some(cause.to_string()),
            ..ServiceError::new(
                ErrorCode::Internal,
                "the server failed to handle this request",
            )
        }
    }

    pub fn not_found(what: &str) -> ServiceError {
        ServiceError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorCode::Forbidden, detail)
    }

    pub fn validation(issues: Vec<Issue>) -> ServiceError {
        let detail = summary(&issues);
        ServiceError::new(ErrorCode::ValidationFailed, detail).with_issues(issues)
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::validation(vec![Issue::field(field, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> ServiceError {
        ServiceError::new(ErrorCode::AlreadyExists, detail)
    }
}

/// The detail of a validation failure: its one issue, or how many there are.
pub fn summary(issues: &[Issue]) -> String {
    match issues {
        [one] => match &one.field {
            Some(field) => format!("{field}: {}", one.message),
            None => one.message.clone(),
        },
        _ => format!("{} fields are invalid; see errors", issues.len()),
    }
}

impl ServiceError {
    /// A failure of the storage itself, as a 503 with its own code; the cause is logged.
    pub fn storage(fault: Fault, cause: impl std::fmt::Display) -> ServiceError {
        let (code, detail) = match fault {
            Fault::Unreachable => (
                ErrorCode::DatabaseUnavailable,
                "the database is not reachable right now; retry shortly",
            ),
            Fault::ReadOnly => (
                ErrorCode::DatabaseReadOnly,
                "the database cannot be written right now (it is read-only); nothing was written",
            ),
            Fault::Full => (
                ErrorCode::StorageFull,
                "the database's disk is full; nothing was written",
            ),
            Fault::Io => (
                ErrorCode::StorageFailed,
                "the database's disk failed; nothing was written",
            ),
        };
        ServiceError {
            cause: Some(cause.to_string()),
            ..ServiceError::new(code, detail)
        }
    }
}

impl Faulty for ServiceError {
    fn fault(&self) -> Option<Fault> {
        match self.code {
            ErrorCode::DatabaseUnavailable => Some(Fault::Unreachable),
            ErrorCode::DatabaseReadOnly => Some(Fault::ReadOnly),
            ErrorCode::StorageFull => Some(Fault::Full),
            ErrorCode::StorageFailed => Some(Fault::Io),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> ServiceError {
        match e.fault() {
            Some(fault) => ServiceError::storage(fault, e),
            None => ServiceError::internal(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ServiceError {
    fn from(e: diesel::r2d2::PoolError) -> ServiceError {
        ServiceError::storage(Fault::Unreachable, e)
    }
}

/// One thing wrong with the input, as a 422 that names it.
impl From<Issue> for ServiceError {
    fn from(issue: Issue) -> ServiceError {
        ServiceError::validation(vec![issue])
    }
}

impl From<crate::domain::actor::Denied> for ServiceError {
    fn from(e: crate::domain::actor::Denied) -> ServiceError {
        ServiceError::forbidden(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract clients rely on: changing a row here is a breaking change of the API.
    #[test]
    fn codes_and_statuses_are_pinned() {
        let table: Vec<(&str, u16)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.as_str(), c.status()))
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
            ("not_qualified", 403),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("already_exists", 409),
            ("resource_retired", 409),
            ("slot_unavailable", 409),
            ("invalid_state", 409),
            ("in_use", 409),
            ("blackout_collides", 409),
            ("idempotency_key_reused", 422),
            ("quote_changed", 409),
            ("duplicate_import", 409),
            ("precondition_failed", 412),
            ("precondition_required", 428),
            ("request_timeout", 408),
            ("too_many_attempts", 429),
            ("database_unavailable", 503),
            ("database_read_only", 503),
            ("storage_full", 503),
            ("storage_failed", 503),
            ("internal", 500),
        ];
        assert_eq!(table, expected);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ServiceError::internal("secret connection string");
        assert!(!err.detail.contains("secret"));
        assert_eq!(err.cause(), Some("secret connection string"));
    }
}
