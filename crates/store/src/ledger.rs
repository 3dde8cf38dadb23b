//! The EPCIS event repository: captured events with the columns queries filter on, the
//! identifiers each event names (by role, canonical form), error declarations, and
//! capture jobs. Events are never deleted or rewritten; an error declaration is added
//! beside the event.

use crate::page::{Arg, Order};
use crate::{
    col, corrupt, db, key_of, multi_row, parse_instant, placeholder, Store, StoreError, WriteTx,
};
use crate::{Page, PageRequest};
use chrono::{DateTime, SecondsFormat, Utc};
use control::audit::agreement::{CaptureDigest, EventDigest};
use epcis::{Event, Role};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Event columns, in the order rows are written.
const EVENT_COLUMNS: &str = "seq, event_id, hash_id, event_type, event_time, record_time, action, biz_step, disposition, read_point, biz_location, capture_id, owner_org, error_declared_at, error_json, body_json";
/// Rows per multi-row insert (16 parameters a row; SQLite allows 32,766).
const EVENTS_PER_STATEMENT: usize = 1000;
const EPCS_PER_STATEMENT: usize = 4000;

/// Text form of stored instants: fixed width, so text order is time order.
pub fn instant_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A captured event to store.
#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    /// The checked event.
    pub event: &'a Event,
    /// When the repository received it.
    pub record_time: DateTime<Utc>,
    /// The capture job it came in.
    pub capture_id: &'a str,
    /// The organisation that captured it.
    pub owner_org: &'a str,
}

/// A stored event.
#[derive(Clone, Debug, Serialize)]
pub struct EventRecord {
    /// Insertion order.
    pub seq: i64,
    /// Its eventID.
    pub event_id: String,
    /// Its CBV 2.0 hash ID.
    pub hash_id: String,
    /// The organisation that captured it.
    pub owner_org: String,
    /// When it was recorded.
    pub record_time: DateTime<Utc>,
    /// The event as captured (eventID filled in), with `recordTime` and any error
    /// declaration added.
    pub body: serde_json::Value,
}

/// What the repository already holds of an incoming event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownEvent {
    /// Its eventID.
    pub event_id: String,
    /// Its hash ID.
    pub hash_id: String,
    /// Whether an error has been declared on it.
    pub declared: bool,
    /// Who captured it.
    pub owner_org: String,
}

/// A capture job (one POST /epcis/capture).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CaptureJob {
    /// Id.
    #[serde(rename = "captureID")]
    pub id: String,
    /// Who captured.
    #[serde(skip)]
    pub owner_org: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Still running.
    pub running: bool,
    /// No error occurred.
    pub success: bool,
    /// `rollback` or `proceed`.
    pub capture_error_behaviour: String,
    /// Events stored.
    #[serde(skip)]
    pub event_count: i64,
    /// The errors (problem details).
    pub errors: serde_json::Value,
}

/// How an identifier filter matches roles (`MATCH_epc` covers `epcList` and `childEPCs`).
#[derive(Clone, Debug, Default)]
pub struct IdentifierFilter {
    /// Stored roles it looks at.
    pub roles: Vec<&'static str>,
    /// Canonical identifiers or patterns (a class or pattern matches what lies under it).
    pub values: Vec<String>,
}

/// A query over events; empty fields do not filter. Values are in stored (canonical) form.
#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    /// Event types (any of).
    pub event_types: Vec<String>,
    /// eventTime >= .
    pub ge_event_time: Option<DateTime<Utc>>,
    /// eventTime < .
    pub lt_event_time: Option<DateTime<Utc>>,
    /// recordTime >= .
    pub ge_record_time: Option<DateTime<Utc>>,
    /// recordTime < .
    pub lt_record_time: Option<DateTime<Utc>>,
    /// Actions (any of).
    pub actions: Vec<String>,
    /// Business steps (any of).
    pub biz_steps: Vec<String>,
    /// Dispositions (any of).
    pub dispositions: Vec<String>,
    /// Read points (any of).
    pub read_points: Vec<String>,
    /// Business locations (any of).
    pub biz_locations: Vec<String>,
    /// Identifier filters (all must hold).
    pub identifiers: Vec<IdentifierFilter>,
    /// eventIDs (any of).
    pub event_ids: Vec<String>,
    /// Only events with (true) or without (false) an error declaration.
    pub error_declared: Option<bool>,
    /// Only events captured by this organisation.
    pub owner_org: Option<String>,
}

/// The stored role name of an identifier's role.
pub fn role_name(role: Role, class: bool) -> &'static str {
    match (role, class) {
        (Role::Object, false) => "epc",
        (Role::Parent, _) => "parent",
        (Role::Child, false) => "child",
        (Role::Input, false) => "input",
        (Role::Output, false) => "output",
        (Role::Object, true) => "class",
        (Role::Child, true) => "child_class",
        (Role::Input, true) => "input_class",
        (Role::Output, true) => "output_class",
    }
}

/// How to run a query, from bounded probes of how many events its filters match.
#[derive(Debug, Default)]
struct Plan {
    /// Per identifier filter: matches at least [`WIDE`] events.
    wide_identifiers: Vec<bool>,
    /// The eventTime window holds at least [`WIDE`] events (used on SQLite only).
    wide_event_time: bool,
    /// PostgreSQL (the shaping differs by database).
    postgres: bool,
}

/// A filter matching at least this many events is "wide".
const WIDE: i64 = 2000;

enum Bind {
    Text(String),
    Int(i64),
}

/// Adds a parameter and returns its placeholder (parameters are numbered in text order).
fn param(binds: &mut Vec<Bind>, b: Bind) -> String {
    binds.push(b);
    format!("${}", binds.len())
}

impl EventQuery {
    /// WHERE clause and its parameters. `plan` says which filters match many events
    /// (see [`Plan`]).
    fn clause(&self, binds: &mut Vec<Bind>, plan: &Plan) -> String {
        let mut conds: Vec<String> = Vec::new();
        for (col, vals) in [
            ("event_type", &self.event_types),
            ("action", &self.actions),
            ("biz_step", &self.biz_steps),
            ("disposition", &self.dispositions),
            ("read_point", &self.read_points),
            ("biz_location", &self.biz_locations),
            ("event_id", &self.event_ids),
        ] {
            if !vals.is_empty() {
                let ps: Vec<String> = vals
                    .iter()
                    .map(|v| param(binds, Bind::Text(v.clone())))
                    .collect();
                conds.push(format!("{col} IN ({})", ps.join(", ")));
            }
        }
        for (col, op, t) in [
            ("event_time", ">=", self.ge_event_time),
            ("event_time", "<", self.lt_event_time),
            ("record_time", ">=", self.ge_record_time),
            ("record_time", "<", self.lt_record_time),
        ] {
            if let Some(t) = t {
                let p = param(binds, Bind::Text(instant_text(t)));
                // `+col` keeps SQLite off the time index for a window holding many events:
                // walking seq order finds the first page at once, where the index would
                // collect the whole window and sort it.
                let col = if plan.wide_event_time && col == "event_time" {
                    "+event_time"
                } else {
                    col
                };
                conds.push(format!("{col} {op} {p}"));
            }
        }
        if let Some(org) = &self.owner_org {
            let p = param(binds, Bind::Text(org.clone()));
            conds.push(format!("owner_org = {p}"));
        }
        match self.error_declared {
            Some(true) => conds.push("error_declared_at IS NOT NULL".into()),
            Some(false) => conds.push("error_declared_at IS NULL".into()),
            None => {}
        }
        for (i, f) in self.identifiers.iter().enumerate() {
            if f.values.is_empty() {
                continue;
            }
            let roles: Vec<String> = f.roles.iter().map(|r| format!("'{r}'")).collect();
            let mut alts = Vec::new();
            for v in &f.values {
                let p = param(binds, Bind::Text(v.clone()));
                alts.push(format!("x.epc = {p}"));
                // A class or pattern covers the identifiers under it
                // (https://id.gs1.org/01/GTIN covers .../01/GTIN/21/serial).
                let p = param(binds, Bind::Text(v.clone()));
                alts.push(format!("x.key_of = {p}"));
            }
            // Few events: collect them through the identifier index. Many (a lot with a
            // million events): walk the events in seq order and check each, so the
            // first page comes at once instead of after collecting them all.
            if plan.wide_identifiers.get(i).copied().unwrap_or(false) {
                // OFFSET 0 keeps PostgreSQL from turning this into a semi-join over
                // every matching identifier.
                conds.push(format!(
                    "EXISTS (SELECT 1 FROM epcis_event_epcs x WHERE x.seq = e.seq AND x.role IN ({}) AND ({}){})",
                    roles.join(", "),
                    alts.join(" OR "),
                    if plan.postgres { " OFFSET 0" } else { "" }
                ));
            } else {
                conds.push(format!(
                    "e.seq IN (SELECT x.seq FROM epcis_event_epcs x WHERE x.role IN ({}) AND ({}))",
                    roles.join(", "),
                    alts.join(" OR ")
                ));
            }
        }
        if conds.is_empty() {
            "1 = 1".into()
        } else {
            conds.join(" AND ")
        }
    }
}

fn record_from_row(r: &AnyRow) -> Result<EventRecord, StoreError> {
    const WHAT: &str = "reading events";
    let record_time = parse_instant(&col::<String>(r, "record_time", WHAT)?, "event record time")?;
    let mut body: serde_json::Value = serde_json::from_str(&col::<String>(r, "body_json", WHAT)?)
        .map_err(corrupt("event body"))?;
    let error: Option<String> = col(r, "error_json", WHAT)?;
    if let Some(obj) = body.as_object_mut() {
        obj.insert(
            "recordTime".into(),
            serde_json::Value::String(instant_text(record_time)),
        );
        if let Some(e) = error {
            let e: serde_json::Value =
                serde_json::from_str(&e).map_err(corrupt("error declaration"))?;
            obj.insert("errorDeclaration".into(), e);
        }
    }
    Ok(EventRecord {
        seq: col(r, "seq", WHAT)?,
        event_id: col(r, "event_id", WHAT)?,
        hash_id: col(r, "hash_id", WHAT)?,
        owner_org: col(r, "owner_org", WHAT)?,
        record_time,
        body,
    })
}

fn job_from_row(r: &AnyRow) -> Result<CaptureJob, StoreError> {
    const WHAT: &str = "reading capture jobs";
    let finished: Option<String> = col(r, "finished_at", WHAT)?;
    Ok(CaptureJob {
        id: col(r, "id", WHAT)?,
        owner_org: col(r, "owner_org", WHAT)?,
        created_at: parse_instant(&col::<String>(r, "created_at", WHAT)?, "capture time")?,
        finished_at: finished
            .map(|f| parse_instant(&f, "capture finish time"))
            .transpose()?,
        running: col::<i32>(r, "running", WHAT)? != 0,
        success: col::<i32>(r, "success", WHAT)? != 0,
        capture_error_behaviour: col(r, "error_behaviour", WHAT)?,
        event_count: col(r, "event_count", WHAT)?,
        errors: serde_json::from_str(&col::<String>(r, "errors_json", WHAT)?)
            .map_err(corrupt("capture errors"))?,
    })
}

impl Store {
    /// The events among `ids` (eventIDs) or `hashes` (hash IDs) already stored.
    pub async fn known_events(
        &self,
        ids: &[String],
        hashes: &[String],
    ) -> Result<Vec<KnownEvent>, StoreError> {
        let mut out = Vec::new();
        // In slices, to stay far below the databases' parameter limits.
        for (col, vals) in [("event_id", ids), ("hash_id", hashes)] {
            for chunk in vals.chunks(2000) {
                let ps: Vec<String> = (1..=chunk.len())
                    .map(|i| placeholder(self.postgres, i))
                    .collect();
                let sql = format!(
                    "SELECT event_id, hash_id, owner_org, error_declared_at FROM epcis_events WHERE {col} IN ({})",
                    ps.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for v in chunk {
                    q = q.bind(v);
                }
                for r in q
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db("looking up events"))?
                {
                    let declared: Option<String> = r
                        .try_get("error_declared_at")
                        .map_err(db("looking up events"))?;
                    let k = KnownEvent {
                        event_id: r.try_get("event_id").map_err(db("looking up events"))?,
                        hash_id: r.try_get("hash_id").map_err(db("looking up events"))?,
                        owner_org: r.try_get("owner_org").map_err(db("looking up events"))?,
                        declared: declared.is_some(),
                    };
                    if !out.contains(&k) {
                        out.push(k);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Events matching `q` after insertion position `after`, oldest first, at most `limit`.
    pub async fn query_events(
        &self,
        q: &EventQuery,
        after: i64,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let plan = self.plan(q).await?;
        let mut binds = Vec::new();
        let clause = q.clause(&mut binds, &plan);
        binds.push(Bind::Int(after));
        // SQLite has no statistics to see that a narrow time window beats walking seq order.
        let hint = if !self.postgres
            && !plan.wide_event_time
            && (q.ge_event_time.is_some() || q.lt_event_time.is_some())
        {
            "INDEXED BY epcis_events_time"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM epcis_events e {hint} WHERE {clause} AND e.seq > ${} ORDER BY e.seq LIMIT {}",
            binds.len(),
            limit
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = match b {
                Bind::Text(s) => query.bind(s),
                Bind::Int(i) => query.bind(i),
            };
        }
        query
            .fetch_all(&self.pool)
            .await
            .map_err(db("querying events"))?
            .iter()
            .map(record_from_row)
            .collect()
    }

    /// Probes (each reads at most [`WIDE`] index entries) how many events the
    /// selective-looking filters match, so the query can be shaped for few or many.
    async fn plan(&self, q: &EventQuery) -> Result<Plan, StoreError> {
        let mut plan = Plan {
            postgres: self.postgres,
            ..Plan::default()
        };
        let count = |sql: String, values: Vec<String>| async move {
            let mut query = sqlx::query(&sql);
            for v in values {
                query = query.bind(v);
            }
            let n: i64 = query
                .fetch_one(&self.pool)
                .await
                .map_err(db("planning a query"))?
                .try_get("n")
                .map_err(db("planning a query"))?;
            Ok::<i64, StoreError>(n)
        };
        for f in &q.identifiers {
            let mut values = Vec::new();
            let mut alts = Vec::new();
            for v in &f.values {
                values.push(v.clone());
                alts.push(format!(
                    "epc = {}",
                    placeholder(self.postgres, values.len())
                ));
                values.push(v.clone());
                alts.push(format!(
                    "key_of = {}",
                    placeholder(self.postgres, values.len())
                ));
            }
            if alts.is_empty() {
                plan.wide_identifiers.push(false);
                continue;
            }
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM epcis_event_epcs WHERE {} LIMIT {WIDE}) t",
                alts.join(" OR ")
            );
            plan.wide_identifiers
                .push(count(sql, values).await? >= WIDE);
        }
        if !self.postgres && (q.ge_event_time.is_some() || q.lt_event_time.is_some()) {
            let lo = q.ge_event_time.map(instant_text).unwrap_or_default();
            let hi = q
                .lt_event_time
                .map(instant_text)
                .unwrap_or_else(|| "~".into());
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM epcis_events WHERE event_time >= ? AND event_time < ? LIMIT {WIDE}) t"
            );
            plan.wide_event_time = count(sql, vec![lo, hi]).await? >= WIDE;
        }
        Ok(plan)
    }

    /// One event by eventID.
    pub async fn event(&self, event_id: &str) -> Result<Option<EventRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM epcis_events WHERE event_id = $1"
        ))
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading an event"))?
        .map(|r| record_from_row(&r))
        .transpose()
    }

    /// One capture job.
    pub async fn capture_job(&self, id: &str) -> Result<Option<CaptureJob>, StoreError> {
        sqlx::query("SELECT * FROM epcis_captures WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading a capture job"))?
            .map(|r| job_from_row(&r))
            .transpose()
    }

    /// Capture jobs, newest first (of one organisation, or all).
    pub async fn capture_jobs_page(
        &self,
        owner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<CaptureJob>, StoreError> {
        const ORDER: Order = Order {
            list: "captures",
            key: &[("created_at", true), ("id", false)],
        };
        let owner = Arg::Text(owner.unwrap_or(""));
        let filter = "$1 = '' OR owner_org = $1";
        ORDER
            .fetch(
                &self.pool,
                "SELECT * FROM epcis_captures",
                filter,
                &[owner],
                page,
                "listing capture jobs",
                job_from_row,
            )
            .await
    }
}

impl WriteTx {
    /// Store events (insertion order as given) with the identifiers they name. Returns
    /// the digest of what was stored (ids and bodies as stored), for the capture's audit
    /// entry: verification recomputes it from the rows.
    pub async fn insert_events(
        &mut self,
        events: &[NewEvent<'_>],
    ) -> Result<CaptureDigest, StoreError> {
        let mut digest = EventDigest::default();
        if events.is_empty() {
            return Ok(digest.finish());
        }
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM epcis_events")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db("numbering events"))?
            .try_get("m")
            .map_err(db("numbering events"))?;
        let mut epcs: Vec<(i64, &'static str, &str)> = Vec::new();
        for (chunk_no, chunk) in events.chunks(EVENTS_PER_STATEMENT).enumerate() {
            let sql = multi_row(
                "epcis_events",
                EVENT_COLUMNS,
                16,
                chunk.len(),
                "",
                self.postgres,
            );
            let mut q = sqlx::query(&sql);
            for (i, n) in chunk.iter().enumerate() {
                let seq = next + 1 + (chunk_no * EVENTS_PER_STATEMENT + i) as i64;
                let e = n.event;
                for (role, id) in &e.epcs {
                    epcs.push((seq, role_name(*role, false), id));
                }
                for qe in &e.quantities {
                    epcs.push((seq, role_name(qe.role, true), &qe.epc_class));
                }
                let (declared_at, error_json) = match &e.error_declaration {
                    Some(d) => (
                        Some(instant_text(d.declaration_time)),
                        Some(d.raw.to_string()),
                    ),
                    None => (None, None),
                };
                q = q
                    .bind(seq)
                    .bind(e.id().to_string())
                    .bind(e.hash_id.clone())
                    .bind(e.kind.as_str())
                    .bind(instant_text(e.event_time))
                    .bind(instant_text(n.record_time))
                    .bind(e.action.map(|a| format!("{a:?}").to_uppercase()))
                    .bind(e.biz_step.clone())
                    .bind(e.disposition.clone())
                    .bind(e.read_point.clone())
                    .bind(e.biz_location.clone())
                    .bind(n.capture_id.to_string())
                    .bind(n.owner_org.to_string())
                    .bind(declared_at)
                    .bind(error_json)
                    .bind({
                        let body = serde_json::to_string(&e.body).unwrap_or_default();
                        digest.add(e.id(), &body);
                        body
                    });
            }
            q.execute(&mut *self.tx).await.map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    StoreError::Duplicate("an event with this eventID or content".into())
                }
                _ => StoreError::Db {
                    what: "storing events",
                    source: e,
                },
            })?;
        }
        for chunk in epcs.chunks(EPCS_PER_STATEMENT) {
            let sql = multi_row(
                "epcis_event_epcs",
                "seq, role, epc, key_of",
                4,
                chunk.len(),
                "",
                self.postgres,
            );
            let mut q = sqlx::query(&sql);
            for (seq, role, epc) in chunk {
                q = q
                    .bind(*seq)
                    .bind(*role)
                    .bind(epc.to_string())
                    .bind(key_of(epc).to_string());
            }
            q.execute(&mut *self.tx)
                .await
                .map_err(db("storing event identifiers"))?;
        }
        Ok(digest.finish())
    }

    /// Add an error declaration to a stored event (the event itself is kept). False when
    /// the event is unknown or already declared.
    pub async fn declare_event_error(
        &mut self,
        event_id: &str,
        declared_at: DateTime<Utc>,
        declaration: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE epcis_events SET error_declared_at = $1, error_json = $2 WHERE event_id = $3 AND error_declared_at IS NULL",
        )
        .bind(instant_text(declared_at))
        .bind(declaration.to_string())
        .bind(event_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db("declaring an event erroneous"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Record a capture job (insert or replace its state).
    pub async fn put_capture_job(&mut self, job: &CaptureJob) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM epcis_captures WHERE id = $1")
            .bind(&job.id)
            .execute(&mut *self.tx)
            .await
            .map_err(db("recording a capture job"))?;
        sqlx::query(
            "INSERT INTO epcis_captures (id, owner_org, created_at, finished_at, running, success, error_behaviour, event_count, errors_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&job.id)
        .bind(&job.owner_org)
        .bind(instant_text(job.created_at))
        .bind(job.finished_at.map(instant_text))
        .bind(job.running as i32)
        .bind(job.success as i32)
        .bind(&job.capture_error_behaviour)
        .bind(job.event_count)
        .bind(job.errors.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db("recording a capture job"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn keys_of_identifiers() {
        assert_eq!(
            key_of("https://id.gs1.org/01/04012345222227/10/LOT1"),
            "https://id.gs1.org/01/04012345222227"
        );
        assert_eq!(
            key_of("https://id.gs1.org/01/10614141073464/21/2017"),
            "https://id.gs1.org/01/10614141073464"
        );
        assert_eq!(
            key_of("https://id.gs1.org/01/04012345444445"),
            "https://id.gs1.org/01/04012345444445"
        );
        assert_eq!(key_of("urn:uuid:1"), "urn:uuid:1");
    }
}
