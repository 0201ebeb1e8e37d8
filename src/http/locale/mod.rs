//! Problems in the caller's language, zh-CN or en: the language `Accept-Language` asks for, or
//! else the signed-in user's own, or else English. The service writes its texts in English; a
//! middleware renders a problem again in Chinese from the catalogue in `zh-CN.txt`, so that a
//! text the catalogue lacks still says what to fix, in English.

mod catalogue;

use actix_web::HttpRequest;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::middleware::Next;
use serde_json::{Map, Value};

pub use catalogue::to_chinese;

use crate::domain::types::Locale;
use crate::error::{ErrorCode, Issue, ServiceError, summary};

/// The language a request's `Accept-Language` prefers among those the service speaks.
pub fn asked_for(header: &str) -> Option<Locale> {
    let mut best: Option<(f32, Locale)> = None;
    for item in header.split(',') {
        let mut fields = item.split(';');
        let tag = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let weight = fields
            .find_map(|f| f.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
        let locale = match tag.split('-').next() {
            Some("zh") => Locale::ZhCn,
            Some("en") => Locale::En,
            _ => continue,
        };
        match weight {
            Some(q) if q > 0.0 && best.is_none_or(|(b, _)| q > b) => best = Some((q, locale)),
            _ => {}
        }
    }
    best.map(|(_, locale)| locale)
}

/// The language of `req`'s problems.
fn locale_of(req: &HttpRequest) -> Locale {
    req.headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(asked_for)
        .or_else(|| crate::http::authn::caller_locale(req))
        .unwrap_or(Locale::En)
}

/// Renders a problem again in Chinese when that is the caller's language: the body and the
/// headers of the rendering replace the first ones, others (such as `Allow`) stay. Other
/// responses pass untouched.
pub async fn localize<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let res = next.call(req).await?;
    let problem = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ServiceError>());
    let chinese = match problem {
        Some(p) if locale_of(res.request()) == Locale::ZhCn => p.render(Locale::ZhCn),
        _ => return Ok(res.map_into_left_body()),
    };
    Ok(res.map_body(|head, _| {
        for (name, value) in chinese.headers() {
            head.headers.insert(name.clone(), value.clone());
        }
        EitherBody::right(chinese.into_body())
    }))
}

/// What a problem says, in one language.
pub struct Texts {
    pub title: &'static str,
    pub detail: String,
    pub issues: Vec<Issue>,
    pub extra: Map<String, Value>,
}

/// The problem's texts in `locale`: in Chinese, each one the catalogue has.
pub fn texts(err: &ServiceError, locale: Locale) -> Texts {
    let status = StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if locale == Locale::En {
        return Texts {
            title: status.canonical_reason().unwrap_or("Error"),
            detail: err.detail.clone(),
            issues: err.issues.clone(),
            extra: err.extra.clone(),
        };
    }
    let zh = |text: &str| to_chinese(text).unwrap_or_else(|| text.to_owned());
    let issues: Vec<Issue> = err
        .issues
        .iter()
        .map(|i| Issue {
            message: zh(&i.message),
            ..i.clone()
        })
        .collect();
    let composed = err.code == ErrorCode::ValidationFailed && err.detail == summary(&err.issues);
    let detail = match (composed, issues.as_slice()) {
        (true, [one]) => match &one.field {
            Some(field) => format!("{field}：{}", one.message),
            None => one.message.clone(),
        },
        _ => zh(&err.detail),
    };
    let extra = err
        .extra
        .iter()
        .map(|(k, v)| (k.clone(), in_chinese(k, v)))
        .collect();
    Texts {
        title: chinese_title(status),
        detail,
        issues,
        extra,
    }
}

/// The prose inside a problem's extra members (a `reason`, a `message`) in Chinese; data, such
/// as names and times, as it is.
fn in_chinese(key: &str, value: &Value) -> Value {
    match value {
        Value::String(s) if matches!(key, "reason" | "message" | "detail") => {
            Value::String(to_chinese(s).unwrap_or_else(|| s.clone()))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| in_chinese(key, v)).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), in_chinese(k, v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn chinese_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求有误",
        401 => "未认证",
        403 => "无权操作",
        404 => "未找到",
        405 => "不支持的方法",
        408 => "请求超时",
        409 => "冲突",
        412 => "前提条件不成立",
        413 => "请求体过大",
        415 => "不支持的媒体类型",
        422 => "无法处理的请求",
        428 => "需要前提条件",
        429 => "请求过多",
        500 => "服务器内部错误",
        503 => "服务暂不可用",
        _ => "错误",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_language_the_service_speaks() {
        assert_eq!(asked_for("zh-CN,zh;q=0.9,en;q=0.8"), Some(Locale::ZhCn));
        assert_eq!(asked_for("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Locale::En));
        assert_eq!(asked_for("fr-FR, zh-TW;q=0.5"), Some(Locale::ZhCn));
        assert_eq!(asked_for("en;q=0.2, zh;q=0.7"), Some(Locale::ZhCn));
        assert_eq!(asked_for("zh;q=0, en;q=0.1"), Some(Locale::En));
        assert_eq!(asked_for("de, *"), None);
        assert_eq!(asked_for(""), None);
    }

    #[test]
    fn a_validation_failure_is_composed_again_from_its_chinese_issue() {
        let err = ServiceError::invalid_field("end", "must be after start");
        let t = texts(&err, Locale::ZhCn);
        assert_eq!(t.detail, "end：必须晚于 start");
        assert_eq!(t.issues[0].message, "必须晚于 start");
        assert_eq!(t.title, "无法处理的请求");
        let two = ServiceError::validation(vec![
            Issue::field("a", "must be in the future"),
            Issue::field("b", "must not be negative"),
        ]);
        assert_eq!(
            texts(&two, Locale::ZhCn).detail,
            "2 个字段有误；详见 errors"
        );
    }
}
