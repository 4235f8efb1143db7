//! HMAC-SHA256 signatures of local-backend URLs.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::StorageError;

type HmacSha256 = Hmac<Sha256>;

/// Signs and verifies `"METHOD\nkey\nexpires"` with a secret key.
#[derive(Clone)]
pub(crate) struct LocalSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalSigner(<redacted>)")
    }
}

impl LocalSigner {
    /// A signer with the given secret.
    pub(crate) fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    /// A signer with 32 random bytes as secret.
    pub(crate) fn random() -> Self {
        Self::new(rand::random::<[u8; 32]>().to_vec())
    }

    fn mac(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        bound: Option<&str>,
    ) -> Result<HmacSha256, StorageError> {
        // HMAC accepts keys of any length, so this cannot fail in practice.
        let mut mac = HmacSha256::new_from_slice(&self.secret)
            .map_err(|e| StorageError::Config(format!("signing key: {e}")))?;
        mac.update(method.as_bytes());
        mac.update(b"\n");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        // Uploads also bind their content type and size: "\n<type>\n<bytes>".
        if let Some(bound) = bound {
            mac.update(b"\n");
            mac.update(bound.as_bytes());
        }
        Ok(mac)
    }

    /// The base64url (unpadded) HMAC-SHA256 of `"METHOD\nkey\nexpires"`.
    pub(crate) fn sign(
        &self,
        method: &str,
        key: &str,
        expires: i64,
    ) -> Result<String, StorageError> {
        self.sign_bound(method, key, expires, None)
    }

    /// Like [`Self::sign`], with `bound` (e.g. `"image/jpeg\n1234"`) appended to the message.
    pub(crate) fn sign_bound(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        bound: Option<&str>,
    ) -> Result<String, StorageError> {
        Ok(URL_SAFE_NO_PAD.encode(
            self.mac(method, key, expires, bound)?
                .finalize()
                .into_bytes(),
        ))
    }

    /// Checks `signature` in constant time; does not look at the clock.
    pub(crate) fn verify(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        signature: &str,
    ) -> Result<(), StorageError> {
        self.verify_bound(method, key, expires, None, signature)
    }

    /// Checks a signature made by [`Self::sign_bound`]; constant-time, clock not consulted.
    pub(crate) fn verify_bound(
        &self,
        method: &str,
        key: &str,
        expires: i64,
        bound: Option<&str>,
        signature: &str,
    ) -> Result<(), StorageError> {
        let given = URL_SAFE_NO_PAD
            .decode(signature.trim_end_matches('='))
            .map_err(|_| StorageError::BadSignature)?;
        self.mac(method, key, expires, bound)?
            .verify_slice(&given)
            .map_err(|_| StorageError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_documented_message() {
        // Independent computation of the documented format.
        let mut mac = HmacSha256::new_from_slice(b"secret").unwrap();
        mac.update(b"GET\nuploads/u/a.png\n1700000000");
        let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let signer = LocalSigner::new(b"secret".to_vec());
        assert_eq!(
            signer
                .sign("GET", "uploads/u/a.png", 1_700_000_000)
                .unwrap(),
            expected
        );
        assert_eq!(expected.len(), 43, "32 bytes, unpadded base64url");
        assert!(!expected.contains(['+', '/', '=']));
    }

    #[test]
    fn verify_accepts_own_and_rejects_tampered() {
        let signer = LocalSigner::new(b"k".to_vec());
        let sig = signer.sign("PUT", "a/b.png", 42).unwrap();
        signer.verify("PUT", "a/b.png", 42, &sig).unwrap();
        let bad = |m: &str, k: &str, e: i64, s: &str| {
            matches!(signer.verify(m, k, e, s), Err(StorageError::BadSignature))
        };
        assert!(bad("GET", "a/b.png", 42, &sig), "method");
        assert!(bad("PUT", "a/c.png", 42, &sig), "key");
        assert!(bad("PUT", "a/b.png", 43, &sig), "expiry");
        assert!(bad("PUT", "a/b.png", 42, ""), "empty signature");
        assert!(bad("PUT", "a/b.png", 42, "not base64!"), "garbage");
        assert!(
            bad("PUT", "a/b.png", 42, &sig[..sig.len() - 2]),
            "truncated"
        );
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        assert!(
            bad("PUT", "a/b.png", 42, &String::from_utf8(flipped).unwrap()),
            "flipped"
        );
        let other = LocalSigner::new(b"other".to_vec());
        assert!(matches!(
            other.verify("PUT", "a/b.png", 42, &sig),
            Err(StorageError::BadSignature)
        ));
    }

    #[test]
    fn random_signers_differ() {
        let a = LocalSigner::random();
        let b = LocalSigner::random();
        let sig = a.sign("GET", "k", 1).unwrap();
        assert!(b.verify("GET", "k", 1, &sig).is_err());
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.secret)));
    }
}
