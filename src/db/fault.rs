//! Failures of the storage itself, as opposed to a query's meaning: the database is unreachable
//! (a restart, a dropped connection), or its files cannot be written (a read-only folder, a full
//! disk, an I/O error). A connection that met one is discarded rather than returned to the pool,
//! so the next one is opened afresh and sees the database as it is now.

use diesel::result::{DatabaseErrorKind, Error};

/// What went wrong with the storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The server cannot be reached or dropped the connection (SQLSTATE 08xxx, 57P0x).
    Unreachable,
    /// The database refuses writes: a read-only file or folder, or a read-only PostgreSQL.
    ReadOnly,
    /// The disk is full (SQLITE_FULL, SQLSTATE 53100).
    Full,
    /// The disk failed to read or write (SQLITE_IOERR).
    Io,
}

/// Errors that can tell whether they are a storage fault.
pub trait Faulty {
    fn fault(&self) -> Option<Fault>;
}

impl Faulty for Error {
    fn fault(&self) -> Option<Fault> {
        match self {
            Error::DatabaseError(kind, info) => classify(kind, info.message()),
            Error::BrokenTransactionManager => Some(Fault::Unreachable),
            _ => None,
        }
    }
}

impl Faulty for diesel::r2d2::PoolError {
    fn fault(&self) -> Option<Fault> {
        Some(Fault::Unreachable)
    }
}

impl Faulty for super::StorageError {
    fn fault(&self) -> Option<Fault> {
        match self {
            super::StorageError::Query(e) => e.fault(),
            super::StorageError::Pool(_) | super::StorageError::Connect(_) => {
                Some(Fault::Unreachable)
            }
            _ => None,
        }
    }
}

/// Reads the kind diesel gives and, where it has none, the engine's own message: SQLite's
/// messages name its result codes, and PostgreSQL's administrator shutdown (57P01) has no kind.
fn classify(kind: &DatabaseErrorKind, message: &str) -> Option<Fault> {
    match kind {
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            return Some(Fault::Unreachable);
        }
        DatabaseErrorKind::ReadOnlyTransaction => return Some(Fault::ReadOnly),
        _ => {}
    }
    const BY_MESSAGE: &[(&str, Fault)] = &[
        ("terminating connection", Fault::Unreachable),
        ("server closed the connection", Fault::Unreachable),
        ("the database system is", Fault::Unreachable),
        ("no connection to the server", Fault::Unreachable),
        ("could not connect", Fault::Unreachable),
        ("connection to server", Fault::Unreachable),
        ("readonly database", Fault::ReadOnly),
        ("read-only transaction", Fault::ReadOnly),
        ("unable to open database file", Fault::ReadOnly),
        ("database or disk is full", Fault::Full),
        ("could not extend file", Fault::Full),
        ("no space left on device", Fault::Full),
        ("disk i/o error", Fault::Io),
    ];
    let message = message.to_lowercase();
    BY_MESSAGE
        .iter()
        .find(|(text, _)| message.contains(text))
        .map(|(_, fault)| *fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_messages_are_read_as_faults() {
        let unknown = DatabaseErrorKind::Unknown;
        let cases = [
            (
                "terminating connection due to administrator command",
                Some(Fault::Unreachable),
            ),
            (
                "attempt to write a readonly database",
                Some(Fault::ReadOnly),
            ),
            ("database or disk is full", Some(Fault::Full)),
            ("disk I/O error", Some(Fault::Io)),
            ("UNIQUE constraint failed: users.email", None::<Fault>),
        ];
        for (message, fault) in cases {
            assert_eq!(classify(&unknown, message), fault, "{message}");
        }
        assert_eq!(
            classify(&DatabaseErrorKind::ClosedConnection, "anything"),
            Some(Fault::Unreachable)
        );
    }
}
