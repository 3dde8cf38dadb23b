//! What the authorities and the enterprises watch: book inventory, reporting and receipt
//! deadlines, alerts (listed and as a live stream), enterprise credit ratings, and
//! reconciliation (gaps and overdue reports become alerts). Also the master data the
//! rules read: GS1 parties and locations, annual production plans.

use crate::auth::{new_id, Caller};
use crate::paging::{Paged, Paging};
use crate::{AppState, Problem};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use control::{may, CreditRating, Deadline, Operation, Principal, Role};
use epcis::identifier::canonical_or_same;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{Alert, AlertFilter, InventoryRow, PartyRecord, ShipmentRecord};
use utoipa::{IntoParams, ToSchema};

/// A query string the handler could not read, as a problem naming the parameter.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, Problem> {
    q.map(|Query(v)| v)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "query", e.body_text()))
}

/// The enterprise a request is about: an enterprise's own, or the one asked for.
fn scope(p: &Principal, asked: Option<&str>) -> Option<String> {
    if p.role == Role::ComplianceOfficer {
        Some(p.org.clone())
    } else {
        asked.filter(|s| !s.is_empty()).map(str::to_string)
    }
}

/// Filters of the inventory list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InventoryQuery {
    /// Holding enterprise (authorities; an enterprise always sees its own).
    pub holder: Option<String>,
    /// Catalogue id of the substance.
    pub substance: Option<String>,
}

/// Book balances per holder, site and lot, kept from the captured events.
#[utoipa::path(get, path = "/api/v1/inventory", params(InventoryQuery, Paging),
    responses((status = 200, description = "Balances", body = Vec<Object>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "tracking")]
pub async fn inventory(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    q: Result<Query<InventoryQuery>, QueryRejection>,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<InventoryRow>, Problem> {
    let q = query(q)?;
    let page = Paging::read(page)?;
    let holder = scope(&p, q.holder.as_deref());
    may(
        &p,
        &Operation::ReadEnterpriseRecord {
            enterprise: holder.as_deref().unwrap_or("*"),
        },
    )?;
    Ok(Paged(
        s.store
            .inventory_page(holder.as_deref(), q.substance.as_deref(), &page)
            .await?,
        uri,
    ))
}

/// One place where the kept book and the ledger disagree.
#[derive(Serialize, ToSchema)]
pub struct BookDifference {
    /// Holder.
    pub holder: String,
    /// Site.
    pub site: String,
    /// Lot.
    pub lot: String,
    /// What the book kept at capture says (kg).
    pub kept_kg: f64,
    /// What replaying the ledger gives (kg).
    pub recomputed_kg: f64,
}

/// The book recomputed from the ledger and compared with the one kept at capture.
#[derive(Serialize, ToSchema)]
pub struct BookCheck {
    /// Events replayed.
    pub events_read: u64,
    /// Places with a balance.
    pub places: usize,
    /// Where the two disagree (empty: the book is what the events say).
    pub differences: Vec<BookDifference>,
    /// How long the replay took.
    pub seconds: f64,
}

/// Recompute the whole book from the ledger and compare it with the book kept at capture.
#[utoipa::path(get, path = "/api/v1/inventory/verify", responses((status = 200, description = "The comparison", body = BookCheck)), security(("bearer" = [])), tag = "tracking")]
pub async fn verify_inventory(
    State(s): State<AppState>,
    Caller(p, _): Caller,
) -> Result<Json<BookCheck>, Problem> {
    may(&p, &Operation::Reconcile)?;
    let started = std::time::Instant::now();
    let (events_read, rebuilt) = crate::custody::recompute(&s).await?;
    let seconds = started.elapsed().as_secs_f64();
    let kept = s.store.inventory(None, None).await?;
    let key = |r: &InventoryRow| (r.holder.clone(), r.site.clone(), r.lot.clone());
    let rebuilt: std::collections::HashMap<_, f64> =
        rebuilt.iter().map(|r| (key(r), r.kg)).collect();
    let mut differences: Vec<BookDifference> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in &kept {
        let k = key(r);
        let again = rebuilt.get(&k).copied().unwrap_or(0.0);
        if (again - r.kg).abs() > 1e-9 {
            differences.push(BookDifference {
                holder: k.0.clone(),
                site: k.1.clone(),
                lot: k.2.clone(),
                kept_kg: r.kg,
                recomputed_kg: again,
            });
        }
        seen.insert(k);
    }
    for (k, kg) in &rebuilt {
        if !seen.contains(k) && kg.abs() > 1e-9 {
            differences.push(BookDifference {
                holder: k.0.clone(),
                site: k.1.clone(),
                lot: k.2.clone(),
                kept_kg: 0.0,
                recomputed_kg: *kg,
            });
        }
    }
    Ok(Json(BookCheck {
        events_read,
        places: rebuilt.len(),
        differences,
        seconds,
    }))
}

/// A shipment that has not been received.
#[derive(Serialize, ToSchema)]
pub struct ReceiptDue {
    /// The shipment.
    #[schema(value_type = Object)]
    pub shipment: ShipmentRecord,
    /// When its receipt is due.
    pub due: DateTime<Utc>,
    /// Days past due (0 when not yet due).
    pub overdue_days: i64,
}

/// Deadlines of one or all enterprises.
#[derive(Serialize, ToSchema)]
pub struct Deadlines {
    /// Periodic reports (e.g. Class II every 30 days).
    pub reports: Vec<Deadline>,
    /// Receipts of shipments not yet received.
    pub receipts: Vec<ReceiptDue>,
    /// As of.
    pub as_of: DateTime<Utc>,
}

/// Filter of the deadline list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// Enterprise id (authorities; an enterprise always sees its own).
    pub enterprise: Option<String>,
    /// Only overdue ones.
    #[serde(default)]
    pub overdue: bool,
}

/// Reporting deadlines and receipts due, per enterprise.
#[utoipa::path(get, path = "/api/v1/deadlines", params(EnterpriseQuery),
    responses((status = 200, description = "Deadlines", body = Deadlines)), security(("bearer" = [])), tag = "tracking")]
pub async fn deadlines(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    q: Result<Query<EnterpriseQuery>, QueryRejection>,
) -> Result<Json<Deadlines>, Problem> {
    let q = query(q)?;
    let who = scope(&p, q.enterprise.as_deref());
    may(
        &p,
        &Operation::ReadEnterpriseRecord {
            enterprise: who.as_deref().unwrap_or("*"),
        },
    )?;
    let now = s.clock.now();
    let mut d = deadlines_as_of(&s, who.as_deref(), now).await?;
    if q.overdue {
        d.reports.retain(|r| r.overdue_days > 0);
        d.receipts.retain(|r| r.overdue_days > 0);
    }
    Ok(Json(d))
}

async fn deadlines_as_of(
    s: &AppState,
    who: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Deadlines, Problem> {
    let orgs: Vec<String> = match who {
        Some(o) => vec![o.to_string()],
        None => s
            .store
            .organisations()
            .await?
            .into_iter()
            .filter(|o| matches!(o.kind, control::OrgKind::Enterprise { .. }))
            .map(|o| o.id)
            .collect(),
    };
    let mut reports = Vec::new();
    for org in &orgs {
        let licences = s
            .organisation_with_licences(org)
            .await?
            .map(|(_, l)| l)
            .unwrap_or_default();
        if licences.is_empty() {
            continue;
        }
        let last = s.store.last_report(org).await?;
        reports.extend(s.rules.tracking.deadlines(org, &licences, last, now));
    }
    reports.sort_by(|a, b| b.overdue_days.cmp(&a.overdue_days).then(a.due.cmp(&b.due)));
    let within = Duration::days(s.rules.tracking.receipt_within_days);
    let receipts = s
        .store
        .open_shipments(who)
        .await?
        .into_iter()
        .map(|sh| {
            let due = sh.shipped_at + within;
            ReceiptDue {
                overdue_days: (now - due).num_days().max(0),
                due,
                shipment: sh,
            }
        })
        .collect();
    Ok(Deadlines {
        reports,
        receipts,
        as_of: now,
    })
}

/// Filters of the alert list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Enterprise (authorities; an enterprise always sees its own).
    pub enterprise: Option<String>,
    /// Kind (`rule_breach_blocked`, `inventory_discrepancy`, `receipt_gap`, ...).
    pub kind: Option<String>,
    /// Only at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only open claims: alerts one party's events raised about another enterprise that no
    /// authority has confirmed yet (authorities; they count against nobody until then).
    pub open_claims: Option<bool>,
}

/// Alerts, newest first. An authority asking about an enterprise also sees the open
/// claims other parties made about it; an enterprise sees its own alerts and the claims
/// about it that an authority confirmed.
#[utoipa::path(get, path = "/api/v1/alerts", params(AlertQuery, Paging), responses((status = 200, description = "OK", body = Vec<Object>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "operations")]
pub async fn alerts(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    q: Result<Query<AlertQuery>, QueryRejection>,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<Alert>, Problem> {
    may(&p, &Operation::ReadAlerts)?;
    let q = query(q)?;
    let page = Paging::read(page)?;
    let authority = p.role != Role::ComplianceOfficer;
    let f = AlertFilter {
        org: scope(&p, q.enterprise.as_deref()),
        kind: q.kind,
        since: q.since,
        limit: None,
        with_open_claims: authority,
        only_open_claims: q.open_claims.unwrap_or(false),
    };
    Ok(Paged(s.store.alerts_page(&f, &page).await?, uri))
}

/// An authority's confirmation of a claim.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmationIn {
    /// What was checked, in words (kept with the alert and in the audit trail).
    pub reason: String,
}

/// Confirm an open claim one party made about another enterprise (an unreported sale, a
/// receipt difference): from now on it counts against that enterprise's credit rating
/// and is shown to it. Audited.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/confirmation", params(("id" = String, Path, description = "Alert id")), request_body = ConfirmationIn,
    responses((status = 200, description = "The confirmed alert", body = Object), (status = 403, description = "the caller may not do this", body = Problem),
        (status = 404, description = "No such alert", body = Problem), (status = 409, description = "not an open claim", body = Problem), (status = 422, description = "no reason given", body = Problem)),
    security(("bearer" = [])), tag = "operations")]
pub async fn confirm_claim(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
    body: Result<Json<ConfirmationIn>, JsonRejection>,
) -> Result<Json<Alert>, Problem> {
    may(&p, &Operation::ConfirmClaim)?;
    let Json(input) = body.map_err(Problem::from)?;
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(Problem::unprocessable(
            "invalid-body",
            "reason: say what was checked to confirm the claim",
        ));
    }
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let Some(mut alert) = tx.alert(&id).await? else {
        return Err(Problem::not_found(format!("alert {id}")));
    };
    let Some(concerns) = alert.concerns.clone() else {
        return Err(Problem::conflict(
            "not-a-claim",
            format!(
                "alert {id} is on {}'s own record, not a claim about another party",
                alert.org
            ),
        ));
    };
    let c = store::Confirmation {
        by: p.user.clone(),
        at: now,
        reason: reason.to_string(),
    };
    if !tx.confirm_alert(&id, &c).await? {
        return Err(Problem::conflict(
            "wrong-state",
            format!("the claim of alert {id} was already confirmed"),
        ));
    }
    tx.audit(
        now,
        &p.user,
        "alert.confirm_claim",
        &format!("alert/{id}"),
        json!({"confirmed": null}),
        json!({"confirmed": {"by": c.by, "at": c.at, "reason": c.reason}, "concerns": concerns}),
    )
    .await?;
    tx.commit().await?;
    alert.confirmed = Some(c);
    Ok(Json(alert))
}

/// How often an open alert stream re-checks its token when no alert comes.
const STREAM_TOKEN_CHECK_SECONDS: u64 = 5;

/// New alerts as server-sent events (`event: alert`, data: the alert as JSON); an
/// enterprise receives only its own. A subscriber that falls behind is told how many it
/// missed (`event: lagged`) and can catch up with `GET /api/v1/alerts?since=`. The token
/// is checked against the database (not the cache) before every alert and every few
/// seconds: once it is revoked or expired, or its user deactivated, by this process or
/// another, the stream ends.
#[utoipa::path(get, path = "/api/v1/alerts/stream", responses((status = 200, description = "text/event-stream of alerts")), security(("bearer" = [])), tag = "operations")]
pub async fn alert_stream(
    State(s): State<AppState>,
    Caller(p, token): Caller,
) -> Result<
    Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>>,
    Problem,
> {
    may(&p, &Operation::ReadAlerts)?;
    let only = scope(&p, None);
    let rx = s.alerts.subscribe();
    let still_valid = move |s: AppState, token: String| async move {
        matches!(
            s.store.authenticate(&token, s.clock.now()).await,
            Ok(store::TokenCheck::Valid(..))
        )
    };
    let state = (rx, only, s, token);
    let stream = futures_util::stream::unfold(state, move |(mut rx, only, s, token)| async move {
        let tick = std::time::Duration::from_secs(STREAM_TOKEN_CHECK_SECONDS);
        loop {
            let next = match tokio::time::timeout(tick, rx.recv()).await {
                Err(_) => {
                    if still_valid(s.clone(), token.clone()).await {
                        continue;
                    }
                    return None;
                }
                Ok(next) => next,
            };
            if !still_valid(s.clone(), token.clone()).await {
                return None;
            }
            let ev = match next {
                Ok(a) if only.as_ref().is_some_and(|o| *o != a.org) => continue,
                Ok(a) => SseEvent::default()
                    .event("alert")
                    .id(a.id.clone())
                    .json_data(&a)
                    .unwrap_or_else(|_| SseEvent::default().event("alert").data(a.id)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    SseEvent::default().event("lagged").data(n.to_string())
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
            return Some((Ok(ev), (rx, only, s, token)));
        }
    });
    // Fused: the body may be polled again after the stream ended.
    let stream = futures_util::StreamExt::fuse(stream);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// An enterprise's credit rating: score, grade, reason codes and how it moved.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/credit-rating", params(("id" = String, Path, description = "Enterprise id")),
    responses((status = 200, description = "The rating", body = CreditRating), (status = 404, description = "No such enterprise", body = Problem)), security(("bearer" = [])), tag = "tracking")]
pub async fn credit_rating(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Json<CreditRating>, Problem> {
    may(&p, &Operation::ReadEnterpriseRecord { enterprise: &id })?;
    if s.store.organisation(&id).await?.is_none() {
        return Err(Problem::not_found(format!("enterprise {id}")));
    }
    Ok(Json(cases::credit::rating_of(&s, &id).await?))
}

/// What one reconciliation raised.
#[derive(Serialize, ToSchema)]
pub struct Reconciliation {
    /// New alerts.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Alert>,
    /// As of.
    pub as_of: DateTime<Utc>,
}

/// Turn what time has made wrong into alerts, once each: shipments not received within
/// the jurisdiction's days (`receipt_gap`), periodic reports overdue (`overdue_report`).
pub async fn reconcile(s: &AppState, user: &str) -> Result<Reconciliation, Problem> {
    let now = s.clock.now();
    let within = Duration::days(s.rules.tracking.receipt_within_days);
    let gaps = s.store.overdue_shipments(now - within).await?;
    let overdue: Vec<Deadline> = deadlines_as_of(s, None, now)
        .await?
        .reports
        .into_iter()
        .filter(|d| d.overdue_days > 0)
        .collect();
    let mut raised = Vec::new();
    let mut tx = s.store.write().await?;
    for g in &gaps {
        if !tx.mark_gap_alerted(&g.event_id).await? {
            continue;
        }
        let a = Alert {
            id: new_id("alert")?,
            at: now,
            kind: "receipt_gap".into(),
            subject: format!("shipment/{}", g.event_id),
            message: format!(
                "{} shipped {:.3} kg of {} to {} on {}; no receipt after {} days",
                g.from_org,
                g.kg,
                g.lot,
                g.to_org,
                g.shipped_at.format("%Y-%m-%d"),
                (now - g.shipped_at).num_days()
            ),
            org: g.from_org.clone(),
            event_id: Some(
                g.event_id
                    .split('#')
                    .next()
                    .unwrap_or(&g.event_id)
                    .to_string(),
            ),
            rule: None,
            concerns: None,
            confirmed: None,
        };
        tx.insert_alert(&a).await?;
        raised.push(a);
    }
    for d in &overdue {
        let subject = format!(
            "deadline/{}/{}/{}",
            d.enterprise,
            d.duty,
            d.due.format("%Y-%m-%d")
        );
        if tx.alert_exists("overdue_report", &subject).await? {
            continue;
        }
        let a = Alert {
            id: new_id("alert")?,
            at: now,
            kind: "overdue_report".into(),
            subject,
            message: format!(
                "{}: report due {} is {} days overdue ({})",
                d.enterprise,
                d.due.format("%Y-%m-%d"),
                d.overdue_days,
                d.text
            ),
            org: d.enterprise.clone(),
            event_id: None,
            rule: Some(d.duty.clone()),
            concerns: None,
            confirmed: None,
        };
        tx.insert_alert(&a).await?;
        raised.push(a);
    }
    if !raised.is_empty() {
        tx.audit(
            now,
            user,
            "reconciliation",
            "tracking",
            serde_json::Value::Null,
            json!({"alerts": raised.iter().map(|a| &a.id).collect::<Vec<_>>()}),
        )
        .await?;
        tx.commit().await?;
        s.publish_alerts(raised.iter());
    }
    Ok(Reconciliation {
        alerts: raised,
        as_of: now,
    })
}

/// Run reconciliation now (the server also runs it every minute).
#[utoipa::path(post, path = "/api/v1/reconciliation", responses((status = 200, description = "Alerts raised", body = Reconciliation)), security(("bearer" = [])), tag = "tracking")]
pub async fn run_reconciliation(
    State(s): State<AppState>,
    Caller(p, _): Caller,
) -> Result<Json<Reconciliation>, Problem> {
    may(&p, &Operation::Reconcile)?;
    Ok(Json(reconcile(&s, &p.user).await?))
}

/// A party or location to register.
#[derive(Deserialize, ToSchema)]
pub struct PartyInput {
    /// Organisation id.
    pub organisation: String,
    /// Province (needed for the medicine channel).
    #[serde(default)]
    pub province: String,
}

/// Register a GS1 party (PGLN) or location (SGLN) as an organisation's, in any spelling
/// (EPC URN, Digital Link).
#[utoipa::path(put, path = "/api/v1/parties/{gln}", params(("gln" = String, Path, description = "PGLN or SGLN (URN or Digital Link)")), request_body = PartyInput,
    responses((status = 200, description = "Registered", body = Object), (status = 422, description = "Not a GLN or unknown organisation", body = Problem)), security(("bearer" = [])), tag = "tracking")]
pub async fn put_party(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(gln): Path<String>,
    input: Result<Json<PartyInput>, JsonRejection>,
) -> Result<Json<PartyRecord>, Problem> {
    may(&p, &Operation::ManageMasterData)?;
    let Json(input) = input?;
    let canonical = canonical_or_same(&gln);
    if !(canonical.starts_with("https://id.gs1.org/414/")
        || canonical.starts_with("https://id.gs1.org/417/"))
    {
        return Err(Problem::unprocessable(
            "gln",
            format!("'{gln}' is not a party GLN (PGLN, AI 417) or location GLN (SGLN, AI 414) in URN or Digital Link form"),
        ));
    }
    if s.store.organisation(&input.organisation).await?.is_none() {
        return Err(Problem::unprocessable(
            "organisation",
            format!("no organisation '{}'", input.organisation),
        ));
    }
    let rec = PartyRecord {
        gln: canonical,
        org: input.organisation,
        province: input.province.trim().to_string(),
    };
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    tx.put_party(&rec, now).await?;
    tx.audit(
        now,
        &p.user,
        "party.register",
        &format!("party/{}", rec.gln),
        serde_json::Value::Null,
        json!(rec),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(rec))
}

/// Registered parties and locations.
#[utoipa::path(get, path = "/api/v1/parties", params(Paging), responses((status = 200, description = "Parties", body = Vec<Object>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "tracking")]
pub async fn parties(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Paged<PartyRecord>, Problem> {
    // Whoever reads traceability events needs to know whose GLNs they name.
    may(&p, &Operation::QueryEvents).or_else(|_| may(&p, &Operation::ManageMasterData))?;
    let page = Paging::read(page)?;
    Ok(Paged(s.store.parties_page(&page).await?, uri))
}

/// An annual production plan.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct PlanInput {
    /// Manufacturer.
    pub enterprise: String,
    /// Substance (name, CAS or structure; a salt is counted as base).
    pub substance: String,
    /// Year.
    pub year: i32,
    /// kg of base.
    pub plan_kg: f64,
}

/// Set a manufacturer's annual production plan for a substance (kg of base).
#[utoipa::path(put, path = "/api/v1/production-plans", request_body = PlanInput,
    responses((status = 200, description = "Set", body = Object), (status = 422, description = "Unknown substance or enterprise, bad amount", body = Problem)), security(("bearer" = [])), tag = "tracking")]
pub async fn put_plan(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    input: Result<Json<PlanInput>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    may(&p, &Operation::ManageMasterData)?;
    let Json(input) = input?;
    if !input.plan_kg.is_finite() || input.plan_kg < 0.0 {
        return Err(Problem::unprocessable(
            "plan_kg",
            "the plan must be a non-negative number of kg of base",
        ));
    }
    if !(1900..=9999).contains(&input.year) {
        return Err(Problem::unprocessable(
            "year",
            format!("{} is not a year", input.year),
        ));
    }
    if s.store.organisation(&input.enterprise).await?.is_none() {
        return Err(Problem::unprocessable(
            "enterprise",
            format!("no organisation '{}'", input.enterprise),
        ));
    }
    let unknown = || {
        Problem::unprocessable(
            "substance",
            format!("'{}' is not in the catalogue", input.substance),
        )
    };
    let id = s
        .rules
        .export
        .identify(
            &s.rules.classifier,
            &input.substance,
            s.clock.now().date_naive(),
        )
        .map_err(Problem::from)?
        .ok_or_else(unknown)?;
    let substance_id = id.substance_ids.first().cloned().ok_or_else(unknown)?;
    let plan_kg = input.plan_kg * id.base_ratio;
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    tx.set_plan(&input.enterprise, &substance_id, input.year, plan_kg)
        .await?;
    let out = json!({"enterprise": input.enterprise, "substance_id": substance_id, "year": input.year, "plan_kg_base": plan_kg});
    tx.audit(
        now,
        &p.user,
        "production_plan.set",
        &format!(
            "production-plan/{}/{substance_id}/{}",
            input.enterprise, input.year
        ),
        serde_json::Value::Null,
        out.clone(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(out))
}
