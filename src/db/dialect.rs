//! The few places the two backends' SQL differs, for hand-written statements: placeholders, and
//! sums of money that must not fail however large the stored values are.

use super::DbConnection;

/// `SAFE_SUM(expr)` in a statement: a sum clamped to the BIGINT range instead of failing. On
/// PostgreSQL the sum is exact (numeric); SQLite's own SUM stops with an error on overflow, so
/// there it is TOTAL, in floating point, which is exact below 2^53 fen (90 trillion yuan).
pub const SAFE_SUM: &str = "SAFE_SUM(";

/// `sql`, written for PostgreSQL with `$n` placeholders and `SAFE_SUM`, for `conn`'s backend.
pub fn for_backend(conn: &DbConnection, sql: &str) -> String {
    translate(sql, matches!(conn, DbConnection::Sqlite(_)))
}

/// [`for_backend`], for SQLite or PostgreSQL.
pub fn translate(sql: &str, sqlite: bool) -> String {
    let sql = expand_sums(sql, sqlite);
    if sqlite { sql.replace('$', "?") } else { sql }
}

fn expand_sums(sql: &str, sqlite: bool) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(at) = rest.find(SAFE_SUM) {
        out.push_str(&rest[..at]);
        let inner = &rest[at + SAFE_SUM.len()..];
        let close = closing_paren(inner).unwrap_or(inner.len());
        out.push_str(&clamped_sum(&inner[..close], sqlite));
        rest = inner.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Where the parenthesis opened just before `text` closes.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn clamped_sum(expr: &str, sqlite: bool) -> String {
    if sqlite {
        format!("CAST(MAX(MIN(TOTAL({expr}), 9.2e18), -9.2e18) AS INTEGER)")
    } else {
        format!(
            "CAST(GREATEST(LEAST(COALESCE(SUM({expr}), 0), 9223372036854775807), \
             -9223372036854775808) AS BIGINT)"
        )
    }
}

/// `a + b` for a running total kept in a BIGINT column, stopping at the largest value instead
/// of failing the write.
pub fn saturating_add(conn: &DbConnection, a: &str, b: &str) -> String {
    match conn {
        DbConnection::Sqlite(_) => format!("MIN({a} + {b}, 9223372036854775807)"),
        _ => format!("CAST(LEAST(CAST({a} AS NUMERIC) + {b}, 9223372036854775807) AS BIGINT)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_expand_for_each_backend() {
        let sql = "SELECT SAFE_SUM(CASE WHEN a > $1 THEN (b) ELSE 0 END) AS s, x FROM t";
        let pg = expand_sums(sql, false);
        assert!(pg.starts_with(
            "SELECT CAST(GREATEST(LEAST(COALESCE(SUM(CASE WHEN a > $1 THEN (b) ELSE 0 END), 0)"
        ));
        assert!(pg.ends_with(" AS BIGINT) AS s, x FROM t"), "{pg}");
        let lite = expand_sums(sql, true);
        assert!(
            lite.contains("TOTAL(CASE WHEN a > $1 THEN (b) ELSE 0 END)"),
            "{lite}"
        );
        assert!(lite.ends_with("AS INTEGER) AS s, x FROM t"), "{lite}");
        assert_eq!(expand_sums("SELECT 1", true), "SELECT 1");
    }
}
