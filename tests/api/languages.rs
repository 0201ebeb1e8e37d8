//! Problems in the caller's language: the one `Accept-Language` asks for, else the user's own,
//! else English; and every problem text the service writes has its Chinese.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;

/// No language asked for: the user's own decides.
const NONE: [(&str, &str); 1] = [("Accept-Language", "")];
const CHINESE: [(&str, &str); 1] = [("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")];

fn backwards(resource: i64) -> Value {
    json!({"resource_id": resource, "start": "2030-03-01T10:00:00+08:00",
           "end": "2030-03-01T09:00:00+08:00", "purpose": "XRD of a new alloy"})
}

async fn a_problem_is_in_the_users_language_unless_the_request_asks_another(app: TestApp) {
    let (t, admin) = (app.login(BOOKER).await, app.login(ADMIN).await);
    let resource = app.list_all("/api/v1/resources", &t).await[0]["id"]
        .as_i64()
        .unwrap();
    let send = |token: String, headers: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            app.request_with(
                Method::POST,
                "/api/v1/bookings",
                Some(&token),
                Some(backwards(resource)),
                headers,
            )
            .await
        }
    };
    // The demo booker reads Chinese.
    let own = send(t.clone(), &NONE).await;
    assert_eq!(
        own.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        own.body
    );
    assert_eq!(own.header("content-language").as_deref(), Some("zh-CN"));
    assert_eq!(own.body["title"], "无法处理的请求");
    assert_eq!(own.body["errors"][0]["field"], "end");
    let message = own.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("必须晚于"), "{message}");
    assert_eq!(own.body["detail"], format!("end：{message}"));
    assert_eq!(
        own.body["code"], "validation_failed",
        "codes stay as they are"
    );
    let english = send(t.clone(), &[("Accept-Language", "en-GB,en;q=0.9,zh;q=0.1")]).await;
    assert_eq!(english.header("content-language").as_deref(), Some("en"));
    assert_eq!(english.body["detail"], "end: must be after start");

    // A user who reads English gets English unless the request asks for Chinese.
    let org = app
        .list_all("/api/v1/organizations?kind=enterprise", &admin)
        .await[0]["id"]
        .clone();
    let user = |password: &str| {
        json!({"email": "reader@acme.test", "password": password,
        "role": "booker", "organization_id": org, "locale": "en"})
    };
    let weak = app
        .request_with(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(user("password123")),
            &CHINESE,
        )
        .await;
    let advice = weak.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        advice.starts_with("太容易被猜到；"),
        "each part of composed advice: {advice}"
    );
    assert!(!advice.contains("guess"), "{advice}");
    let made = app
        .post("/api/v1/users", &admin, user("a-long-password"))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let signed_in = json!({"email": "reader@acme.test", "password": "a-long-password"});
    let reader = app
        .request(Method::POST, "/api/v1/auth/token", None, Some(signed_in))
        .await;
    let reader = reader.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        send(reader.clone(), &NONE).await.body["detail"],
        "end: must be after start"
    );
    let asked = send(reader, &CHINESE).await;
    assert!(
        asked.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("end：必须晚于"),
        "{:?}",
        asked.body
    );
}

async fn problems_before_and_around_the_handler_are_in_chinese_too(app: TestApp) {
    let t = app.login(BOOKER).await;
    let anonymous = app
        .request_with(Method::GET, "/api/v1/bookings", None, None, &CHINESE)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.header("www-authenticate").is_some());
    assert!(
        anonymous.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("请发送 Authorization"),
        "{:?}",
        anonymous.body
    );

    let wrong_method = app
        .request_with(Method::DELETE, "/api/v1/bookings", Some(&t), None, &NONE)
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        wrong_method.header("allow").as_deref(),
        Some("GET, POST, HEAD"),
        "the first rendering's headers stay"
    );
    assert_eq!(
        wrong_method.body["detail"],
        "/api/v1/bookings 不支持 DELETE；请使用 GET, POST, HEAD"
    );

    let unknown = json!({"resource_id": 1, "when": "soon"});
    let body = app
        .request_with(
            Method::POST,
            "/api/v1/bookings",
            Some(&t),
            Some(unknown),
            &NONE,
        )
        .await;
    assert_eq!(body.code(), "invalid_body");
    assert!(
        body.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("请求体的字段不符合要求：未知字段 `when`"),
        "{:?}",
        body.body
    );

    let missing = app
        .request_with(
            Method::GET,
            "/api/v1/bookings/999999",
            Some(&t),
            None,
            &NONE,
        )
        .await;
    assert_eq!(missing.body["detail"], "未找到预约");
}

on_both_backends!(
    a_problem_is_in_the_users_language_unless_the_request_asks_another,
    problems_before_and_around_the_handler_are_in_chinese_too
);

/// Texts in the source that are no problem a user reads: log lines, SQL, media types, the
/// patterns storage faults are recognised by, booking-history reasons and mail.
const NOT_PROBLEMS: &[&str] = &[
    // Credentials and storage failing: our own faults, logged, answered with a generic text.
    "cannot hash password: {}",
    "cannot sign token: {}",
    "body too slow",
    "the database writer has stopped",
    "the write panicked",
    "{} is not a {}",
    // How the storage's own messages are recognised.
    "connection to server",
    "could not connect",
    "could not extend file",
    "database or disk is full",
    "disk i/o error",
    "no connection to the server",
    "no space left on device",
    "read-only transaction",
    "readonly database",
    "server closed the connection",
    "terminating connection",
    "the database system is",
    "unable to open database file",
    // Opening the database, on the command line.
    "cannot apply migrations: {}",
    "cannot open the database pool: {}",
    "cannot open the database: {}",
    "read replicas need a PostgreSQL primary in DATABASE_URL",
    "cannot start the replica watcher: {}",
    "{}: a replica is a PostgreSQL server",
    "resources.id IN (SELECT rowid FROM resource_search WHERE resource_search MATCH ",
    "database error: {}",
    "unsupported database URL scheme in {}: use sqlite://PATH or postgres://USER@HOST/DB",
    // SQL.
    "datetime(start_at, '-{} hours')",
    "start_at - INTERVAL '{} hours'",
    "state = 'cancelled' AND updated_at > {}",
    // Why a booking or a ledger line changed, as its history records it (mail says it anew).
    "cancelled for a blackout",
    "booked on the booker's behalf by the resource's staff",
    "no decision before the deadline",
    "no space became free before the slot began",
    "space became free",
    "checked out automatically at the booking's end",
    "nobody checked in within the grace period",
    "computing used",
    "released after the voucher expired",
    "used less than booked",
    "fewer samples measured than ordered",
    "order accepted",
    "allocated by beamtime call {}",
    "it ranked {} of {} with a mean score of {}; the shifts on offer went to proposals ranked higher",
    "no reviewer scored it, and the shifts on offer went to reviewed proposals",
    // Headers, file names, message ids, and the labels of charts.
    "booking-{}@instrument-booking",
    "flows-{}-{}.csv",
    "sharing-{}-{}.csv",
    "settlement-{}-{}.csv",
    "attachment; filename=\"booking-{}.ics\"",
    "attachment; filename=\"{}\"",
    "attachment; filename=\"{}\"; filename*=UTF-8''{}",
    "private, no-store",
    "text/calendar; charset=utf-8",
    "text/csv; charset=utf-8",
    "text/html; charset=utf-8",
    "text/plain; version=0.0.4",
    "image/svg+xml; charset=utf-8",
    "public, max-age=86400",
    "private, max-age=300",
    "allocation:{}:used-{}",
    // Sealing and signing faults, and how a webhook attempt went: logged and kept in a
    // delivery's history, in English like the mail relay's own answers.
    "bad nonce",
    "the sealed secret is too short",
    "the secret was sealed with another key",
    "the signing secret is not base64: {}",
    "instrument-booking webhook secrets",
    "paused by its owner",
    "the endpoint answered {}",
    "the endpoint answered {} and redirects are not followed",
    "{} has no public address; private, loopback and link-local addresses are refused",
    "{}://{}/feeds/{}.ics",
    "default-src 'none'; frame-ancestors 'none'; sandbox",
    "hours of use",
    "service fees",
    "voucher payments",
    "{}: monthly utilisation, {}",
    // The console: what a form's key stands for, its page policy, where an action sends the
    // browser, its own labels (in src/console/zh-CN.txt), and refusals shown by their labels.
    "console booking {} {} {} {} {}",
    "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "{}{}done={}&id={}",
    "{} resources imported.",
    "sign in to see this page",
    "the form could not be read; reload the page and try again",
    "the form is not one this console sent; reload the page and try again",
];

/// Where the service writes no problem texts: the command line, start-up, mail and jobs.
fn writes_problems(file: &str) -> bool {
    let elsewhere = ["main.rs", "config.rs", "demo.rs", "telemetry.rs"];
    let folders = ["notify/", "mail/", "jobs/", "demo/"];
    !elsewhere.contains(&file)
        && !folders.iter().any(|f| file.starts_with(f))
        && !file.ends_with("_tests.rs")
}

#[test]
fn every_problem_text_the_service_writes_has_its_chinese() {
    let mut missing = Vec::new();
    for (file, code) in crate::layers::sources() {
        if !writes_problems(&file) {
            continue;
        }
        for (at, text) in literals(&code) {
            let template = placeholders(&text);
            if !looks_like_prose(&text)
                || NOT_PROBLEMS.contains(&template.as_str())
                || internal(&code[..at])
            {
                continue;
            }
            let sample = template
                .replace("{}", "7")
                .replace("{{", "{")
                .replace("}}", "}");
            if instrument_booking::http::locale::to_chinese(&sample).is_none() {
                missing.push(format!("{file}: {template}"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "add these to src/http/locale/zh-CN.txt"
    );
}

/// A sentence or phrase: two words or more besides its placeholders, starting in lower case
/// (as details do).
fn looks_like_prose(text: &str) -> bool {
    let words = placeholders(text)
        .replace("{}", " ")
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .count();
    words >= 2 && text.starts_with(|c: char| c.is_ascii_lowercase() || "`'{(".contains(c))
}

/// Texts given to `ServiceError::internal` or a log line are never shown to users.
fn internal(before: &str) -> bool {
    let tail: String = before
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let tail = tail.replace(char::is_whitespace, "");
    [
        "internal(",
        "internal(format!(",
        "expect(",
        "unreachable!(",
        "panic!(",
    ]
    .iter()
    .any(|c| tail.ends_with(c))
        || ["tracing::", "info!(", "warn!(", "error!(", "debug!("]
            .iter()
            .any(|c| tail.contains(c))
}

/// A format string's placeholders (`{name}`, `{:?}`, `{0}`) as `{}`; `{{` and `}}` kept.
fn placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                out.push(c);
                out.push(chars.next().unwrap_or(c));
            }
            ('{', _) => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                out.push_str("{}");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The string literals of Rust source, each with where it starts, escapes and line
/// continuations resolved; comments and character literals skipped.
fn literals(code: &str) -> Vec<(usize, String)> {
    let bytes: Vec<char> = code.chars().collect();
    let offsets: Vec<usize> = code.char_indices().map(|(i, _)| i).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        match rest {
            ['/', '/', ..] => i += rest.iter().position(|&c| c == '\n').unwrap_or(rest.len()),
            ['\'', '\\', ..] => {
                i += rest
                    .iter()
                    .skip(1)
                    .position(|&c| c == '\'')
                    .map_or(1, |p| p + 2)
            }
            ['\'', _, '\'', ..] => i += 3,
            ['r', '#', '"', ..] | ['r', '"', ..] if i == 0 || !bytes[i - 1].is_alphanumeric() => {
                let hashes = rest[1..].iter().take_while(|&&c| c == '#').count();
                let start = i + 2 + hashes;
                let close: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let len = bytes[start..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .unwrap_or(0);
                out.push((offsets[i], bytes[start..start + len].iter().collect()));
                i = start + len + close.len();
            }
            ['"', ..] => {
                let (text, used) = string_at(&bytes[i + 1..]);
                out.push((offsets[i], text));
                i += used + 2;
            }
            _ => i += 1,
        }
    }
    out
}

/// The text of a string literal whose body starts at `body`, and how many characters it took.
fn string_at(body: &[char]) -> (String, usize) {
    let mut text = String::new();
    let mut j = 0;
    while j < body.len() && body[j] != '"' {
        match (body[j], body.get(j + 1)) {
            ('\\', Some('\n')) => {
                j += 2;
                while j < body.len() && body[j].is_whitespace() {
                    j += 1;
                }
            }
            ('\\', Some(&e)) => {
                text.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                j += 2;
            }
            (c, _) => {
                text.push(c);
                j += 1;
            }
        }
    }
    (text, j)
}
