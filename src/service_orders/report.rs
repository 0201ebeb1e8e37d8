//! An order's report: a file the lab's staff upload while measuring (checked to be the type it
//! claims, at most [`MAX_REPORT_BYTES`]) and that only the ordering organisation and the lab may
//! download.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::visible;
use crate::db::DbConnection;
use crate::db::service_orders::{self as store, ReportMeta};
use crate::domain::actor::Actor;
use crate::domain::ids::OrderId;
use crate::domain::service_order::{MAX_REPORT_BYTES, check_report, clean_file_name};
use crate::domain::types::OrderState;
use crate::error::{ErrorCode, ServiceError};

/// A file as uploaded.
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Puts the report of an order in progress, in place of any earlier one; the report is then
/// delivered with `POST /service-orders/{id}/deliver`.
pub fn upload(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    file: Upload<'_>,
    at: NaiveDateTime,
) -> Result<ReportMeta, ServiceError> {
    store::lock(conn, OrderId(id))?;
    let v = visible(conn, user, OrderId(id))?;
    if !v.staff {
        return Err(ServiceError::forbidden(
            "reports are uploaded by the lab's operators and managers",
        ));
    }
    if !matches!(
        v.order.state,
        OrderState::SamplesReceived | OrderState::InProgress
    ) {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "the order is {}; a report is uploaded once the samples are received and before it is delivered",
                v.order.state
            ),
        ));
    }
    let file_name = clean_file_name(file.file_name).ok_or_else(|| {
        ServiceError::new(
            ErrorCode::InvalidQuery,
            "name the file: ?file_name=report.pdf",
        )
    })?;
    if file.bytes.len() > MAX_REPORT_BYTES {
        return Err(ServiceError::new(
            ErrorCode::PayloadTooLarge,
            format!("a report is at most {MAX_REPORT_BYTES} bytes"),
        ));
    }
    let content_type = check_report(file.content_type, file.bytes)
        .map_err(|why| ServiceError::new(ErrorCode::UnsupportedMediaType, why))?;
    let meta = ReportMeta {
        order_id: id,
        file_name,
        content_type: content_type.to_owned(),
        size_bytes: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
        sha256: Sha256::digest(file.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        uploaded_by: user.id.0,
        uploaded_at: at,
    };
    store::put_report(conn, &meta, file.bytes)?;
    let change = crate::audit::Change {
        subject: ("service_order", id),
        action: "service_order.report_uploaded",
        owner: Some(v.order.provider_id),
        party: Some(v.order.organization_id),
        reason: None,
    };
    let after = serde_json::json!({
        "file_name": meta.file_name,
        "content_type": meta.content_type,
        "size_bytes": meta.size_bytes,
        "sha256": meta.sha256,
    });
    crate::audit::record(conn, user, change, (None::<&()>, Some(&after)), at)?;
    Ok(meta)
}

/// The report's description, for whoever may see the order.
pub fn meta(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
) -> Result<Option<ReportMeta>, ServiceError> {
    visible(conn, user, OrderId(id))?;
    Ok(store::report_meta(conn, id)?)
}

/// The report and its bytes, for the ordering organisation and the lab.
pub fn download(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
) -> Result<(ReportMeta, Vec<u8>), ServiceError> {
    let meta = meta(conn, user, id)?.ok_or_else(|| ServiceError::not_found("report"))?;
    let bytes =
        store::report_content(conn, id)?.ok_or_else(|| ServiceError::not_found("report"))?;
    Ok((meta, bytes))
}
