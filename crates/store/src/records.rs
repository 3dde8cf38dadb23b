//! The tables behind the workflow: organisations, users and tokens, enterprise licences,
//! applications, notifications, documents, permits, customs declarations and alerts.
//! Reads are on [`Store`]; every write is on [`WriteTx`], so it commits with its audit
//! entry.

use crate::page::{Arg, Order};
use crate::{
    col, corrupt, db, parse_instant, Alert, Confirmation, Page, PageRequest, Store, StoreError,
    WriteTx,
};
use chrono::{DateTime, Utc};
use control::{EnterpriseLicence, Organisation, PreExportNotification, Principal, Role};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

fn body<T: DeserializeOwned>(r: &AnyRow, what: &'static str) -> Result<T, StoreError> {
    let text: String = col(r, "body_json", what)?;
    serde_json::from_str(&text).map_err(corrupt(what))
}

fn to_json<T: Serialize>(v: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(corrupt(what))
}

fn unique(what: String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate(what),
        _ => StoreError::Db {
            what: "storing a record",
            source: e,
        },
    }
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

/// What the risk assessment needs to know of an application, stored beside its JSON.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationKeys {
    /// Substance key (first catalogue id, or the name).
    pub substance_key: String,
    /// Base-equivalent kg.
    pub base_kg: f64,
    /// Importer name, normalised.
    pub importer_name: String,
}

/// What the application lists filter, search and order on (migration 0010), derived
/// from the application by whoever writes it and stored beside it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationListing {
    /// The worklist's order, as one sortable text.
    pub worklist_key: String,
    /// Country of destination.
    pub destination: String,
    /// Lower-case words a search matches.
    pub search_text: String,
    /// Lower-case substance name.
    pub substance_text: String,
    /// What a list shows of the application, as JSON.
    pub summary_json: String,
}

/// An application as a list reads it: its JSON left as text, for the reader to take
/// only the fields a list shows (parsing every case whole would cost a list page dearly).
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationListRow {
    /// Id.
    pub id: String,
    /// Workflow state (snake_case).
    pub state: String,
    /// The application as JSON text.
    pub body_json: String,
}

fn application_list_row(r: &AnyRow) -> Result<ApplicationListRow, StoreError> {
    const WHAT: &str = "reading an application of a list";
    Ok(ApplicationListRow {
        id: col(r, "id", WHAT)?,
        state: col(r, "state", WHAT)?,
        body_json: col(r, "body_json", WHAT)?,
    })
}

/// Which applications a list holds; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationFilter {
    /// Only this organisation's (the exporter's own, or an enterprise asked for).
    pub owner: String,
    /// Only in this state (snake_case), or `open` for every state not final.
    pub state: String,
    /// Filed at or after this instant (RFC 3339).
    pub filed_from: String,
    /// Filed before this instant (RFC 3339).
    pub filed_before: String,
    /// Only to this country.
    pub destination: String,
    /// Substance name containing this (lower case).
    pub substance: String,
    /// Any of the searched words containing this (lower case).
    pub search: String,
}

/// How a list of applications is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApplicationOrder {
    /// Newest first.
    #[default]
    Newest,
    /// The licensing officer's worklist: by the statutory clock, overdue first.
    Worklist,
}

/// `text` as a LIKE pattern matching it anywhere (its `%`, `_` and `\` escaped).
fn contains_pattern(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// An exporter's record, for the risk assessment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExporterHistory {
    /// Base kg of earlier approved applications of this substance (latest first, up to 50).
    pub approved_kg: Vec<f64>,
    /// Refused applications of this exporter.
    pub refusals: u32,
    /// The exporter has applied to ship to this importer before.
    pub importer_known: bool,
    /// The importer's authority has confirmed a transaction with it before (any exporter).
    pub importer_verified: bool,
}

/// A stored permit and its use.
#[derive(Clone, Debug, PartialEq)]
pub struct PermitRecord {
    /// The signed permit.
    pub signed: control::SignedPermit,
    /// Application it was issued on.
    pub application_id: String,
    /// Exporter organisation id.
    pub exporter_org: String,
    /// kg drawn down by customs releases.
    pub drawn_kg: f64,
    /// Revoked by the authority.
    pub revoked: bool,
    /// The single shipment left the country.
    pub shipped: bool,
    /// kg confirmed as exited.
    pub exited_kg: f64,
    /// kg the importing authority endorsed as received.
    pub received_kg: Option<f64>,
}

/// A customs declaration as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclarationRecord {
    /// Id.
    pub id: String,
    /// The declaration.
    pub declaration: control::Declaration,
    /// Release or hold.
    pub outcome: control::CustomsOutcome,
    /// Exit confirmed.
    pub exited: bool,
    /// Lodged by (user id).
    pub lodged_by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a presented API token turns out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenCheck {
    /// Unknown token.
    Unknown,
    /// Expired at this time.
    Expired(DateTime<Utc>),
    /// Revoked, or its user deactivated.
    Revoked,
    /// Valid until the given time: the caller.
    Valid(Principal, DateTime<Utc>),
}

async fn fetch_permit<'e, E: Executor<'e, Database = Any>>(
    e: E,
    number: &str,
) -> Result<Option<PermitRecord>, StoreError> {
    const WHAT: &str = "reading the permit";
    let row = sqlx::query(
        "SELECT signed_json, application_id, exporter_org, drawn_kg, revoked, shipped, exited_kg, received_kg FROM permits WHERE number = $1",
    )
    .bind(number)
    .fetch_optional(e)
    .await
    .map_err(db(WHAT))?;
    row.map(|r| {
        let json: String = col(&r, "signed_json", WHAT)?;
        Ok(PermitRecord {
            signed: serde_json::from_str(&json).map_err(corrupt("permit"))?,
            application_id: col(&r, "application_id", WHAT)?,
            exporter_org: col(&r, "exporter_org", WHAT)?,
            drawn_kg: col(&r, "drawn_kg", WHAT)?,
            revoked: col::<i32>(&r, "revoked", WHAT)? != 0,
            shipped: col::<i32>(&r, "shipped", WHAT)? != 0,
            exited_kg: col(&r, "exited_kg", WHAT)?,
            received_kg: col(&r, "received_kg", WHAT)?,
        })
    })
    .transpose()
}

fn application_from_row(r: &AnyRow) -> Result<ApplicationRow, StoreError> {
    const WHAT: &str = "reading the application";
    Ok(ApplicationRow {
        id: col(r, "id", WHAT)?,
        owner_org: col(r, "owner_org", WHAT)?,
        state: col(r, "state", WHAT)?,
        version: col(r, "version", WHAT)?,
        body: body(r, "application")?,
    })
}

/// The caller a row of users joined with organisations names (columns `user_id`, `role`,
/// `body_json` of the organisation).
pub(crate) fn principal_of(r: &AnyRow, what: &'static str) -> Result<Principal, StoreError> {
    let role: String = col(r, "role", what)?;
    let role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt {
        what: "user role",
        detail: role.clone(),
    })?;
    let org: Organisation = body(r, "organisation")?;
    let exporter = matches!(&org.kind, control::OrgKind::Enterprise { activities } if activities.contains(&control::Activity::Exporter));
    Ok(Principal {
        user: col(r, "user_id", what)?,
        role,
        org: org.id,
        country: org.country,
        exporter,
    })
}

impl Store {
    /// Who holds this token hash, at `now`.
    pub async fn authenticate(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenCheck, StoreError> {
        const WHAT: &str = "checking the token";
        let row = sqlx::query(
            "SELECT t.expires_at, t.revoked, u.id AS user_id, u.role, u.active, o.body_json FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.org_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db(WHAT))?;
        let Some(r) = row else {
            return Ok(TokenCheck::Unknown);
        };
        let expires: String = col(&r, "expires_at", WHAT)?;
        let expires = parse_instant(&expires, "token expiry")?;
        if col::<i32>(&r, "revoked", WHAT)? != 0 || col::<i32>(&r, "active", WHAT)? == 0 {
            return Ok(TokenCheck::Revoked);
        }
        if now >= expires {
            return Ok(TokenCheck::Expired(expires));
        }
        Ok(TokenCheck::Valid(principal_of(&r, WHAT)?, expires))
    }

    /// A user's id and password hash, for login.
    pub async fn login_record(
        &self,
        username: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        const WHAT: &str = "reading the user";
        let row =
            sqlx::query("SELECT id, password_hash FROM users WHERE username = $1 AND active = 1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .map_err(db(WHAT))?;
        row.map(|r| Ok((col(&r, "id", WHAT)?, col(&r, "password_hash", WHAT)?)))
            .transpose()
    }

    /// Whether any active administrator exists (first-start bootstrap).
    pub async fn has_administrator(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT id FROM users WHERE role = 'administrator' AND active = 1 LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(db("reading users"))?
                .is_some(),
        )
    }

    /// One organisation.
    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
        sqlx::query("SELECT body_json FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the organisation"))?
            .map(|r| body(&r, "organisation"))
            .transpose()
    }

    /// All organisations, by name.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        sqlx::query("SELECT body_json FROM organisations ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db("reading organisations"))?
            .iter()
            .map(|r| body(r, "organisation"))
            .collect()
    }

    /// A page of the organisations, by name.
    pub async fn organisations_page(
        &self,
        page: &PageRequest,
    ) -> Result<Page<Organisation>, StoreError> {
        const ORDER: Order = Order {
            list: "organisations",
            key: &[("name", false), ("id", false)],
        };
        let select = "SELECT id, name, body_json FROM organisations";
        ORDER
            .fetch(
                &self.pool,
                select,
                "1 = 1",
                &[],
                page,
                "reading organisations",
                |r| body(r, "organisation"),
            )
            .await
    }

    /// A page of an enterprise's licences and registrations.
    pub async fn licences_page(
        &self,
        holder: &str,
        page: &PageRequest,
    ) -> Result<Page<EnterpriseLicence>, StoreError> {
        const ORDER: Order = Order {
            list: "licences",
            key: &[("id", false)],
        };
        let select = "SELECT id, body_json FROM enterprise_licences";
        ORDER
            .fetch(
                &self.pool,
                select,
                "holder = $1",
                &[Arg::Text(holder)],
                page,
                "reading licences",
                |r| body(r, "enterprise licence"),
            )
            .await
    }

    /// An enterprise's licences and registrations.
    pub async fn licences_of(&self, holder: &str) -> Result<Vec<EnterpriseLicence>, StoreError> {
        sqlx::query("SELECT body_json FROM enterprise_licences WHERE holder = $1 ORDER BY id")
            .bind(holder)
            .fetch_all(&self.pool)
            .await
            .map_err(db("reading licences"))?
            .iter()
            .map(|r| body(r, "enterprise licence"))
            .collect()
    }

    /// One enterprise licence.
    pub async fn licence(&self, id: &str) -> Result<Option<EnterpriseLicence>, StoreError> {
        sqlx::query("SELECT body_json FROM enterprise_licences WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the licence"))?
            .map(|r| body(&r, "enterprise licence"))
            .transpose()
    }

    /// One application.
    pub async fn get_application(&self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        sqlx::query(
            "SELECT id, owner_org, state, version, body_json FROM applications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading the application"))?
        .map(|r| application_from_row(&r))
        .transpose()
    }

    /// Applications under `filter`, in `order`, a page at a time.
    pub async fn applications_page(
        &self,
        filter: &ApplicationFilter,
        order: ApplicationOrder,
        page: &PageRequest,
    ) -> Result<Page<ApplicationListRow>, StoreError> {
        const NEWEST: Order = Order {
            list: "applications",
            key: &[("created_at", true), ("id", false)],
        };
        const WORKLIST: Order = Order {
            list: "worklist",
            key: &[("worklist_key", false), ("id", false)],
        };
        // a list reads the short summary, or the whole case for one filed before it
        let select = "SELECT id, state, CASE WHEN summary_json = '' THEN body_json ELSE summary_json END AS body_json, created_at, worklist_key FROM applications";
        // the final states by their stored names (snake_case, as serde writes them)
        let finals = control::State::FINAL
            .iter()
            .filter_map(|s| serde_json::to_value(s).ok())
            .filter_map(|v| v.as_str().map(|n| format!("'{n}'")))
            .collect::<Vec<_>>()
            .join(", ");
        // Only the filters given become conditions, so that the planner walks the
        // list's index in order and stops after a page (an `$n = '' OR …` for every
        // filter would hide the index and sort the whole table each time).
        let state = if filter.state == "open" {
            ""
        } else {
            filter.state.as_str()
        };
        let given: Vec<(&str, String)> = [
            ("owner_org = ?", filter.owner.clone()),
            ("state = ?", state.to_string()),
            ("created_at >= ?", filter.filed_from.clone()),
            ("created_at < ?", filter.filed_before.clone()),
            ("destination = ?", filter.destination.clone()),
            (
                "substance_text LIKE ? ESCAPE '\\'",
                contains_pattern(&filter.substance),
            ),
            (
                "search_text LIKE ? ESCAPE '\\'",
                contains_pattern(&filter.search),
            ),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let mut conditions: Vec<String> = given
            .iter()
            .enumerate()
            .map(|(i, (c, _))| c.replace('?', &format!("${}", i + 1)))
            .collect();
        if filter.state == "open" {
            conditions.push(format!("state NOT IN ({finals})"));
        }
        let args: Vec<Arg<'_>> = given.iter().map(|(_, v)| Arg::Text(v)).collect();
        let condition = if conditions.is_empty() {
            "1 = 1".to_string()
        } else {
            conditions.join(" AND ")
        };
        let order = match order {
            ApplicationOrder::Newest => NEWEST,
            ApplicationOrder::Worklist => WORKLIST,
        };
        order
            .fetch(
                &self.pool,
                select,
                &condition,
                &args,
                page,
                "listing applications",
                application_list_row,
            )
            .await
    }

    /// Up to `limit` applications whose listing columns were never written (filed before
    /// migration 0010), for [`WriteTx::set_application_listing`].
    pub async fn applications_unlisted(
        &self,
        limit: usize,
    ) -> Result<Vec<ApplicationRow>, StoreError> {
        const WHAT: &str = "finding applications to list";
        let rows = sqlx::query(&format!(
            "SELECT id, owner_org, state, version, body_json FROM applications WHERE search_text = '' OR summary_json = '' ORDER BY id LIMIT {}",
            limit.min(10_000)
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db(WHAT))?;
        rows.iter().map(application_from_row).collect()
    }

    /// The exporter's record for the risk assessment.
    pub async fn exporter_history(
        &self,
        owner: &str,
        keys: &ApplicationKeys,
    ) -> Result<ExporterHistory, StoreError> {
        const WHAT: &str = "reading the exporter's history";
        let approved = sqlx::query("SELECT base_kg FROM applications WHERE owner_org = $1 AND substance_key = $2 AND state = 'approved' ORDER BY created_at DESC LIMIT 50")
            .bind(owner)
            .bind(&keys.substance_key)
            .fetch_all(&self.pool)
            .await
            .map_err(db(WHAT))?
            .iter()
            .map(|r| col::<f64>(r, "base_kg", WHAT))
            .collect::<Result<Vec<_>, _>>()?;
        // One round trip; existence checks rather than counts where only existence
        // matters, so these do not slow down as the table grows.
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM applications WHERE owner_org = $1 AND state = 'refused') AS refusals, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM applications WHERE owner_org = $1 AND importer_name = $2 LIMIT 1) a) AS known, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM applications WHERE importer_name = $2 AND state IN ('verified', 'approved') LIMIT 1) b) AS verified",
        )
        .bind(owner)
        .bind(&keys.importer_name)
        .fetch_one(&self.pool)
        .await
        .map_err(db(WHAT))?;
        let (refusals, known, verified): (i64, i64, i64) = (
            col(&r, "refusals", WHAT)?,
            col(&r, "known", WHAT)?,
            col(&r, "verified", WHAT)?,
        );
        Ok(ExporterHistory {
            approved_kg: approved,
            refusals: refusals as u32,
            importer_known: known > 0,
            importer_verified: verified > 0,
        })
    }

    /// One notification and its version.
    pub async fn notification(
        &self,
        id: &str,
    ) -> Result<Option<(i64, PreExportNotification)>, StoreError> {
        sqlx::query("SELECT version, body_json FROM notifications WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the notification"))?
            .map(|r| {
                Ok((
                    col(&r, "version", "reading the notification")?,
                    body(&r, "notification")?,
                ))
            })
            .transpose()
    }

    /// Notifications, only those addressed to `country` when given.
    pub async fn notifications_page(
        &self,
        country: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<PreExportNotification>, StoreError> {
        const ORDER: Order = Order {
            list: "notifications",
            key: &[("id", false)],
        };
        let select = "SELECT id, body_json FROM notifications";
        let filter = "$1 = '' OR importing_country = $1";
        let country = country.map(str::to_ascii_uppercase).unwrap_or_default();
        ORDER
            .fetch(
                &self.pool,
                select,
                filter,
                &[Arg::Text(&country)],
                page,
                "listing notifications",
                |r| body(r, "notification"),
            )
            .await
    }

    /// A document's content (base64), by SHA-256.
    pub async fn document(&self, sha256: &str) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT content_base64 FROM documents WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the document"))?
            .map(|r| col(&r, "content_base64", "reading the document"))
            .transpose()
    }

    /// A permit and its use.
    pub async fn get_permit(&self, number: &str) -> Result<Option<PermitRecord>, StoreError> {
        fetch_permit(&self.pool, number).await
    }

    /// One customs declaration.
    pub async fn declaration(&self, id: &str) -> Result<Option<DeclarationRecord>, StoreError> {
        sqlx::query("SELECT body_json FROM customs_declarations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the declaration"))?
            .map(|r| body(&r, "customs declaration"))
            .transpose()
    }

    /// The public keys (hex) that signed the permits on file, and how many each signed.
    pub async fn permit_keys(&self) -> Result<Vec<(String, i64)>, StoreError> {
        const WHAT: &str = "reading permits";
        let rows = sqlx::query("SELECT signed_json FROM permits")
            .fetch_all(&self.pool)
            .await
            .map_err(db(WHAT))?;
        let mut keys: std::collections::BTreeMap<String, i64> = Default::default();
        for r in &rows {
            let json: String = col(r, "signed_json", WHAT)?;
            let signed: control::SignedPermit =
                serde_json::from_str(&json).map_err(corrupt(WHAT))?;
            *keys.entry(signed.key).or_insert(0) += 1;
        }
        Ok(keys.into_iter().collect())
    }

    /// Alerts, newest first.
    pub async fn alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.alerts_where(&crate::AlertFilter::default()).await
    }

    /// The user name of user `id`, if there is such a user (an audit entry's actor may
    /// also be a process, such as `fentguard:low-risk-fast-track`).
    pub async fn username_of(&self, id: &str) -> Result<Option<String>, StoreError> {
        const WHAT: &str = "reading a user name";
        let row = sqlx::query("SELECT username FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db(WHAT))?;
        row.map(|r| col(&r, "username", WHAT)).transpose()
    }
}

/// Fields of a user account to create.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    /// Id.
    pub id: &'a str,
    /// Login name.
    pub username: &'a str,
    /// Organisation id.
    pub org: &'a str,
    /// Role.
    pub role: Role,
    /// Argon2 PHC string.
    pub password_hash: &'a str,
}

impl WriteTx {
    /// Create an organisation.
    pub async fn insert_organisation(
        &mut self,
        org: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO organisations (id, name, country, body_json, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(&org.country)
            .bind(to_json(org, "organisation")?)
            .bind(now.to_rfc3339())
            .execute(&mut *self.tx)
            .await
            .map_err(unique(format!("organisation {}", org.id)))?;
        Ok(())
    }

    /// Create a user.
    pub async fn insert_user(
        &mut self,
        u: &NewUser<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO users (id, username, org_id, role, password_hash, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6)")
            .bind(u.id)
            .bind(u.username)
            .bind(u.org)
            .bind(u.role.as_str())
            .bind(u.password_hash)
            .bind(now.to_rfc3339())
            .execute(&mut *self.tx)
            .await
            .map_err(unique(format!("user name '{}'", u.username)))?;
        Ok(())
    }

    /// Store an API token (its SHA-256 only).
    pub async fn insert_token(
        &mut self,
        token_hash: &str,
        user: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, expires_at, revoked, created_at) VALUES ($1, $2, $3, 0, $4)")
            .bind(token_hash)
            .bind(user)
            .bind(expires.to_rfc3339())
            .bind(now.to_rfc3339())
            .execute(&mut *self.tx)
            .await
            .map_err(db("storing the token"))?;
        Ok(())
    }

    /// Revoke a token.
    pub async fn revoke_token(&mut self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *self.tx)
            .await
            .map_err(db("revoking the token"))?;
        Ok(())
    }

    /// Create or replace an enterprise licence.
    pub async fn put_licence(&mut self, l: &EnterpriseLicence) -> Result<(), StoreError> {
        let json = to_json(l, "enterprise licence")?;
        sqlx::query("INSERT INTO enterprise_licences (id, holder, body_json) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, body_json = excluded.body_json")
            .bind(&l.id)
            .bind(&l.holder)
            .bind(json)
            .execute(&mut *self.tx)
            .await
            .map_err(db("storing the licence"))?;
        Ok(())
    }

    /// Insert a new application (version 1).
    pub async fn insert_application(
        &mut self,
        row: &ApplicationRow,
        keys: &ApplicationKeys,
        listing: &ApplicationListing,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let ts = now.to_rfc3339();
        sqlx::query("INSERT INTO applications (id, owner_org, state, version, body_json, created_at, updated_at, substance_key, base_kg, importer_name, worklist_key, destination, search_text, substance_text, summary_json) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
            .bind(&row.id)
            .bind(&row.owner_org)
            .bind(&row.state)
            .bind(row.body.to_string())
            .bind(&ts)
            .bind(&ts)
            .bind(&keys.substance_key)
            .bind(keys.base_kg)
            .bind(&keys.importer_name)
            .bind(&listing.worklist_key)
            .bind(&listing.destination)
            .bind(&listing.search_text)
            .bind(&listing.substance_text)
            .bind(&listing.summary_json)
            .execute(&mut *self.tx)
            .await
            .map_err(unique(format!("application {}", row.id)))?;
        Ok(())
    }

    /// Update an application if it is still at `expected_version`; returns the new version.
    pub async fn update_application(
        &mut self,
        id: &str,
        expected_version: i64,
        state: &str,
        body: &serde_json::Value,
        listing: &ApplicationListing,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let res = sqlx::query("UPDATE applications SET state = $1, body_json = $2, version = version + 1, updated_at = $3, worklist_key = $6, destination = $7, search_text = $8, substance_text = $9, summary_json = $10 WHERE id = $4 AND version = $5")
            .bind(state)
            .bind(body.to_string())
            .bind(now.to_rfc3339())
            .bind(id)
            .bind(expected_version)
            .bind(&listing.worklist_key)
            .bind(&listing.destination)
            .bind(&listing.search_text)
            .bind(&listing.substance_text)
            .bind(&listing.summary_json)
            .execute(&mut *self.tx)
            .await
            .map_err(db("updating the application"))?;
        if res.rows_affected() == 1 {
            return Ok(expected_version + 1);
        }
        let exists = sqlx::query("SELECT id FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db("updating the application"))?
            .is_some();
        Err(if exists {
            StoreError::Conflict(format!("application {id}"))
        } else {
            StoreError::NotFound(format!("application {id}"))
        })
    }

    /// Write the listing columns of an application filed before they existed (derived
    /// data, as the risk assessment's columns are: not a change of the application, so
    /// not audited; the application's version is unchanged).
    pub async fn set_application_listing(
        &mut self,
        id: &str,
        listing: &ApplicationListing,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE applications SET worklist_key = $1, destination = $2, search_text = $3, substance_text = $4, summary_json = $5 WHERE id = $6")
            .bind(&listing.worklist_key)
            .bind(&listing.destination)
            .bind(&listing.search_text)
            .bind(&listing.substance_text)
            .bind(&listing.summary_json)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(db("listing an application"))?;
        Ok(())
    }

    /// Insert or update a notification (optimistic: `expected_version` 0 inserts).
    pub async fn put_notification(
        &mut self,
        n: &PreExportNotification,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let json = to_json(n, "notification")?;
        let state = serde_json::to_value(n.state)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        if expected_version == 0 {
            sqlx::query("INSERT INTO notifications (id, application_id, importing_country, state, version, body_json) VALUES ($1, $2, $3, $4, 1, $5)")
                .bind(&n.id)
                .bind(&n.application_id)
                .bind(n.importing_country.to_ascii_uppercase())
                .bind(state)
                .bind(json)
                .execute(&mut *self.tx)
                .await
                .map_err(unique(format!("notification {}", n.id)))?;
            return Ok(1);
        }
        let res = sqlx::query("UPDATE notifications SET state = $1, body_json = $2, version = version + 1 WHERE id = $3 AND version = $4")
            .bind(state)
            .bind(json)
            .bind(&n.id)
            .bind(expected_version)
            .execute(&mut *self.tx)
            .await
            .map_err(db("updating the notification"))?;
        if res.rows_affected() == 1 {
            Ok(expected_version + 1)
        } else {
            Err(StoreError::Conflict(format!("notification {}", n.id)))
        }
    }

    /// Keep a document's content (stored once per SHA-256).
    pub async fn put_document(
        &mut self,
        sha256: &str,
        size: u64,
        content_base64: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO documents (sha256, size, content_base64) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
            .bind(sha256)
            .bind(size as i64)
            .bind(content_base64)
            .execute(&mut *self.tx)
            .await
            .map_err(db("storing the document"))?;
        Ok(())
    }

    /// The next serial number for permits numbered `prefix-NNNNNN` (safe: writers are
    /// serialised).
    pub async fn next_permit_serial(&mut self, prefix: &str) -> Result<u64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM permits WHERE number LIKE $1")
            .bind(format!("{prefix}-%"))
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db("numbering the permit"))?;
        Ok(col::<i64>(&r, "n", "numbering the permit")? as u64 + 1)
    }

    /// Store an issued permit.
    pub async fn insert_permit(
        &mut self,
        permit: &control::SignedPermit,
        application_id: &str,
        exporter_org: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO permits (number, application_id, signed_json, drawn_kg, revoked, shipped, issued_at, exporter_org, exited_kg) VALUES ($1, $2, $3, 0.0, 0, 0, $4, $5, 0.0)")
            .bind(&permit.permit.number)
            .bind(application_id)
            .bind(to_json(permit, "permit")?)
            .bind(now.to_rfc3339())
            .bind(exporter_org)
            .execute(&mut *self.tx)
            .await
            .map_err(unique(format!("permit {}", permit.permit.number)))?;
        Ok(())
    }

    /// A permit and its use, read inside this transaction (so a draw-down sees every
    /// earlier one).
    pub async fn get_permit(&mut self, number: &str) -> Result<Option<PermitRecord>, StoreError> {
        fetch_permit(&mut *self.tx, number).await
    }

    /// Record a permit's use.
    pub async fn update_permit_use(&mut self, p: &PermitRecord) -> Result<(), StoreError> {
        // NULL is written as a literal: sqlx's Any driver types a bound NULL differently
        // from a bound float, and PostgreSQL then rejects the cached statement.
        let q = match p.received_kg {
            Some(kg) => sqlx::query("UPDATE permits SET drawn_kg = $1, revoked = $2, shipped = $3, exited_kg = $4, received_kg = $5 WHERE number = $6").bind(p.drawn_kg).bind(p.revoked as i32).bind(p.shipped as i32).bind(p.exited_kg).bind(kg),
            None => sqlx::query("UPDATE permits SET drawn_kg = $1, revoked = $2, shipped = $3, exited_kg = $4, received_kg = NULL WHERE number = $5").bind(p.drawn_kg).bind(p.revoked as i32).bind(p.shipped as i32).bind(p.exited_kg),
        };
        q.bind(&p.signed.permit.number)
            .execute(&mut *self.tx)
            .await
            .map_err(db("recording the permit's use"))?;
        Ok(())
    }

    /// Insert or replace a customs declaration.
    pub async fn put_declaration(&mut self, d: &DeclarationRecord) -> Result<(), StoreError> {
        let outcome = match d.outcome {
            control::CustomsOutcome::Release { .. } => "release",
            control::CustomsOutcome::Hold { .. } => "hold",
        };
        sqlx::query("INSERT INTO customs_declarations (id, permit_number, outcome, exited, body_json, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET exited = excluded.exited, body_json = excluded.body_json")
            .bind(&d.id)
            .bind(&d.declaration.permit_number)
            .bind(outcome)
            .bind(d.exited as i32)
            .bind(to_json(d, "customs declaration")?)
            .bind(d.at.to_rfc3339())
            .execute(&mut *self.tx)
            .await
            .map_err(db("storing the declaration"))?;
        Ok(())
    }

    /// Raise an alert.
    pub async fn insert_alert(&mut self, a: &Alert) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alerts (id, at, kind, subject, message, org_id, event_id, rule_id, concerns_org, confirmed_by, confirmed_at, confirmation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&a.id)
        .bind(crate::instant_text(a.at))
        .bind(&a.kind)
        .bind(&a.subject)
        .bind(&a.message)
        .bind(&a.org)
        .bind(&a.event_id)
        .bind(&a.rule)
        .bind(&a.concerns)
        .bind(a.confirmed.as_ref().map(|c| c.by.clone()))
        .bind(a.confirmed.as_ref().map(|c| crate::instant_text(c.at)))
        .bind(a.confirmed.as_ref().map(|c| c.reason.clone()))
        .execute(&mut *self.tx)
        .await
        .map_err(db("raising the alert"))?;
        Ok(())
    }

    /// An alert, read in the transaction (to confirm it).
    pub async fn alert(&mut self, id: &str) -> Result<Option<Alert>, StoreError> {
        let sql = format!(
            "SELECT {} FROM alerts WHERE id = $1",
            crate::custody::ALERT_COLUMNS
        );
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db("reading the alert"))?
            .as_ref()
            .map(crate::custody::alert_from_row)
            .transpose()
    }

    /// Confirm an open claim (one that concerns another enterprise and is not yet
    /// confirmed); false when there is no such open claim.
    pub async fn confirm_alert(&mut self, id: &str, c: &Confirmation) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE alerts SET confirmed_by = $1, confirmed_at = $2, confirmation = $3 \
             WHERE id = $4 AND concerns_org IS NOT NULL AND confirmed_at IS NULL",
        )
        .bind(&c.by)
        .bind(crate::instant_text(c.at))
        .bind(&c.reason)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(db("confirming the alert"))?;
        Ok(r.rows_affected() == 1)
    }
}
