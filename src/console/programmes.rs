//! An issuer's programmes, the grant of a voucher to an enterprise, and the settlement
//! statements the issuer is a party to.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::chrome::{Chrome, label, yuan};
use super::lines::name;
use super::session::Posted;
use super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::db::statements::StatementFilter;
use crate::db::vouchers as store;
use crate::domain::ids::OrganizationId;
use crate::domain::types::Role;
use crate::error::ServiceError;

pub struct Programme {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub ratio: String,
    pub cap: String,
    pub valid: String,
    pub provinces: String,
    pub mine: bool,
}

pub struct StatementLine {
    pub id: i64,
    pub period: String,
    pub amount: String,
    pub lines: i64,
    pub status: &'static str,
    pub state: &'static str,
    pub provider_id: i64,
}

#[derive(Template)]
#[template(path = "programmes.html", config = "src/console/askama.toml")]
struct ProgrammesPage {
    c: Chrome,
    programmes: Vec<Programme>,
    statements: Vec<StatementLine>,
    f: GrantForm,
    slip: Slip,
}

#[derive(Deserialize, Default)]
pub struct GrantForm {
    #[serde(default)]
    program_id: String,
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    amount_yuan: String,
    #[serde(default)]
    expires_on: String,
}

async fn show(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    notice: Option<String>,
    f: GrantForm,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    viewer
        .actor
        .require(&[Role::Issuer])
        .map_err(ServiceError::from)?;
    let (actor, locale) = (viewer.actor.clone(), viewer.locale);
    let (programmes, statements) = crate::http::read(state, move |conn| {
        let programmes = store::list_programs(conn, None, 200)?
            .into_iter()
            .map(|p| Programme {
                id: p.id,
                mine: actor.acts_for(OrganizationId(p.issuer_id)),
                name: name(locale, &p.name_en, &p.name_zh),
                ratio: format!("{:.0} %", p.ratio_bps as f64 / 100.0),
                cap: yuan(p.annual_cap_fen),
                valid: format!("{} – {}", p.valid_from, p.valid_until),
                provinces: p.accepted_provinces,
                code: p.code,
            })
            .collect::<Vec<_>>();
        let rows = crate::settlements::statements::list(
            conn,
            &actor,
            StatementFilter::default(),
            (None, 200),
        )?;
        let statements = rows
            .into_iter()
            .map(|s| StatementLine {
                id: s.id,
                period: format!("{} – {}", s.period_from, s.period_to),
                amount: yuan(s.amount_fen),
                lines: s.line_count,
                status: label(locale, s.status.as_str()),
                state: s.status.as_str(),
                provider_id: s.provider_id,
            })
            .collect::<Vec<_>>();
        Ok((programmes, statements))
    })
    .await?;
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        ProgrammesPage {
            c: viewer.chrome(notice),
            programmes,
            statements,
            f,
            slip,
        },
    )
}

pub async fn programmes(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = q.notice(viewer.locale);
    show(
        &state,
        &viewer,
        notice,
        GrantForm::default(),
        (Slip::default(), None),
    )
    .await
}

/// A whole number a form field gave, or what is wrong with it.
fn whole(field: &str, text: &str) -> Result<i64, ServiceError> {
    text.trim()
        .parse()
        .map_err(|_| ServiceError::invalid_field(field, "give a whole number"))
}

/// The grant a form asks for: programme, enterprise, amount in fen, and the end of the expiry
/// day in China Standard Time.
fn grant_of(f: &GrantForm) -> Result<(i64, i64, i64, chrono::NaiveDateTime), ServiceError> {
    let amount = whole("amount_yuan", &f.amount_yuan)?;
    let amount = amount
        .checked_mul(100)
        .ok_or_else(|| ServiceError::invalid_field("amount_yuan", "is too large"))?;
    let day = NaiveDate::parse_from_str(f.expires_on.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid_field("expires_on", "give a day as YYYY-MM-DD"))?;
    let next = day
        .succ_opt()
        .ok_or_else(|| ServiceError::invalid_field("expires_on", "is too far ahead"))?;
    let expires = crate::http::dto::parse_instant("expires_on", &format!("{next}T00:00:00+08:00"))?;
    Ok((
        whole("program_id", &f.program_id)?,
        whole("enterprise_id", &f.enterprise_id)?,
        amount,
        expires,
    ))
}

pub async fn grant(
    state: web::Data<AppState>,
    posted: Posted<GrantForm>,
) -> Result<HttpResponse, Shown> {
    let (viewer, f) = (posted.viewer, posted.form);
    let (actor, now) = (viewer.actor.clone(), state.clock.naive());
    let result = match grant_of(&f) {
        Ok((program, enterprise, amount, expires)) => {
            crate::http::write(&state, move |conn| {
                crate::vouchers::grant(conn, &actor, program, enterprise, amount, expires, now)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(row) => Ok(done("/console/vouchers", "granted", row.id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(0, &e, viewer.locale);
            show(&state, &viewer, None, f, (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    note: String,
}

/// Takes an issuer's step on a statement, as `POST /api/v1/settlement-statements/{id}/…` does:
/// agreeing, paying with the transfer's reference, or disputing with a reason.
async fn take(
    state: web::Data<AppState>,
    id: i64,
    posted: Posted<StepForm>,
    (step, key): (crate::domain::statement::Step, &'static str),
) -> Result<HttpResponse, Shown> {
    use crate::domain::statement::Step;
    let viewer = posted.viewer;
    let note = posted.form.note.trim().to_owned();
    let checked = match step {
        Step::Pay if !crate::domain::text_fits(&note, 100) => Err(ServiceError::invalid_field(
            "note",
            "give the transfer's reference (1 to 100 characters)",
        )),
        Step::Dispute if !crate::domain::prose_fits(&note, 500) => Err(
            ServiceError::invalid_field("note", "say why (1 to 500 characters)"),
        ),
        Step::Pay | Step::Dispute => Ok(Some(note)),
        _ => Ok(None),
    };
    let (actor, now) = (viewer.actor.clone(), state.clock.naive());
    let result = match checked {
        Ok(note) => {
            crate::http::write(&state, move |conn| {
                crate::settlements::statements::advance(conn, &actor, (id, step), note, now)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done("/console/programmes", key, id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            show(&state, &viewer, None, GrantForm::default(), (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn agree(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<StepForm>,
) -> Result<HttpResponse, Shown> {
    let step = (crate::domain::statement::Step::Agree, "statement-agreed");
    take(state, path.into_inner(), posted, step).await
}

pub async fn pay(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<StepForm>,
) -> Result<HttpResponse, Shown> {
    let step = (crate::domain::statement::Step::Pay, "statement-paid");
    take(state, path.into_inner(), posted, step).await
}

pub async fn dispute(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<StepForm>,
) -> Result<HttpResponse, Shown> {
    let step = (
        crate::domain::statement::Step::Dispute,
        "statement-disputed",
    );
    take(state, path.into_inner(), posted, step).await
}
