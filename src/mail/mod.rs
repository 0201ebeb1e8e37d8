//! Delivery: the transport a message leaves by (SMTP, a folder of `.eml` files, or memory for
//! tests) and the MIME message built from an outbox row: a plain-text and an HTML part, the
//! booking's `.ics` when it has one, and a `Message-ID` that is the same on every attempt.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::outbox::{MessageHead, MessageRow};
use crate::domain::ics;

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in a folder: the embedded default.
    File(PathBuf),
    /// Kept in memory (tests that do not need a mail server).
    Memory(Arc<Mutex<Vec<Vec<u8>>>>),
}

impl Mailer {
    /// From `--smtp-url`: `smtp://host:port` (plain, e.g. loopback), `smtps://user:pass@host`
    /// (TLS), `file:///folder`, or `memory:`; none means `.eml` files under the data directory.
    /// `timeout` bounds connecting to a relay; the dispatcher bounds each whole exchange.
    pub fn from_url(
        url: Option<&str>,
        data_dir: &Path,
        timeout: std::time::Duration,
    ) -> Result<Mailer, String> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        match url {
            None => Mailer::folder(data_dir.join("mail")),
            Some("memory:") => Ok(Mailer::Memory(Arc::default())),
            Some(u) if u.starts_with("file://") => Mailer::folder(PathBuf::from(&u[7..])),
            Some(u) if u.starts_with("smtp://") || u.starts_with("smtps://") => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(u)
                    .map_err(|e| format!("SMTP_URL is not usable: {e}"))?
                    .timeout(Some(timeout))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            Some(_) => {
                Err("SMTP_URL must start with smtp://, smtps://, file:// or be memory:".to_owned())
            }
        }
    }

    fn folder(dir: PathBuf) -> Result<Mailer, String> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the mail folder {}: {e}", dir.display()))?;
        Ok(Mailer::File(dir))
    }

    /// Sends one message; the error says why it did not go.
    pub async fn send(&self, m: &Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t
                .send(m.clone())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Mailer::File(dir) => write_whole(dir, m.formatted()).await,
            Mailer::Memory(sent) => {
                sent.lock()
                    .map_err(|_| "memory mailer poisoned".to_owned())?
                    .push(m.formatted());
                Ok(())
            }
        }
    }
}

/// Writes a message into the folder under a temporary name, flushes it to disk, and only then
/// renames it to `UUID.eml`: a reader of the folder sees whole messages or none, even when the
/// disk fills up halfway (the partial file is removed).
async fn write_whole(dir: &Path, bytes: Vec<u8>) -> Result<(), String> {
    let dir = dir.to_owned();
    // Plain blocking writes: an asynchronous file buffers them and can lose the error of the
    // last one, which is the one a full disk fails.
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let name = uuid::Uuid::new_v4();
        let (part, whole) = (
            dir.join(format!(".{name}.part")),
            dir.join(format!("{name}.eml")),
        );
        let written = std::fs::File::create(&part)
            .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.sync_all()))
            .and_then(|()| std::fs::rename(&part, &whole));
        written.map_err(|e| {
            let _ = std::fs::remove_file(&part);
            format!("cannot write {}: {e}", whole.display())
        })
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The stable `Message-ID` of an outbox row, on the sender's `domain`: retries and duplicates
/// after a crash carry the same, and no other installation's message does. (Messages queued
/// before they had a key are named by their id and time.)
pub fn message_id(row: &MessageHead, domain: &str) -> String {
    match &row.message_key {
        Some(key) => format!("<{key}@{domain}>"),
        None => format!(
            "<outbox-{}-{}@{domain}>",
            row.id,
            row.created_at.and_utc().timestamp_micros()
        ),
    }
}

/// The domain of the sender's address, which Message-IDs are made on.
pub fn domain_of(from: &Mailbox) -> &str {
    from.email.domain()
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no out-of-office reply should answer it.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// `Content-Language` (RFC 3282): the language the message is written in.
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The calendar as attached, with its METHOD in the content type as iTIP mail asks (RFC 6047);
/// a REQUEST or CANCEL names the sender as organiser and the recipient as attendee.
fn calendar_part(ics: &str, from: &Mailbox, to: &Mailbox) -> Result<(String, ContentType), String> {
    let method = ics::method_of(ics).unwrap_or("PUBLISH");
    let ics = match method {
        "PUBLISH" => ics.to_owned(),
        _ => ics::with_parties(ics, from.email.as_ref(), to.email.as_ref()),
    };
    let calendar = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
        .map_err(|e| e.to_string())?;
    Ok((ics, calendar))
}

/// The MIME message for an outbox row.
pub fn compose(message: &MessageRow, from: &Mailbox) -> Result<Message, String> {
    let row = &message.head;
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| format!("bad recipient address {:?}: {e}", row.to_address))?;
    let parts =
        MultiPart::alternative_plain_html(message.text_body.clone(), message.html_body.clone());
    let body = match &message.ics {
        None => parts,
        Some(ics) => {
            let (ics, calendar) = calendar_part(ics, from, &to)?;
            let name = format!("booking-{}.ics", row.booking_id.unwrap_or(row.id));
            MultiPart::mixed()
                .multipart(parts)
                .singlepart(Attachment::new(name).body(ics, calendar))
        }
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id(row, domain_of(from))))
        .header(AutoSubmitted)
        .header(ContentLanguage(row.locale.clone()))
        .date(row.created_at.and_utc().into())
        .multipart(body)
        .map_err(|e| e.to_string())
}
