//! Checkpoints: the chain head (entry number and hash) signed by the authority's key, to
//! be exported and published outside the database (a file on another machine, a
//! newspaper, another authority). Sealing stops rewriting; it cannot stop cutting off the
//! tail, which leaves every remaining seal valid. A chain that no longer holds a
//! published head, or holds a different entry there, has been truncated or rewritten.

use super::{AuditEntry, ChainBreak};
use crate::permit::{verify_signature, SignatureError};
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The head of the chain at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    /// Number of the last entry.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// When the checkpoint was made.
    pub at: DateTime<Utc>,
}

/// A checkpoint with the authority's signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedCheckpoint {
    /// What is signed.
    pub checkpoint: Checkpoint,
    /// The signer's public key (hex).
    pub key: String,
    /// Ed25519 signature (hex) of the checkpoint as JSON, fields in declaration order.
    pub signature: String,
}

/// Why checkpoints do not vouch for a chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    /// A checkpoint's signature does not verify under any trusted key.
    #[error("checkpoint {index} (entry {seq}): {error}")]
    Signature {
        /// Its position in the list given (from 1).
        index: usize,
        /// The entry it names.
        seq: u64,
        /// Why.
        error: SignatureError,
    },
    /// The chain disagrees with a published head.
    #[error(transparent)]
    Break(#[from] ChainBreak),
}

impl Checkpoint {
    /// The checkpoint of a chain's last entry (`None` for an empty chain).
    pub fn of(head: &AuditEntry, at: DateTime<Utc>) -> Checkpoint {
        Checkpoint {
            seq: head.seq,
            hash: head.hash.clone(),
            at,
        }
    }

    fn signing_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Sign with the authority's key.
    pub fn sign(self, key: &SigningKey) -> SignedCheckpoint {
        SignedCheckpoint {
            signature: hex::encode(key.sign(&self.signing_bytes()).to_bytes()),
            key: hex::encode(key.verifying_key().to_bytes()),
            checkpoint: self,
        }
    }
}

impl SignedCheckpoint {
    /// Verify the signature under one of the trusted keys.
    pub fn verify(&self, trusted: &[VerifyingKey]) -> Result<(), SignatureError> {
        let mut last = SignatureError::UnknownKey;
        for k in trusted {
            match verify_signature(
                &self.checkpoint.signing_bytes(),
                &self.key,
                &self.signature,
                k,
            ) {
                Ok(()) => return Ok(()),
                Err(SignatureError::UnknownKey) => {}
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// Check a (verified) chain against published checkpoints: each must be genuine, and the
/// chain must still hold the entry it names, with the same hash. Returns how many were
/// checked.
pub fn check_against(
    chain: &[AuditEntry],
    checkpoints: &[SignedCheckpoint],
    trusted: &[VerifyingKey],
) -> Result<usize, CheckpointError> {
    for (i, c) in checkpoints.iter().enumerate() {
        let cp = &c.checkpoint;
        c.verify(trusted)
            .map_err(|error| CheckpointError::Signature {
                index: i + 1,
                seq: cp.seq,
                error,
            })?;
        let at = cp.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match usize::try_from(cp.seq)
            .ok()
            .and_then(|s| s.checked_sub(1))
            .and_then(|i| chain.get(i))
        {
            None => {
                return Err(ChainBreak {
                    seq: chain.len() as u64 + 1,
                    reason: format!(
                        "truncated: the head published at {at} was entry {} ({}), but the \
                         chain ends at entry {}",
                        cp.seq,
                        short(&cp.hash),
                        chain.len()
                    ),
                }
                .into())
            }
            Some(e) if e.hash != cp.hash => {
                return Err(ChainBreak {
                    seq: cp.seq,
                    reason: format!(
                        "differs from the head published at {at} (hash {}, now {}): the \
                         chain was rewritten up to here",
                        short(&cp.hash),
                        short(&e.hash)
                    ),
                }
                .into())
            }
            Some(_) => {}
        }
    }
    Ok(checkpoints.len())
}

fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::chain;

    #[test]
    fn truncation_and_rewrites_are_caught_against_published_heads() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let trusted = [key.verifying_key()];
        let c = chain(60);
        let at = c[59].at;
        let head = Checkpoint::of(&c[59], at).sign(&key);
        let early = Checkpoint::of(&c[9], at).sign(&key);
        assert_eq!(
            check_against(&c, &[early.clone(), head.clone()], &trusted),
            Ok(2)
        );
        // the last 50 entries deleted: every remaining entry is fine, the head is gone
        let cut = &c[..10];
        let err = check_against(cut, &[early.clone(), head.clone()], &trusted).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        assert!(check_against(cut, &[early], &trusted).is_ok());
        // a rewritten chain (hashes recomputed) no longer has the published hash
        let mut other = chain(60);
        other[3].actor = "x".into();
        let mut prev: Option<AuditEntry> = None;
        for e in other.iter_mut() {
            let n = AuditEntry::next(
                prev.as_ref(),
                e.at,
                &e.actor,
                &e.action,
                &e.subject,
                e.before.clone(),
                e.after.clone(),
            );
            *e = n;
            prev = Some(e.clone());
        }
        assert!(crate::audit::verify_chain(&other).is_ok());
        let err = check_against(&other, std::slice::from_ref(&head), &trusted).unwrap_err();
        assert!(err.to_string().contains("rewritten"), "{err}");
        // a forged checkpoint (other key, or edited) is refused
        let forged = Checkpoint::of(&c[5], at).sign(&SigningKey::from_bytes(&[8; 32]));
        assert!(matches!(
            check_against(&c, &[forged], &trusted),
            Err(CheckpointError::Signature {
                error: SignatureError::UnknownKey,
                ..
            })
        ));
        let mut edited = head;
        edited.checkpoint.seq = 5;
        assert!(matches!(
            check_against(&c, &[edited], &trusted),
            Err(CheckpointError::Signature {
                error: SignatureError::Invalid,
                ..
            })
        ));
    }
}
