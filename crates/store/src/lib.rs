//! # store: SQLite and PostgreSQL behind one API
//!
//! One set of migrations (`migrations/`, portable SQL) serves both databases through
//! sqlx's `Any` driver: `sqlite://fentguard.db` (created on first start) for a single
//! office, `postgres://...` for multi-user deployments where several `serve` processes
//! share one database.
//!
//! Every change goes through a [`WriteTx`]: the change and its audit entry commit in one
//! transaction, or neither does. Writers are serialised (an in-process lock for SQLite,
//! which has one writer anyway; a transaction-scoped advisory lock for PostgreSQL, which
//! also orders writers in other processes), so the audit chain never forks and a sequence
//! such as permit numbers can be read and incremented safely.

#![warn(missing_docs)]

mod audit;
mod custody;
mod filing;
mod ledger;
mod login;
mod page;
mod records;

pub use ::custody::{
    key_of, Alert, Confirmation, InventoryRow, LotRecord, PartyRecord, ShipmentRecord,
};
pub use audit::AuditReport;
pub use custody::*;
pub use filing::NewApplication;
pub use ledger::*;
pub use login::SessionRecord;
pub use page::{Page, PageRequest, DEFAULT_PAGE, MAX_PAGE};
pub use records::*;

use chrono::{DateTime, Utc};
use control::audit::{AuditEntry, AuditSeal};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The audit log's columns, in the order rows are read and written.
pub(crate) const AUDIT_COLUMNS: &str =
    "seq, at, actor, action, subject, before_json, after_json, prev_hash, hash, mac, key_id";

/// The `n`th (1-based) bind placeholder: `$n` for PostgreSQL, a bare `?` for SQLite.
/// SQLite resolves a named placeholder (`$n`, `?n`) by a linear scan of all names, so a
/// statement with thousands of them binds in quadratic time (measured: over half of a
/// 500-event capture); bare `?` placeholders bind by position. Placeholders must
/// therefore appear in the text in the order they are bound.
pub(crate) fn placeholder(postgres: bool, n: usize) -> String {
    if postgres {
        format!("${n}")
    } else {
        "?".to_string()
    }
}

/// `INSERT INTO table (cols) VALUES ($1, ..), (..), ..` for `rows` rows.
pub(crate) fn multi_row(
    table: &str,
    cols: &str,
    per_row: usize,
    rows: usize,
    suffix: &str,
    postgres: bool,
) -> String {
    let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..per_row {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(postgres, r * per_row + c + 1));
        }
        sql.push(')');
    }
    sql.push_str(suffix);
    sql
}

/// Key of the PostgreSQL advisory lock that orders writers.
const WRITE_LOCK_KEY: i64 = 0x0046_4721_0001;

/// Storage failures, naming what was being done.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The SQLite file could not be created.
    #[error("creating the database file {0}: {1}")]
    Create(String, String),
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
    /// A unique value (user name, id) is taken.
    #[error("{0} already exists")]
    Duplicate(String),
    /// A page of a list was asked for with a cursor or size the list does not take.
    #[error("{0}")]
    BadCursor(String),
    /// A write failed for a reason reported elsewhere (e.g. a group commit).
    #[error("{0}")]
    Failed(String),
    /// The audit chain is broken, so it cannot be extended or sealed.
    #[error(transparent)]
    Broken(control::audit::ChainBreak),
}

pub(crate) fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Db { what, source }
}

/// One column of a row, naming what was being read when it fails.
pub(crate) fn col<T>(r: &AnyRow, c: &str, what: &'static str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    r.try_get::<T, _>(c).map_err(db(what))
}

/// A stored RFC 3339 instant.
pub(crate) fn parse_instant(s: &str, what: &'static str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            what,
            detail: e.to_string(),
        })
}

pub(crate) fn corrupt(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    }
}

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    postgres: bool,
    /// Every seal verification accepts: the writer's (current) one first, then earlier
    /// keys'.
    seals: Arc<Vec<AuditSeal>>,
    writer: Writer,
    filings: tokio::sync::mpsc::Sender<filing::Job>,
}

/// What starts a write transaction: the pool and the ordering of writers.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    pool: AnyPool,
    postgres: bool,
    seal: Arc<AuditSeal>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Writer {
    /// Begin a write transaction (waits for other writers).
    pub(crate) async fn begin(&self) -> Result<WriteTx, StoreError> {
        let guard = if self.postgres {
            None
        } else {
            Some(self.lock.clone().lock_owned().await)
        };
        // SQLite: take the write lock at BEGIN, so a second process waits (busy_timeout)
        // instead of failing on a read-to-write upgrade.
        let begin = if self.postgres {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        };
        let mut tx = self
            .pool
            .begin_with(begin)
            .await
            .map_err(db("starting a transaction"))?;
        if self.postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK_KEY)
                .execute(&mut *tx)
                .await
                .map_err(db("ordering writers"))?;
        }
        Ok(WriteTx {
            tx,
            _guard: guard,
            postgres: self.postgres,
            seal: self.seal.clone(),
        })
    }
}

/// A write transaction: changes and their audit entries commit together or not at all.
/// Dropping it without [`WriteTx::commit`] rolls everything back.
pub struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) postgres: bool,
    pub(crate) seal: Arc<AuditSeal>,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Create a SQLite database file readable and writable by its owner only (0600), if it
/// does not exist yet; SQLite gives its WAL and shared-memory files the same mode.
fn create_private(path: &str) -> Result<(), StoreError> {
    if path.is_empty() || path.starts_with(':') || std::path::Path::new(path).exists() {
        return Ok(());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        // Another process made it meanwhile: fine.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Create(path.to_string(), e.to_string())),
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The file of a `sqlite://FILE[?options]` URL (empty or `:memory:` for none); `None`
/// for any other URL.
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://")?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// Whether the PostgreSQL database at `url` holds no tables (a restore goes only into an
/// empty database, so nothing of an older one is mixed in). Does not migrate.
pub async fn postgres_is_empty(url: &str) -> Result<bool, StoreError> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .map_err(db("connecting to the database"))?;
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&pool)
    .await
    .map_err(db("listing the tables"))
    .and_then(|r| col(&r, "n", "listing the tables"))?;
    pool.close().await;
    Ok(n == 0)
}

impl Store {
    /// Connect (creating a SQLite file if needed) and run migrations. Every audit entry
    /// this store writes is sealed with `seal` (whose key the database never holds).
    pub async fn connect(url: &str, seal: AuditSeal) -> Result<Store, StoreError> {
        let seal = Arc::new(seal);
        sqlx::any::install_default_drivers();
        let postgres = is_postgres_url(url);
        let url =
            if let (Some(rest), Some(file)) = (url.strip_prefix("sqlite://"), sqlite_file(url)) {
                create_private(file)?;
                // create on first start
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
            .max_connections(if postgres { 16 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if !postgres {
                        // WAL so readers do not block the writer; FULL so an acknowledged
                        // write survives power loss, not only a crash of the process.
                        for pragma in [
                            "PRAGMA journal_mode=WAL",
                            "PRAGMA synchronous=FULL",
                            "PRAGMA busy_timeout=10000",
                            // 64 MiB of page cache per connection (the default 2 MiB made
                            // event capture re-read index pages from the OS on every insert).
                            "PRAGMA cache_size=-65536",
                            "PRAGMA foreign_keys=ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    } else {
                        // Plan every execution for its values: a cached generic plan for
                        // "events of this EPC" chose a sequential scan of millions of rows
                        // (measured: p99 13 s under load), a custom plan an index lookup.
                        sqlx::query("SET plan_cache_mode = force_custom_plan")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(db("connecting to the database"))?;
        MIGRATOR.run(&pool).await?;
        let writer = Writer {
            pool: pool.clone(),
            postgres,
            seal: seal.clone(),
            lock: Arc::new(tokio::sync::Mutex::new(())),
        };
        let filings = filing::start(writer.clone());
        Ok(Store {
            pool,
            postgres,
            seals: Arc::new(vec![(*seal).clone()]),
            writer,
            filings,
        })
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Write a consistent copy of a SQLite database to the new file `path` while the
    /// server goes on (`VACUUM INTO`: one read transaction, so the copy is the database
    /// at one instant, every acknowledged write before it included). PostgreSQL is backed
    /// up with its own tools (`pg_dump`): [`StoreError::Url`] here.
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.postgres {
            return Err(StoreError::Url(
                "postgres:// (back up PostgreSQL with pg_dump)".into(),
            ));
        }
        let target = path.to_str().ok_or_else(|| {
            StoreError::Create(path.display().to_string(), "not a UTF-8 path".into())
        })?;
        if path.exists() {
            return Err(StoreError::Duplicate(format!("the backup file {target}")));
        }
        // Made empty and the owner's only before SQLite writes into it (VACUUM INTO
        // takes an empty file).
        create_private(target)?;
        let sql = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
        sqlx::query(&sql)
            .execute(&self.pool)
            .await
            .map_err(db("backing up the database"))?;
        Ok(())
    }

    /// Begin a write transaction (waits for other writers).
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        self.writer.begin().await
    }

    /// File a new application with its documents and audit entry. Filings that arrive
    /// together are written in one transaction with multi-row inserts (group commit):
    /// one fsync and a handful of statements for the whole group. Returns once the
    /// group is committed.
    pub async fn file_application(&self, a: NewApplication) -> Result<AuditEntry, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.filings
            .send(filing::Job { filing: a, reply })
            .await
            .map_err(|_| StoreError::Failed("the filing writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Failed("the filing writer has stopped".into()))?
    }

    /// Append one audit entry on its own (a change with nothing else to store).
    pub async fn append_audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: &str,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> Result<AuditEntry, StoreError> {
        let mut tx = self.write().await?;
        let e = tx.audit(at, actor, action, subject, before, after).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Check the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("checking the database"))?;
        Ok(())
    }

    /// Close the pool (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl WriteTx {
    /// Append an audit entry after the current head, inside this transaction.
    pub async fn audit(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: &str,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> Result<AuditEntry, StoreError> {
        let head = self.audit_head().await?;
        let e = AuditEntry::next(head.as_ref(), at, actor, action, subject, before, after)
            .sealed(&self.seal);
        self.insert_audit(std::slice::from_ref(&e)).await?;
        Ok(e)
    }

    /// The last entry of the chain, as this transaction sees it.
    pub(crate) async fn audit_head(&mut self) -> Result<Option<AuditEntry>, StoreError> {
        sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(db("reading the audit head"))?
        .map(|r| audit_from_row(&r))
        .transpose()
    }

    /// Store entries already chained and sealed (one multi-row insert). Entries come
    /// only from [`WriteTx::audit`] and the filing writer, which seal them with
    /// `self.seal`; an unsealed one would be stored without a seal, and fail verification.
    pub(crate) async fn insert_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let sql = multi_row(
            "audit_log",
            AUDIT_COLUMNS,
            11,
            entries.len(),
            "",
            self.postgres,
        );
        let mut q = sqlx::query(&sql);
        for e in entries {
            q = q
                .bind(e.seq as i64)
                .bind(e.at_text())
                .bind(e.actor.clone())
                .bind(e.action.clone())
                .bind(e.subject.clone())
                .bind(e.before.to_string())
                .bind(e.after.to_string())
                .bind(e.prev_hash.clone())
                .bind(e.hash.clone())
                .bind(e.mac.clone())
                .bind(e.key_id.clone());
        }
        q.execute(&mut *self.tx)
            .await
            .map_err(db("appending to the audit log"))?;
        Ok(())
    }

    /// Commit: only now is the change acknowledged.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(db("committing"))
    }
}

pub(crate) fn audit_from_row(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    const WHAT: &str = "reading the audit log";
    let json = |c: &str| -> Result<serde_json::Value, StoreError> {
        serde_json::from_str(&col::<String>(r, c, WHAT)?).map_err(corrupt("audit entry"))
    };
    let seq: i64 = col(r, "seq", WHAT)?;
    Ok(AuditEntry {
        seq: seq as u64,
        at: parse_instant(&col::<String>(r, "at", WHAT)?, "audit entry time")?,
        actor: col(r, "actor", WHAT)?,
        action: col(r, "action", WHAT)?,
        subject: col(r, "subject", WHAT)?,
        before: json("before_json")?,
        after: json("after_json")?,
        prev_hash: col(r, "prev_hash", WHAT)?,
        hash: col(r, "hash", WHAT)?,
        mac: col(r, "mac", WHAT)?,
        key_id: col(r, "key_id", WHAT)?,
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

    /// The audit seal the tests write with.
    pub fn seal() -> control::audit::AuditSeal {
        control::audit::AuditSeal::derive(&[0x5e; 32])
    }
}
