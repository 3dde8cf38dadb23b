//! Reading and checking the audit trail: the chain, its seals, published checkpoints and
//! the agreement of the business tables with it (`control::audit` says what each check
//! means; this module only reads what they need).

use crate::{audit_from_row, col, corrupt, db, Store, StoreError, AUDIT_COLUMNS};
use chrono::{DateTime, Utc};
use control::audit::agreement::{
    Disagreement, EventDigest, Expected, Observed, StoredPermit, StoredUser,
};
use control::audit::checkpoint::{check_against, CheckpointError};
use control::audit::{verify_sealed, AuditEntry, AuditSeal, ChainBreak, Checkpoint};
use control::SignedCheckpoint;
use ed25519_dalek::VerifyingKey;
use sqlx::Row;
use std::collections::BTreeMap;

/// Events read per query when digesting the repository (bounded memory).
const EVENTS_PER_PAGE: i64 = 5_000;

/// What `audit verify` found.
#[derive(Clone, Debug)]
pub struct AuditReport {
    /// Entries in the chain.
    pub entries: u64,
    /// The chain's head now (`None` when empty).
    pub head: Option<Checkpoint>,
    /// The chain's hashes, links and seals.
    pub chain: Result<(), ChainBreak>,
    /// The published checkpoints: how many were checked, or the first that fails.
    pub checkpoints: Result<usize, CheckpointError>,
    /// Records that disagree with the trail.
    pub disagreements: Vec<Disagreement>,
}

impl AuditReport {
    /// Whether nothing was found wrong.
    pub fn intact(&self) -> bool {
        self.chain.is_ok() && self.checkpoints.is_ok() && self.disagreements.is_empty()
    }
}

impl Store {
    /// The key this store seals audit entries with.
    pub fn seal(&self) -> &AuditSeal {
        &self.writer.seal
    }

    /// This store, also accepting seals made with earlier keys (after a key rotation)
    /// when verifying.
    pub fn with_earlier_seals(mut self, earlier: Vec<AuditSeal>) -> Store {
        let mut all = vec![self.seal().clone()];
        all.extend(earlier);
        self.seals = std::sync::Arc::new(all);
        self
    }

    /// Every seal verification accepts, the current one first.
    pub fn seals(&self) -> &[AuditSeal] {
        &self.seals
    }

    /// The whole audit chain, in order.
    pub async fn audit_chain(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading the audit log"))?;
        rows.iter().map(audit_from_row).collect()
    }

    /// The last `limit` entries about `subject` (e.g. `application/app-…`), oldest first:
    /// a record's history as the trail tells it.
    pub async fn audit_of(&self, subject: &str, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE subject = $1 ORDER BY seq DESC LIMIT $2"
        ))
        .bind(subject)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading a record's audit entries"))?;
        let mut out = rows
            .iter()
            .map(audit_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }

    /// Verify the stored chain's hashes, links and seals (under this store's key): the
    /// number of entries, or where it breaks. [`Store::audit_report`] checks more.
    pub async fn verify_audit(&self) -> Result<Result<u64, ChainBreak>, StoreError> {
        let chain = self.audit_chain().await?;
        Ok(verify_sealed(&chain, &self.seals).map(|_| chain.len() as u64))
    }

    /// The chain's last entry.
    pub async fn audit_head(&self) -> Result<Option<AuditEntry>, StoreError> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading the audit head"))?
        .map(|r| audit_from_row(&r))
        .transpose()
    }

    /// The audit keys that sealed entries, with how many each sealed (`None`: entries
    /// written before sealing existed).
    pub async fn audit_keys(&self) -> Result<Vec<(Option<String>, i64)>, StoreError> {
        const WHAT: &str = "reading the audit keys";
        let rows = sqlx::query(
            "SELECT key_id, COUNT(*) AS n FROM audit_log GROUP BY key_id ORDER BY key_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db(WHAT))?;
        rows.iter()
            .map(|r| Ok((col(r, "key_id", WHAT)?, col(r, "n", WHAT)?)))
            .collect()
    }

    /// Seal the entries written before sealing existed, once, after checking their chain;
    /// audited (who, how many, up to which entry). Returns how many were sealed.
    pub async fn seal_unsealed(&self, actor: &str, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq"
        ))
        .fetch_all(&mut *tx.tx)
        .await
        .map_err(db("reading the audit log"))?;
        let chain: Vec<AuditEntry> = rows.iter().map(audit_from_row).collect::<Result<_, _>>()?;
        control::audit::verify_chain(&chain).map_err(StoreError::Broken)?;
        let bare: Vec<&AuditEntry> = chain.iter().filter(|e| e.mac.is_none()).collect();
        if bare.is_empty() {
            return Ok(0);
        }
        for e in &bare {
            sqlx::query("UPDATE audit_log SET mac = $1, key_id = $2 WHERE seq = $3")
                .bind(self.seal().mac(&e.hash))
                .bind(self.seal().id().to_string())
                .bind(e.seq as i64)
                .execute(&mut *tx.tx)
                .await
                .map_err(db("sealing audit entries"))?;
        }
        let n = bare.len() as u64;
        let last = bare.last().map_or(0, |e| e.seq);
        tx.audit(
            at,
            actor,
            "audit.seal",
            "audit",
            serde_json::Value::Null,
            serde_json::json!({"sealed": n, "up_to_entry": last, "key_id": self.seal().id()}),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Check everything: the chain and its seals (under any of `seals`), the
    /// `checkpoints` published earlier (signed by one of `trusted`), and the agreement of
    /// the business tables with the trail.
    pub async fn audit_report(
        &self,
        seals: &[AuditSeal],
        checkpoints: &[SignedCheckpoint],
        trusted: &[VerifyingKey],
        now: DateTime<Utc>,
    ) -> Result<AuditReport, StoreError> {
        let chain = self.audit_chain().await?;
        let observed = self.observed().await?;
        Ok(AuditReport {
            entries: chain.len() as u64,
            head: chain.last().map(|h| Checkpoint::of(h, now)),
            chain: verify_sealed(&chain, seals),
            checkpoints: check_against(&chain, checkpoints, trusted),
            disagreements: Expected::from_chain(&chain).compare(&observed),
        })
    }

    /// What the business tables hold, for [`Expected::compare`].
    pub async fn observed(&self) -> Result<Observed, StoreError> {
        const WHAT: &str = "reading records to verify";
        let json = |r: &sqlx::any::AnyRow, c: &str| -> Result<serde_json::Value, StoreError> {
            serde_json::from_str(&col::<String>(r, c, WHAT)?).map_err(corrupt("stored record"))
        };
        let all = |sql: &'static str| async move {
            sqlx::query(sql)
                .fetch_all(&self.pool)
                .await
                .map_err(db(WHAT))
        };
        let mut o = Observed::default();
        for (sql, map) in [
            (
                "SELECT id, state, body_json FROM applications",
                &mut o.applications,
            ),
            (
                "SELECT id, state, body_json FROM notifications",
                &mut o.notifications,
            ),
        ] {
            for r in all(sql).await? {
                map.insert(
                    col(&r, "id", WHAT)?,
                    (col(&r, "state", WHAT)?, json(&r, "body_json")?),
                );
            }
        }
        for (sql, map) in [
            (
                "SELECT id, body_json FROM organisations",
                &mut o.organisations,
            ),
            (
                "SELECT id, body_json FROM enterprise_licences",
                &mut o.licences,
            ),
        ] {
            for r in all(sql).await? {
                map.insert(col(&r, "id", WHAT)?, json(&r, "body_json")?);
            }
        }
        for r in all("SELECT number, signed_json, revoked, drawn_kg, shipped, exited_kg, received_kg FROM permits").await? {
            o.permits.insert(
                col(&r, "number", WHAT)?,
                StoredPermit {
                    signed: json(&r, "signed_json")?,
                    revoked: col::<i32>(&r, "revoked", WHAT)? != 0,
                    drawn_kg: col(&r, "drawn_kg", WHAT)?,
                    shipped: col::<i32>(&r, "shipped", WHAT)? != 0,
                    exited_kg: col(&r, "exited_kg", WHAT)?,
                    received_kg: col(&r, "received_kg", WHAT)?,
                },
            );
        }
        for r in all("SELECT id, username, org_id, role FROM users").await? {
            o.users.insert(
                col(&r, "id", WHAT)?,
                StoredUser {
                    username: col(&r, "username", WHAT)?,
                    org: col(&r, "org_id", WHAT)?,
                    role: col(&r, "role", WHAT)?,
                },
            );
        }
        o.captures = self.capture_digests().await?;
        Ok(o)
    }

    /// Each capture's stored events digested in storage order, a page at a time.
    async fn capture_digests(
        &self,
    ) -> Result<BTreeMap<String, control::audit::agreement::CaptureDigest>, StoreError> {
        const WHAT: &str = "reading events to verify";
        let mut digests: BTreeMap<String, EventDigest> = BTreeMap::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, capture_id, event_id, body_json FROM epcis_events WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(EVENTS_PER_PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(db(WHAT))?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("seq").map_err(db(WHAT))?;
            for r in &rows {
                let capture: String = col(r, "capture_id", WHAT)?;
                let id: String = col(r, "event_id", WHAT)?;
                let body: String = col(r, "body_json", WHAT)?;
                digests.entry(capture).or_default().add(&id, &body);
            }
        }
        Ok(digests.into_iter().map(|(k, d)| (k, d.finish())).collect())
    }
}
