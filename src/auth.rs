//! Credentials: argon2 password hashes, short-lived HS256 JWTs with issuer and audience checked,
//! and opaque API tokens of which only a SHA-256 digest is stored.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::Role;

pub const ISSUER: &str = "instrument-booking";
pub const AUDIENCE: &str = "instrument-booking-api";
/// Machine tokens carry this prefix so that they are never mistaken for a JWT.
pub const API_TOKEN_PREFIX: &str = "ibk_";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot hash password: {0}")]
    Hash(String),
    #[error("cannot sign token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// True when `password` matches `hash`; a malformed stored hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Who a JWT speaks for. Role and organisation are what they were at signing, for the client's
/// information; the server reads them from the account on every request, and refuses the token
/// once the account's `token_version` has moved past `ver`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub ver: i64,
    pub role: Role,
    pub org: Option<OrganizationId>,
}

/// The account a token is signed for.
pub struct Subject {
    pub user: UserId,
    pub role: Role,
    pub org: Option<OrganizationId>,
    pub version: i64,
}

/// Clocks of servers sharing a secret may differ by this much.
const CLOCK_SKEW_SECONDS: i64 = 30;

/// Signs and checks access tokens with one HMAC secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_seconds: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Result<TokenKeys, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            ttl_seconds,
        })
    }

    pub fn issue(&self, subject: &Subject, now: i64) -> Result<String, AuthError> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: subject.user.0.to_string(),
            exp: now + self.ttl_seconds,
            iat: now,
            nbf: now,
            ver: subject.version,
            role: subject.role,
            org: subject.org,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks signature, algorithm, issuer, audience, expiry and not-before, and that the token
    /// was issued neither in the future nor for longer than this server signs for.
    pub fn verify(&self, token: &str, now: i64) -> Result<(UserId, Claims), String> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| e.to_string())?;
        let claims = &data.claims;
        if claims.iat > now + CLOCK_SKEW_SECONDS {
            return Err("the token is issued in the future".into());
        }
        if claims.exp - claims.iat > self.ttl_seconds {
            return Err("the token claims a longer life than this server grants".into());
        }
        let id = data
            .claims
            .sub
            .parse::<i64>()
            .map_err(|_| "subject is not a user id".to_owned())?;
        Ok((UserId(id), data.claims))
    }
}

/// A new random API token and the digest to store for it.
pub fn new_api_token() -> (String, String) {
    new_token(API_TOKEN_PREFIX)
}

/// A new random bearer secret of 256 bits with `prefix`, and the digest to store for it.
pub fn new_token(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let digest = digest_api_token(&token);
    (token, digest)
}

pub fn digest_api_token(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random secret for signing JWTs, kept in the data directory of the embedded default.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify() {
        let hash = hash_password("demo-password").unwrap();
        assert!(verify_password("demo-password", &hash));
        assert!(!verify_password("other", &hash));
        assert!(!verify_password("demo-password", "not a hash"));
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 60).unwrap();
        let now = chrono::Utc::now().timestamp();
        let subject = Subject {
            user: UserId(7),
            role: Role::Booker,
            org: Some(OrganizationId(3)),
            version: 2,
        };
        let token = keys.issue(&subject, now).unwrap();
        let (id, claims) = keys.verify(&token, now).unwrap();
        assert_eq!(id, UserId(7));
        assert_eq!((claims.role, claims.ver), (Role::Booker, 2));
        let old = keys.issue(&subject, now - 120).unwrap();
        assert!(keys.verify(&old, now).is_err());
        let future = keys.issue(&subject, now + 600).unwrap();
        assert!(keys.verify(&future, now).is_err(), "not yet valid");
    }

    #[test]
    fn api_tokens_are_prefixed_and_digested() {
        let (token, digest) = new_api_token();
        assert!(token.starts_with(API_TOKEN_PREFIX));
        assert_eq!(digest, digest_api_token(&token));
        assert_eq!(digest.len(), 64);
    }
}
