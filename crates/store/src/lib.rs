//! # store: SQLite and PostgreSQL behind one API
//!
//! One set of migrations (`migrations/`, portable SQL) serves both databases through
//! sqlx's `Any` driver: `sqlite://fentguard.db` (created on first start) for a single
//! office, `postgres://...` for multi-user deployments where several `serve` processes
//! share one database. The audit chain is appended under a unique sequence number, so
//! concurrent writers in different processes cannot fork it: a writer that loses the race
//! retries on the new head.

use chrono::{DateTime, Utc};
use control::audit::{verify_chain, AuditEntry, ChainBreak};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;
use thiserror::Error;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Storage failures, naming what was being done.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL is not sqlite:// or postgres://.
    #[error("unsupported database URL '{0}' (use sqlite://FILE or postgres://...)")]
    Url(String),
    /// Database error during an operation.
    #[error("{what}: {source}")]
    Db {
        /// What was being done.
        what: &'static str,
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
    /// Migrations failed.
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that does not read back.
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt {
        /// What.
        what: &'static str,
        /// Detail.
        detail: String,
    },
    /// An optimistic-concurrency conflict: someone else changed the row first.
    #[error("{0} was changed by someone else; reload and try again")]
    Conflict(String),
    /// Not found.
    #[error("{0} not found")]
    NotFound(String),
}

fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Db { what, source }
}

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    postgres: bool,
}

/// A stored permit and its use.
#[derive(Clone, Debug, PartialEq)]
pub struct PermitRecord {
    /// The signed permit.
    pub signed: control::SignedPermit,
    /// kg drawn down by customs releases.
    pub drawn_kg: f64,
    /// Revoked by the authority.
    pub revoked: bool,
    /// The single shipment was made.
    pub shipped: bool,
}

/// A stored application row.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationRow {
    /// Id.
    pub id: String,
    /// Owning organisation.
    pub owner_org: String,
    /// Workflow state (snake_case).
    pub state: String,
    /// Version for optimistic concurrency.
    pub version: i64,
    /// The application as JSON.
    pub body: serde_json::Value,
}

impl Store {
    /// Connect (creating a SQLite file if needed) and run migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let url = if let Some(rest) = url.strip_prefix("sqlite://") {
            // create on first start; WAL so readers do not block the writer
            let sep = if rest.contains('?') { '&' } else { '?' };
            if rest.contains("mode=") {
                url.to_string()
            } else {
                format!("sqlite://{rest}{sep}mode=rwc")
            }
        } else if postgres {
            url.to_string()
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if postgres { 16 } else { 4 })
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(db("connecting to the database"))?;
        if !postgres {
            for pragma in [
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",
                "PRAGMA busy_timeout=10000",
            ] {
                sqlx::query(pragma)
                    .execute(&pool)
                    .await
                    .map_err(db("configuring SQLite"))?;
            }
        }
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, postgres })
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Append an audit entry after the current head; retried if another writer got there
    /// first.
    pub async fn append_audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: &str,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> Result<AuditEntry, StoreError> {
        for attempt in 0..50 {
            let head = self.audit_head().await?;
            let e = AuditEntry::next(
                head.as_ref(),
                at,
                actor,
                action,
                subject,
                before.clone(),
                after.clone(),
            );
            let res = sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, subject, before_json, after_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.seq as i64)
            .bind(e.at_text())
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.subject)
            .bind(e.before.to_string())
            .bind(e.after.to_string())
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&self.pool)
            .await;
            match res {
                Ok(_) => return Ok(e),
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    // Lost the race for this sequence number: back off and retry.
                    tokio::time::sleep(Duration::from_millis(1 + attempt as u64 % 7)).await;
                }
                Err(e) => {
                    return Err(StoreError::Db {
                        what: "appending to the audit log",
                        source: e,
                    })
                }
            }
        }
        Err(StoreError::Conflict("the audit log".into()))
    }

    async fn audit_head(&self) -> Result<Option<AuditEntry>, StoreError> {
        let row = sqlx::query("SELECT seq, at, actor, action, subject, before_json, after_json, prev_hash, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the audit head"))?;
        row.map(|r| audit_from_row(&r)).transpose()
    }

    /// The whole audit chain, in order.
    pub async fn audit_chain(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, action, subject, before_json, after_json, prev_hash, hash FROM audit_log ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .map_err(db("reading the audit log"))?;
        rows.iter().map(audit_from_row).collect()
    }

    /// Verify the stored chain: the number of entries, or where it breaks.
    pub async fn verify_audit(&self) -> Result<Result<u64, ChainBreak>, StoreError> {
        let chain = self.audit_chain().await?;
        Ok(verify_chain(&chain).map(|_| chain.len() as u64))
    }

    /// Insert a new application (version 1).
    pub async fn insert_application(
        &self,
        row: &ApplicationRow,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let ts = now.to_rfc3339();
        sqlx::query("INSERT INTO applications (id, owner_org, state, version, body_json, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $5, $6)")
            .bind(&row.id)
            .bind(&row.owner_org)
            .bind(&row.state)
            .bind(row.body.to_string())
            .bind(&ts)
            .bind(&ts)
            .execute(&self.pool)
            .await
            .map_err(db("storing the application"))?;
        Ok(())
    }

    /// Update an application if it is still at `expected_version`; returns the new version.
    pub async fn update_application(
        &self,
        id: &str,
        expected_version: i64,
        state: &str,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let res = sqlx::query("UPDATE applications SET state = $1, body_json = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5")
            .bind(state)
            .bind(body.to_string())
            .bind(now.to_rfc3339())
            .bind(id)
            .bind(expected_version)
            .execute(&self.pool)
            .await
            .map_err(db("updating the application"))?;
        if res.rows_affected() == 1 {
            Ok(expected_version + 1)
        } else if self.get_application(id).await?.is_some() {
            Err(StoreError::Conflict(format!("application {id}")))
        } else {
            Err(StoreError::NotFound(format!("application {id}")))
        }
    }

    /// One application.
    pub async fn get_application(&self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, owner_org, state, version, body_json FROM applications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading the application"))?;
        row.map(|r| {
            let body: String = r
                .try_get("body_json")
                .map_err(db("reading the application"))?;
            Ok(ApplicationRow {
                id: r.try_get("id").map_err(db("reading the application"))?,
                owner_org: r
                    .try_get("owner_org")
                    .map_err(db("reading the application"))?,
                state: r.try_get("state").map_err(db("reading the application"))?,
                version: r
                    .try_get("version")
                    .map_err(db("reading the application"))?,
                body: serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                    what: "application",
                    detail: e.to_string(),
                })?,
            })
        })
        .transpose()
    }

    /// Check the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("checking the database"))?;
        Ok(())
    }

    /// Store an issued permit.
    pub async fn insert_permit(
        &self,
        permit: &control::SignedPermit,
        application_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(permit).map_err(|e| StoreError::Corrupt {
            what: "permit",
            detail: e.to_string(),
        })?;
        sqlx::query("INSERT INTO permits (number, application_id, signed_json, drawn_kg, revoked, shipped, issued_at) VALUES ($1, $2, $3, 0.0, 0, 0, $4)")
            .bind(&permit.permit.number)
            .bind(application_id)
            .bind(json)
            .bind(now.to_rfc3339())
            .execute(&self.pool)
            .await
            .map_err(db("storing the permit"))?;
        Ok(())
    }

    /// A permit and its use: (signed permit, kg drawn down, revoked, shipped).
    pub async fn get_permit(&self, number: &str) -> Result<Option<PermitRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT signed_json, drawn_kg, revoked, shipped FROM permits WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading the permit"))?;
        row.map(|r| {
            let json: String = r.try_get("signed_json").map_err(db("reading the permit"))?;
            let flag = |c: &str| -> Result<bool, StoreError> {
                Ok(r.try_get::<i32, _>(c).map_err(db("reading the permit"))? != 0)
            };
            Ok(PermitRecord {
                signed: serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                    what: "permit",
                    detail: e.to_string(),
                })?,
                drawn_kg: r.try_get("drawn_kg").map_err(db("reading the permit"))?,
                revoked: flag("revoked")?,
                shipped: flag("shipped")?,
            })
        })
        .transpose()
    }

    /// Close the pool (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn audit_from_row(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    let get = |c: &str| -> Result<String, StoreError> {
        r.try_get::<String, _>(c)
            .map_err(db("reading the audit log"))
    };
    let json = |c: &str| -> Result<serde_json::Value, StoreError> {
        serde_json::from_str(&get(c)?).map_err(|e| StoreError::Corrupt {
            what: "audit entry",
            detail: e.to_string(),
        })
    };
    let at = DateTime::parse_from_rfc3339(&get("at")?)
        .map_err(|e| StoreError::Corrupt {
            what: "audit entry time",
            detail: e.to_string(),
        })?
        .with_timezone(&Utc);
    let seq: i64 = r.try_get("seq").map_err(db("reading the audit log"))?;
    Ok(AuditEntry {
        seq: seq as u64,
        at,
        actor: get("actor")?,
        action: get("action")?,
        subject: get("subject")?,
        before: json("before_json")?,
        after: json("after_json")?,
        prev_hash: get("prev_hash")?,
        hash: get("hash")?,
    })
}

/// Test support: a fresh PostgreSQL database per test on the server named by
/// `FENTGUARD_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    /// Create (or recreate) database `fg_<name>_<pid>` and return its URL. Panics with a
    /// clear message when PostgreSQL is not reachable: the tests need it.
    pub async fn fresh_postgres(name: &str) -> String {
        sqlx::any::install_default_drivers();
        let admin = std::env::var("FENTGUARD_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let db = format!("fg_{}_{}", name, std::process::id());
        let pool = sqlx::AnyPool::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for this test: {e}"));
        for stmt in [
            format!("DROP DATABASE IF EXISTS {db}"),
            format!("CREATE DATABASE {db}"),
        ] {
            sqlx::query(&stmt)
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
        pool.close().await;
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin.clone());
        format!("{base}/{db}")
    }
}
