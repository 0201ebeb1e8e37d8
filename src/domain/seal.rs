//! Secrets the server must use again but never shows twice (webhook signing secrets), sealed
//! with ChaCha20-Poly1305 under a key derived from the servers' shared secret: a copy of the
//! database alone does not reveal them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;

const NONCE_LEN: usize = 12;

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct Sealer {
    key: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer")
    }
}

impl Sealer {
    /// The sealer of servers sharing `secret`; `purpose` keeps keys for different uses apart.
    pub fn derive(secret: &[u8], purpose: &str) -> Sealer {
        let derived = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, secret),
            purpose.as_bytes(),
        );
        let key = UnboundKey::new(&CHACHA20_POLY1305, derived.as_ref())
            .expect("an HMAC-SHA256 tag is a ChaCha20 key's length");
        Sealer {
            key: std::sync::Arc::new(LessSafeKey::new(key)),
        }
    }

    /// The secret sealed under a fresh random nonce, as base64 of nonce and ciphertext.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("a short secret seals");
        let mut out = nonce.to_vec();
        out.extend(data);
        STANDARD.encode(out)
    }

    /// The secret, or why it cannot be opened (another key, or a damaged value).
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let bytes = STANDARD.decode(sealed).map_err(|e| e.to_string())?;
        if bytes.len() < NONCE_LEN {
            return Err("the sealed secret is too short".into());
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce".to_owned())?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| "the secret was sealed with another key".to_owned())?;
        String::from_utf8(plain.to_vec()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key() {
        let s = Sealer::derive(b"shared-secret-0123456789abcdef-0123", "webhooks");
        let sealed = s.seal("whsec_abc");
        assert!(!sealed.contains("whsec"));
        assert_ne!(sealed, s.seal("whsec_abc"), "a fresh nonce each time");
        assert_eq!(s.open(&sealed).unwrap(), "whsec_abc");
        let other = Sealer::derive(b"another-secret-0123456789abcdef-01", "webhooks");
        assert!(other.open(&sealed).is_err());
        assert!(
            Sealer::derive(b"shared-secret-0123456789abcdef-0123", "feeds")
                .open(&sealed)
                .is_err()
        );
    }
}
