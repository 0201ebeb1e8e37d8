//! The layers point one way: `http/` and `console/` (with `app.rs` and `main.rs`) → services → `domain/` and
//! `db/`. These tests read the source tree, so a change that crosses a layer fails here rather
//! than in review.

use std::path::{Path, PathBuf};

/// Every Rust file under `src/`, with its path relative to `src/` and its text up to its tests.
pub(crate) fn sources() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a source file");
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
            let name = p.strip_prefix(&root).expect("under src").to_string_lossy();
            (name.replace('\\', "/"), code)
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files (and the offending text) where `bad` occurs, among those `applies` selects.
fn offenders(applies: impl Fn(&str) -> bool, bad: &[&str]) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(name, _)| applies(name))
        .flat_map(|(name, code)| {
            bad.iter()
                .filter(|b| code.contains(*b))
                .map(|b| format!("{name}: {b}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn is_web(name: &str) -> bool {
    name.starts_with("http/")
        || name.starts_with("console/")
        || name == "app.rs"
        || name == "main.rs"
}

#[test]
fn nothing_below_http_imports_it() {
    let found = offenders(|n| !is_web(n), &["crate::http", "actix_web::"]);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn queries_are_built_only_in_db() {
    let query = [
        "diesel::prelude",
        "diesel::sql_query",
        "diesel::insert_into",
        "diesel::update",
        "diesel::delete",
        "schema::",
    ];
    let found = offenders(|n| !n.starts_with("db/"), &query);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn db_and_domain_import_nothing_above_them() {
    let above = [
        "crate::accounts",
        "crate::allocations",
        "crate::app",
        "crate::auth",
        "crate::booking",
        "crate::catalogue",
        "crate::error",
        "crate::jobs",
        "crate::mail",
        "crate::notify",
        "crate::qualifications",
        "crate::reports",
        "crate::settings",
        "crate::settlements",
        "crate::vouchers",
        "crate::demo",
    ];
    let found = offenders(|n| n.starts_with("db/") || n.starts_with("domain/"), &above);
    assert_eq!(found, Vec::<String>::new());
    let found = offenders(|n| n.starts_with("domain/"), &["crate::db", "diesel::"]);
    assert_eq!(found, Vec::<String>::new());
}
