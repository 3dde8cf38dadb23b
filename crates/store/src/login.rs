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
