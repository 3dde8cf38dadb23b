//! Seals: each audit entry's hash authenticated (HMAC-SHA256) under a key the database
//! never holds. Someone who can write the database can still rewrite an entry and
//! recompute the hash chain after it, but cannot compute the seals, so verification with
//! the key finds the first rewritten entry.
//!
//! The key is derived from the authority's secret (the permit-signing key file) with a
//! domain separator, so there is one secret to keep and back up, and a seal never doubles
//! as a signature.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Domain separator of the derived seal key (changing it changes every seal).
const DERIVE: &[u8] = b"fentguard/audit-seal/v1\0";
/// Domain separator of the key id.
const ID: &[u8] = b"fentguard/audit-seal-id/v1\0";

/// The key that seals audit entries, with its id (safe to store and show: it is a hash).
#[derive(Clone)]
pub struct AuditSeal {
    key: [u8; 32],
    id: String,
}

impl std::fmt::Debug for AuditSeal {
    // Never print the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSeal").field("id", &self.id).finish()
    }
}

impl AuditSeal {
    /// The seal key derived from an authority secret (32 bytes, e.g. the Ed25519 seed of
    /// the permit-signing key).
    pub fn derive(secret: &[u8; 32]) -> AuditSeal {
        let key: [u8; 32] = Sha256::new()
            .chain_update(DERIVE)
            .chain_update(secret)
            .finalize()
            .into();
        let id = hex::encode(Sha256::new().chain_update(ID).chain_update(key).finalize())[..16]
            .to_string();
        AuditSeal { key, id }
    }

    /// The key id stored with each entry it seals.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn hmac(&self) -> HmacSha256 {
        // HMAC takes keys of any length: this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!())
    }

    /// The seal of an entry hash (hex).
    pub fn mac(&self, entry_hash: &str) -> String {
        let mut m = self.hmac();
        m.update(entry_hash.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Whether `mac` (hex) seals `entry_hash`; compared in constant time.
    pub fn check(&self, entry_hash: &str, mac: &str) -> bool {
        let Ok(bytes) = hex::decode(mac) else {
            return false;
        };
        let mut m = self.hmac();
        m.update(entry_hash.as_bytes());
        m.verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_depend_on_key_and_hash() {
        let a = AuditSeal::derive(&[1; 32]);
        let b = AuditSeal::derive(&[2; 32]);
        assert_ne!(a.id(), b.id());
        let m = a.mac("abc");
        assert!(a.check("abc", &m));
        assert!(!a.check("abd", &m));
        assert!(!b.check("abc", &m));
        assert!(!a.check("abc", "not hex"));
        assert_eq!(a.id(), AuditSeal::derive(&[1; 32]).id());
        assert!(!format!("{a:?}").contains(&hex::encode(a.key)));
    }
}
