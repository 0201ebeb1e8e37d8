//! Webhooks as the Standard Webhooks convention has them: event type names, the signature of
//! `id.timestamp.body` under a `whsec_` secret, and which endpoints the server may call at all.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

/// Every event a subscription can ask for.
pub const EVENT_TYPES: &[&str] = &[
    "booking.requested",
    "booking.confirmed",
    "booking.waitlisted",
    "booking.promoted",
    "booking.rejected",
    "booking.cancelled",
    "booking.expired",
    "booking.no_show",
    "booking.checked_in",
    "booking.checked_out",
    "voucher.held",
    "voucher.captured",
    "voucher.released",
    "allocation.approved",
    "allocation.rejected",
    "allocation.threshold",
    "service_order.submitted",
    "service_order.accepted",
    "service_order.rejected",
    "service_order.samples_received",
    "service_order.in_progress",
    "service_order.report_delivered",
    "service_order.cancelled",
    "statement.issued",
    "statement.paid",
];

/// Subscribes to every event type, present and future.
pub const ALL: &str = "*";

/// The event types asked for, checked and in a stable order: `["*"]`, or known names.
pub fn check_events(asked: &[String]) -> Result<Vec<String>, String> {
    if asked.is_empty() {
        return Err("name at least one event type, or \"*\" for all".into());
    }
    if asked.iter().any(|e| e == ALL) {
        return match asked.len() {
            1 => Ok(vec![ALL.to_owned()]),
            _ => Err("\"*\" already means every event type; send it alone".into()),
        };
    }
    let unknown: Vec<&str> = asked
        .iter()
        .map(String::as_str)
        .filter(|e| !EVENT_TYPES.contains(e))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown event types {}; known are {}",
            unknown.join(", "),
            EVENT_TYPES.join(", ")
        ));
    }
    let mut events: Vec<String> = asked.to_vec();
    events.sort();
    events.dedup();
    Ok(events)
}

/// True when a subscription to `events` (as stored: comma-separated) wants `event_type`.
pub fn wants(events: &str, event_type: &str) -> bool {
    events.split(',').any(|e| e == ALL || e == event_type)
}

/// The prefix of a signing secret, as the published verification libraries expect it.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: 32 random bytes, base64 after the prefix.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header for one attempt: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body` under the secret's decoded bytes.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the signing secret is not base64: {e}"))?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(tag.as_ref())))
}

/// Checks an endpoint's URL: absolute HTTPS with a host and no credentials; plain HTTP only
/// where private addresses are allowed (tests and closed networks, which often have no TLS).
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("is not an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("must be an https:// URL".into()),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password; authenticate by the signature".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    if text.len() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    Ok(url)
}

/// True for an address on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, multicast or reserved, in IPv4 or IPv6 (mapped included).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let sig = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn events_are_checked_and_matched() {
        let asked = |v: &[&str]| check_events(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            asked(&[
                "booking.confirmed",
                "booking.cancelled",
                "booking.confirmed"
            ])
            .unwrap(),
            ["booking.cancelled", "booking.confirmed"]
        );
        assert!(
            asked(&["booking.exploded"])
                .unwrap_err()
                .contains("booking.exploded")
        );
        assert!(asked(&["*", "booking.confirmed"]).is_err());
        assert!(asked(&[]).is_err());
        assert!(wants(
            "booking.cancelled,booking.confirmed",
            "booking.confirmed"
        ));
        assert!(!wants("booking.cancelled", "booking.confirmed"));
        assert!(wants("*", "statement.paid"));
    }

    #[test]
    fn only_public_addresses_and_https_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "202.120.224.1", "2400:3200::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert!(check_url("https://lims.example.cn/hooks", false).is_ok());
        assert!(check_url("http://lims.example.cn/hooks", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/", true).is_ok());
        assert!(check_url("https://u:p@lims.example.cn/", false).is_err());
        assert!(check_url("lims.example.cn", false).is_err());
    }
}
