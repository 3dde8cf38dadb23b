//! Failed logins per account name and per client address (`control::login` decides what
//! they earn; this keeps them, so every `serve` process sharing the database agrees).

use crate::{col, db, parse_instant, Store, StoreError, WriteTx};
use chrono::{DateTime, Utc};
use control::login::Failures;

const WHAT: &str = "reading failed logins";

fn failures_of(r: Option<sqlx::any::AnyRow>) -> Result<Failures, StoreError> {
    let Some(r) = r else {
        return Ok(Failures::default());
    };
    let count: i64 = col(&r, "failures", WHAT)?;
    let locked: Option<String> = col(&r, "locked_until", WHAT)?;
    Ok(Failures {
        count: u32::try_from(count.max(0)).unwrap_or(u32::MAX),
        locked_until: locked.map(|t| parse_instant(&t, "lock time")).transpose()?,
    })
}

impl Store {
    /// The failures recorded against a key (`account:NAME`, `address:IP`).
    pub async fn login_failures(&self, key: &str) -> Result<Failures, StoreError> {
        let r = sqlx::query("SELECT failures, locked_until FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(WHAT))?;
        failures_of(r)
    }
}

impl WriteTx {
    /// The failures recorded against a key, read in this transaction.
    pub async fn login_failures(&mut self, key: &str) -> Result<Failures, StoreError> {
        let r = sqlx::query("SELECT failures, locked_until FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db(WHAT))?;
        failures_of(r)
    }

    /// Record a key's failures as they now stand.
    pub async fn put_login_failures(
        &mut self,
        key: &str,
        f: &Failures,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_failures (key, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(i64::from(f.count))
        .bind(f.locked_until.map(crate::instant_text))
        .bind(crate::instant_text(now))
        .execute(&mut *self.tx)
        .await
        .map_err(db("recording a failed login"))?;
        Ok(())
    }

    /// Forget a key's failures (a successful login, an administrator's unlock); whether
    /// there were any.
    pub async fn clear_login_failures(&mut self, key: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(db("clearing failed logins"))?;
        Ok(r.rows_affected() > 0)
    }
}

/// A browser session as stored: who, and since when (`control::login::SessionPolicy`
/// decides whether it is still good).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    /// The signed-in caller.
    pub principal: control::Principal,
    /// The user's sign-in name.
    pub username: String,
    /// The user's organisation's name.
    pub organisation: String,
    /// Signed in at.
    pub created_at: DateTime<Utc>,
    /// Last request at (kept to within a minute: see [`Store::touch_session`]).
    pub last_seen_at: DateTime<Utc>,
    /// Signed out, or the user deactivated.
    pub ended: bool,
}

impl Store {
    /// The session whose secret hashes to `session_hash`, if there is one.
    pub async fn session(&self, session_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        const WHAT: &str = "reading the session";
        let row = sqlx::query(
            "SELECT s.created_at, s.last_seen_at, s.revoked, u.id AS user_id, u.username, u.role, u.active, o.body_json \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id \
             WHERE s.session_hash = $1",
        )
        .bind(session_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db(WHAT))?;
        let Some(r) = row else {
            return Ok(None);
        };
        let principal = crate::records::principal_of(&r, WHAT)?;
        let org: control::Organisation =
            serde_json::from_str(&col::<String>(&r, "body_json", WHAT)?).map_err(|e| {
                StoreError::Corrupt {
                    what: "organisation",
                    detail: e.to_string(),
                }
            })?;
        Ok(Some(SessionRecord {
            principal,
            username: col(&r, "username", WHAT)?,
            organisation: org.name,
            created_at: parse_instant(&col::<String>(&r, "created_at", WHAT)?, "session start")?,
            last_seen_at: parse_instant(&col::<String>(&r, "last_seen_at", WHAT)?, "session use")?,
            ended: col::<i32>(&r, "revoked", WHAT)? != 0 || col::<i32>(&r, "active", WHAT)? == 0,
        }))
    }

    /// Note that a session was used at `now`, when its last use is recorded as more than
    /// `resolution` before: one write a minute per session at most, not one per page.
    /// Bookkeeping of the idle timeout, not a change of record, so not audited.
    pub async fn touch_session(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
        resolution: chrono::Duration,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE session_hash = $2 AND last_seen_at < $3 AND revoked = 0",
        )
        .bind(crate::instant_text(now))
        .bind(session_hash)
        .bind(crate::instant_text(now - resolution))
        .execute(&self.pool)
        .await
        .map_err(db("noting the session's use"))?;
        Ok(())
    }
}

impl WriteTx {
    /// Start a session for `user` (its secret's SHA-256 only).
    pub async fn insert_session(
        &mut self,
        session_hash: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (session_hash, user_id, created_at, last_seen_at, revoked) VALUES ($1, $2, $3, $3, 0)",
        )
        .bind(session_hash)
        .bind(user)
        .bind(crate::instant_text(now))
        .execute(&mut *self.tx)
        .await
        .map_err(db("starting the session"))?;
        Ok(())
    }

    /// End a session (sign-out); whether it was open.
    pub async fn end_session(&mut self, session_hash: &str) -> Result<bool, StoreError> {
        let r =
            sqlx::query("UPDATE sessions SET revoked = 1 WHERE session_hash = $1 AND revoked = 0")
                .bind(session_hash)
                .execute(&mut *self.tx)
                .await
                .map_err(db("ending the session"))?;
        Ok(r.rows_affected() > 0)
    }
}
