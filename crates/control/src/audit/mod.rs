//! The audit trail: an append-only hash chain. Each entry records who, when, what, before
//! and after, and the hash of the previous entry; editing, deleting or reordering any
//! entry breaks the chain at that point.
//!
//! A chain alone stops only naive edits: whoever can write the database can rewrite an
//! entry and recompute every hash after it, or cut off the tail. Three further checks
//! close that (issue 11 item 6):
//! - [`seal`]: every entry carries an HMAC of its hash under a key kept outside the
//!   database, so a rewritten entry cannot be re-sealed;
//! - [`checkpoint`]: signed statements of the chain head, exported and published, so a
//!   truncated chain no longer contains a head that was published;
//! - [`agreement`]: the business tables must hold the state the trail says they hold.

pub mod agreement;
pub mod checkpoint;
pub mod seal;

pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use seal::AuditSeal;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id).
    pub actor: String,
    /// What was done (e.g. `application.submit`).
    pub action: String,
    /// What it was done to (e.g. `application/42`).
    pub subject: String,
    /// State before (JSON, null when created).
    pub before: serde_json::Value,
    /// State after.
    pub after: serde_json::Value,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
    /// HMAC-SHA256 of `hash` under the audit key (see [`seal`]); `None` only for entries
    /// written before sealing existed, which verification refuses until they are sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Which audit key sealed it ([`AuditSeal::id`]), so earlier keys keep verifying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct ChainBreak {
    /// First bad entry.
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

/// Hash of everything in an entry except its own hash.
fn content_hash(e: &AuditEntry) -> String {
    let body = serde_json::json!([
        e.seq,
        e.at_text(),
        e.actor,
        e.action,
        e.subject,
        e.before,
        e.after,
        e.prev_hash
    ]);
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

impl AuditEntry {
    /// The time as hashed and as stored: RFC 3339, microseconds, `Z`. Storage must keep
    /// exactly this text, or verification fails.
    pub fn at_text(&self) -> String {
        self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }

    /// The entry that follows `prev` (or starts the chain).
    pub fn next(
        prev: Option<&AuditEntry>,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: &str,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> AuditEntry {
        let seq = prev.map_or(1, |p| p.seq + 1);
        let prev_hash = prev.map_or(GENESIS.to_string(), |p| p.hash.clone());
        let mut e = AuditEntry {
            seq,
            at,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            before,
            after,
            prev_hash,
            hash: String::new(),
            mac: None,
            key_id: None,
        };
        e.hash = content_hash(&e);
        e
    }

    fn recomputed(&self) -> String {
        content_hash(self)
    }

    /// This entry sealed with `seal` (its MAC and key id set).
    pub fn sealed(mut self, seal: &AuditSeal) -> AuditEntry {
        self.mac = Some(seal.mac(&self.hash));
        self.key_id = Some(seal.id().to_string());
        self
    }
}

/// Verify a whole chain and every entry's seal: `seals` are the audit keys that may have
/// sealed it (the current one and earlier ones), found by key id. An empty chain is valid.
pub fn verify_sealed(entries: &[AuditEntry], seals: &[AuditSeal]) -> Result<(), ChainBreak> {
    verify_chain(entries)?;
    for e in entries {
        let (Some(mac), Some(id)) = (&e.mac, &e.key_id) else {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "carries no seal (written without the audit key, or its seal was \
                         removed)"
                    .into(),
            });
        };
        let Some(seal) = seals.iter().find(|s| s.id() == id) else {
            return Err(ChainBreak {
                seq: e.seq,
                reason: format!("sealed with audit key {id}, which is not among the keys given"),
            });
        };
        if !seal.check(&e.hash, mac) {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "its seal does not match (rewritten by someone without the audit key)"
                    .into(),
            });
        }
    }
    Ok(())
}

/// Verify a whole chain's hashes and links, in order (not its seals: see
/// [`verify_sealed`]). An empty chain is valid.
pub fn verify_chain(entries: &[AuditEntry]) -> Result<(), ChainBreak> {
    let mut prev_hash = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let want_seq = i as u64 + 1;
        if e.seq != want_seq {
            return Err(ChainBreak {
                seq: want_seq,
                reason: format!(
                    "expected entry {want_seq}, found {} (deleted or reordered)",
                    e.seq
                ),
            });
        }
        if e.prev_hash != prev_hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason:
                    "does not follow the previous entry (an entry before it was changed or removed)"
                        .into(),
            });
        }
        if e.recomputed() != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "its content does not match its hash (edited)".into(),
            });
        }
        prev_hash = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    pub(crate) fn chain(n: usize) -> Vec<AuditEntry> {
        let mut v: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let at = Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("t")
                + chrono::Duration::seconds(i as i64);
            let e = AuditEntry::next(
                v.last(),
                at,
                "officer-1",
                "application.decide",
                &format!("application/{i}"),
                serde_json::json!({"state": "under_review"}),
                serde_json::json!({"state": "approved", "i": i}),
            );
            v.push(e);
        }
        v
    }

    #[test]
    fn detects_edit_delete_and_reorder() {
        let c = chain(5);
        assert_eq!(verify_chain(&c), Ok(()));
        let mut edited = c.clone();
        edited[2].after = serde_json::json!({"state": "refused"});
        assert_eq!(verify_chain(&edited).unwrap_err().seq, 3);
        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify_chain(&deleted).unwrap_err().seq, 2);
        let mut truncated_front = c.clone();
        truncated_front.remove(0);
        assert!(verify_chain(&truncated_front).is_err());
        let mut swapped = c.clone();
        swapped.swap(3, 4);
        assert_eq!(verify_chain(&swapped).unwrap_err().seq, 4);
        // a forger who re-hashes one entry still breaks the link after it
        let mut rehashed = c.clone();
        rehashed[1].actor = "someone-else".into();
        rehashed[1].hash = rehashed[1].recomputed();
        assert_eq!(verify_chain(&rehashed).unwrap_err().seq, 3);
    }

    #[test]
    fn a_rewritten_and_rehashed_chain_fails_its_seals() {
        let seal = AuditSeal::derive(&[3; 32]);
        let sealed: Vec<AuditEntry> = chain(30).into_iter().map(|e| e.sealed(&seal)).collect();
        assert_eq!(verify_sealed(&sealed, std::slice::from_ref(&seal)), Ok(()));
        // rewrite entry 12 and recompute every hash after it: the plain chain is fine...
        let mut forged: Vec<AuditEntry> = Vec::new();
        for (i, e) in sealed.iter().enumerate() {
            let mut n = AuditEntry::next(
                forged.last(),
                e.at,
                if i == 11 { "someone-else" } else { &e.actor },
                &e.action,
                &e.subject,
                e.before.clone(),
                e.after.clone(),
            );
            n.mac = e.mac.clone();
            n.key_id = e.key_id.clone();
            forged.push(n);
        }
        assert_eq!(verify_chain(&forged), Ok(()));
        // ...but not its seals, from the rewritten entry on
        assert_eq!(
            verify_sealed(&forged, std::slice::from_ref(&seal))
                .unwrap_err()
                .seq,
            12
        );
        // a seal removed, or made with a key not given, is a break too
        let mut bare = sealed.clone();
        bare[4].mac = None;
        assert_eq!(
            verify_sealed(&bare, std::slice::from_ref(&seal))
                .unwrap_err()
                .seq,
            5
        );
        let other = AuditSeal::derive(&[4; 32]);
        let err = verify_sealed(&sealed, &[other]).unwrap_err();
        assert!(err.reason.contains("not among the keys"), "{err}");
        // earlier keys still verify the entries they sealed
        let newer: Vec<AuditEntry> = {
            let mut v = sealed.clone();
            let next = AuditEntry::next(
                v.last(),
                v[29].at,
                "a",
                "b",
                "c/1",
                serde_json::Value::Null,
                serde_json::Value::Null,
            )
            .sealed(&AuditSeal::derive(&[5; 32]));
            v.push(next);
            v
        };
        assert!(verify_sealed(&newer, &[seal.clone(), AuditSeal::derive(&[5; 32])]).is_ok());
    }

    proptest! {
        #[test]
        fn any_single_edit_is_detected(n in 1usize..12, pick in 0usize..12, field in 0u8..4) {
            let mut c = chain(n);
            let i = pick % n;
            match field {
                0 => c[i].actor.push('x'),
                1 => c[i].action.push('x'),
                2 => c[i].subject.push('x'),
                _ => c[i].at += chrono::Duration::microseconds(1),
            }
            prop_assert!(verify_chain(&c).is_err());
        }
    }
}
