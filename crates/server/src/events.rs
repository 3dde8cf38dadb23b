//! The EPCIS 2.0 REST bindings FentGuard's ledger speaks: capture (`POST /epcis/capture`,
//! all-or-nothing by default, 202 with the capture job's `Location`), capture jobs, and
//! event queries with the standard filters and opaque next-page tokens.
//!
//! Duplicates are found by eventID and by the CBV 2.0 hash of the content (409); an event
//! captured again with an `errorDeclaration` declares the stored one erroneous without
//! deleting it.

use crate::auth::{new_id, Caller};
use crate::paging::{Paged, Paging};
use crate::{AppState, Problem};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use control::{may, Operation, Role as UserRole};
use epcis::identifier::canonical_or_same;
use epcis::vocabulary::Vocabulary;
use epcis::{DocumentError, Event, EventType};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use store::{CaptureJob, EventQuery, IdentifierFilter, KnownEvent, NewEvent};

/// Most events one capture may carry (`GS1-EPCIS-Capture-Limit`).
pub const CAPTURE_LIMIT: usize = 10_000;
/// Largest capture body (bytes; `GS1-EPCIS-Capture-File-Size-Limit`).
pub const CAPTURE_MAX_BODY: usize = 16 << 20;
/// Largest page of a query.
const MAX_PER_PAGE: usize = 1000;
const DEFAULT_PER_PAGE: usize = 30;

fn epcis_problem(status: StatusCode, exception: &str, detail: impl Into<String>) -> Problem {
    Problem::typed(status, format!("epcisException:{exception}"), detail)
}

fn validation(e: &DocumentError) -> Problem {
    let event = match (e.event_index, &e.event_id) {
        (Some(i), Some(id)) => format!("event {} ({id})", i + 1),
        (Some(i), None) => format!("event {}", i + 1),
        _ => "the document".into(),
    };
    epcis_problem(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        format!("{event}, field `{}`: {}", e.field, e.message),
    )
    .with_context(json!({"pointer": e.pointer, "eventIndex": e.event_index, "eventID": e.event_id, "field": e.field}))
}

fn with_epcis_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert("GS1-EPCIS-Version", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-CBV-Version", HeaderValue::from_static("2.0.0"));
    res
}

/// Discovery: what the capture interface accepts.
#[utoipa::path(options, path = "/epcis/capture", responses((status = 204, description = "Capture settings in the GS1 headers")), tag = "epcis")]
pub async fn capture_options() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert("GS1-EPCIS-Capture-Limit", HeaderValue::from(CAPTURE_LIMIT));
    h.insert(
        "GS1-EPCIS-Capture-File-Size-Limit",
        HeaderValue::from(CAPTURE_MAX_BODY),
    );
    h.insert(
        "GS1-Capture-Error-Behaviour",
        HeaderValue::from_static("rollback, proceed"),
    );
    h.insert(
        header::ALLOW,
        HeaderValue::from_static("OPTIONS, GET, POST"),
    );
    with_epcis_headers(res)
}

/// What became of one incoming event.
enum Fate<'a> {
    Store(&'a Event),
    Declare(&'a Event, String),
    Refuse(&'a Event, StatusCode, String),
}

/// The capture body as the OpenAPI describes it: the shape of an EPCIS 2.0 document.
/// The reader (`epcis::Document`) checks the rules no schema states (each event's own
/// fields, CBV values, identifiers) and answers 400 `ValidationException` naming them.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
pub struct CaptureDocument {
    /// JSON-LD context, e.g. `"https://ref.gs1.org/standards/epcis/epcis-context.jsonld"`.
    #[serde(rename = "@context")]
    context: Value,
    /// `EPCISDocument` (or `EPCISQueryDocument`).
    #[serde(rename = "type")]
    kind: CaptureDocumentType,
    /// `"2.0"`.
    schema_version: String,
    /// When the document was made.
    #[schema(format = DateTime)]
    creation_date: String,
    /// The events.
    epcis_body: CaptureBody,
}

/// Document types capture reads.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub enum CaptureDocumentType {
    /// A capture document.
    #[serde(rename = "EPCISDocument")]
    Document,
    /// A query answer captured again.
    #[serde(rename = "EPCISQueryDocument")]
    QueryDocument,
}

/// The `epcisBody` of a capture document.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
pub struct CaptureBody {
    /// The events (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent,
    /// AssociationEvent), at most `GS1-EPCIS-Capture-Limit` of them.
    #[schema(value_type = Vec<Object>)]
    event_list: Vec<Value>,
}

/// Capture an EPCISDocument (JSON or JSON-LD). All-or-nothing unless
/// `GS1-Capture-Error-Behaviour: proceed`. 202 with `Location: /epcis/capture/{id}`.
#[utoipa::path(post, path = "/epcis/capture", request_body(content((CaptureDocument = "application/ld+json"), (CaptureDocument = "application/json")), description = "An EPCISDocument or EPCISQueryDocument"),
    params(("GS1-Capture-Error-Behaviour" = Option<String>, Header, description = "rollback (default) or proceed")),
    responses((status = 202, description = "Captured; the job is at Location", body = Object), (status = 400, description = "Invalid document: `epcisException:ValidationException` naming the event and field (EPCIS 2.0 REST binding)", body = Problem), (status = 409, description = "An event is already captured", body = Problem), (status = 413, description = "Too many events or bytes", body = Problem)),
    security(("bearer" = [])), tag = "epcis")]
pub async fn capture(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    may(&p, &Operation::CaptureEvents)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(ct.starts_with("application/json") || ct.starts_with("application/ld+json")) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            format!("capture takes application/json or application/ld+json, not '{ct}'"),
        ));
    }
    let behaviour = match headers
        .get("GS1-Capture-Error-Behaviour")
        .and_then(|v| v.to_str().ok())
    {
        None | Some("rollback") => "rollback",
        Some("proceed") => "proceed",
        Some(other) => {
            return Err(epcis_problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                format!("GS1-Capture-Error-Behaviour '{other}' is not rollback or proceed"),
            ))
        }
    };
    let doc: Value = serde_json::from_slice(&body).map_err(|e| {
        epcis_problem(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let events = epcis::read_document(&doc).map_err(|e| validation(&e))?;
    if events.len() > CAPTURE_LIMIT {
        return Err(epcis_problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "CaptureLimitExceededException",
            format!(
                "{} events in one capture; at most {CAPTURE_LIMIT} (split the document)",
                events.len()
            ),
        ));
    }
    let mut fates = sort_out(&s, &p.org, &events).await?;
    let now = s.clock.now();
    // The law on every event, against the book as it stands under the writer lock.
    let mut tx = s.store.write().await?;
    let to_store: Vec<&Event> = fates
        .iter()
        .filter_map(|f| match f {
            Fate::Store(e) => Some(*e),
            _ => None,
        })
        .collect();
    let prefixes = doc
        .get("@context")
        .map(crate::custody::context_prefixes)
        .unwrap_or_default();
    let tracked = match crate::custody::apply(&s, &mut tx, &p.org, &to_store, &prefixes, now)
        .await?
    {
        Ok(t) => t,
        Err(bad) => {
            let id = events.get(bad.index).map(|e| e.id()).unwrap_or_default();
            return Err(epcis_problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                format!(
                    "event {} ({id}), field `{}`: {}",
                    bad.index + 1,
                    bad.field,
                    bad.message
                ),
            )
            .with_context(json!({"eventIndex": bad.index, "eventID": id, "field": bad.field})));
        }
    };
    for f in fates.iter_mut() {
        if let Fate::Store(e) = f {
            if let Some(b) = tracked.blocked.get(&e.index) {
                let why: Vec<String> = b
                    .iter()
                    .filter(|x| x.blocked)
                    .map(|x| format!("{} ({})", x.reason, x.rule))
                    .collect();
                *f = Fate::Refuse(
                    e,
                    StatusCode::BAD_REQUEST,
                    format!("breaks the law: {}", why.join("; ")),
                );
            }
        }
    }
    let refused: Vec<(&Event, StatusCode, &String)> = fates
        .iter()
        .filter_map(|f| match f {
            Fate::Refuse(e, st, why) => Some((*e, *st, why)),
            _ => None,
        })
        .collect();
    let error_list: Vec<Value> = refused
        .iter()
        .map(|(e, st, why)| {
            let mut v = json!({"eventIndex": e.index, "eventID": e.id(), "status": st.as_u16(), "detail": why});
            if let Some(b) = tracked.blocked.get(&e.index) {
                v["breaches"] = json!(b);
            }
            v
        })
        .collect();
    if behaviour == "rollback" && !refused.is_empty() {
        // Nothing is captured, but refused attempts stay on the enterprise's record.
        drop(tx);
        record_attempts(&s, &p.user, &tracked.attempt_alerts, now).await?;
        let status = if refused.iter().all(|(_, st, _)| *st == StatusCode::CONFLICT) {
            StatusCode::CONFLICT
        } else {
            refused
                .iter()
                .map(|(_, st, _)| *st)
                .find(|st| *st != StatusCode::CONFLICT)
                .unwrap_or(refused[0].1)
        };
        let exception = if status == StatusCode::CONFLICT {
            "ResourceAlreadyExistsException"
        } else {
            "ValidationException"
        };
        let (e, _, why) = refused
            .iter()
            .find(|(_, st, _)| *st == status)
            .copied()
            .unwrap_or(refused[0]);
        return Err(epcis_problem(
            status,
            exception,
            format!(
                "event {} ({}): {why}; nothing was captured",
                e.index + 1,
                e.id()
            ),
        )
        .with_errors(
            refused
                .iter()
                .map(|(e, _, w)| format!("event {} ({}): {w}", e.index + 1, e.id()))
                .collect(),
        )
        .with_context(json!({"errors": error_list})));
    }
    let capture_id = new_id("cap")?;
    let new: Vec<NewEvent> = fates
        .iter()
        .filter_map(|f| match f {
            Fate::Store(e) => Some(NewEvent {
                event: e,
                record_time: now,
                capture_id: &capture_id,
                owner_org: &p.org,
            }),
            _ => None,
        })
        .collect();
    let stored = tx.insert_events(&new).await?;
    tx.write_effects(&tracked.writes, now).await?;
    for a in &tracked.attempt_alerts {
        tx.insert_alert(a).await?;
    }
    let mut declared = Vec::new();
    for f in &fates {
        if let Fate::Declare(e, stored_id) = f {
            let Some(d) = &e.error_declaration else {
                continue;
            };
            if tx
                .declare_event_error(stored_id, d.declaration_time, &d.raw)
                .await?
            {
                // The book no longer counts what the erroneous event did.
                let undone =
                    crate::custody::withdraw(&s, &mut tx, &p.org, e, stored_id, now).await?;
                tx.write_effects(&undone, now).await?;
                declared.push(stored_id.clone());
            }
        }
    }
    let job = CaptureJob {
        id: capture_id.clone(),
        owner_org: p.org.clone(),
        created_at: now,
        finished_at: Some(now),
        running: false,
        success: refused.is_empty(),
        capture_error_behaviour: behaviour.into(),
        event_count: new.len() as i64,
        errors: Value::Array(error_list),
    };
    tx.put_capture_job(&job).await?;
    tx.audit(
        now,
        &p.user,
        "epcis.capture",
        &format!("capture/{capture_id}"),
        Value::Null,
        json!({"events": stored.events, "eventIDsSha256": stored.ids_sha256, "eventsSha256": stored.contents_sha256, "errorsDeclared": declared, "refused": refused.len()}),
    )
    .await?;
    tx.commit().await?;
    s.publish_alerts(tracked.writes.alerts.iter().chain(&tracked.attempt_alerts));
    let flagged: Vec<Value> = fates
        .iter()
        .filter_map(|f| match f {
            Fate::Store(e) => tracked
                .flagged
                .get(&e.index)
                .map(|b| json!({"eventIndex": e.index, "eventID": e.id(), "breaches": b})),
            _ => None,
        })
        .collect();
    let mut body = serde_json::to_value(&job)
        .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "encoding", e.to_string()))?;
    body["flagged"] = Value::Array(flagged);
    let alerts: Vec<&store::Alert> = tracked
        .writes
        .alerts
        .iter()
        .chain(&tracked.attempt_alerts)
        .collect();
    body["alerts"] = json!(alerts);
    let mut res = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/epcis/capture/{capture_id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_epcis_headers(res))
}

/// Stores the alerts of refused attempts on their own (the capture itself is rolled back).
async fn record_attempts(
    s: &AppState,
    user: &str,
    alerts: &[store::Alert],
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    if alerts.is_empty() {
        return Ok(());
    }
    let mut tx = s.store.write().await?;
    for a in alerts {
        tx.insert_alert(a).await?;
    }
    tx.audit(
        now,
        user,
        "alert.raise",
        "epcis/capture",
        Value::Null,
        json!({"refusedAttempts": alerts.iter().map(|a| &a.id).collect::<Vec<_>>()}),
    )
    .await?;
    tx.commit().await?;
    s.publish_alerts(alerts.iter());
    Ok(())
}

/// Decides, per event, whether it is new, declares a stored event erroneous, or is refused
/// (a duplicate in the document or in the repository; another enterprise's event).
async fn sort_out<'a>(
    s: &AppState,
    org: &str,
    events: &'a [Event],
) -> Result<Vec<Fate<'a>>, Problem> {
    let ids: Vec<String> = events.iter().filter_map(|e| e.given_id.clone()).collect();
    let hashes: Vec<String> = events.iter().map(|e| e.hash_id.clone()).collect();
    let known: Vec<KnownEvent> = s.store.known_events(&ids, &hashes).await?;
    let mut seen_ids = HashSet::new();
    let mut seen_hashes = HashSet::new();
    let mut fates = Vec::with_capacity(events.len());
    for e in events {
        let stored = known
            .iter()
            .find(|k| k.event_id == e.id())
            .or_else(|| known.iter().find(|k| k.hash_id == e.hash_id));
        let first_in_document =
            seen_ids.insert(e.id().to_string()) & seen_hashes.insert(e.hash_id.clone());
        let fate = match (stored, &e.error_declaration) {
            _ if !first_in_document => Fate::Refuse(
                e,
                StatusCode::CONFLICT,
                "the same event appears earlier in this document".into(),
            ),
            (Some(k), Some(_)) if k.owner_org != org => Fate::Refuse(
                e,
                StatusCode::FORBIDDEN,
                "the event was captured by another enterprise; only it can declare an error".into(),
            ),
            (Some(k), Some(_)) if k.declared => Fate::Refuse(
                e,
                StatusCode::CONFLICT,
                format!("an error is already declared on event {}", k.event_id),
            ),
            (Some(k), Some(_)) => Fate::Declare(e, k.event_id.clone()),
            (Some(k), None) => Fate::Refuse(
                e,
                StatusCode::CONFLICT,
                format!(
                    "already captured as event {} (same {})",
                    k.event_id,
                    if e.given_id.is_some() && k.event_id == e.id() {
                        "eventID"
                    } else {
                        "content: CBV 2.0 hash ID"
                    }
                ),
            ),
            (None, _) => Fate::Store(e),
        };
        fates.push(fate);
    }
    Ok(fates)
}

/// A capture job's state.
#[utoipa::path(get, path = "/epcis/capture/{captureID}", params(("captureID" = String, Path, description = "Capture job id")),
    responses((status = 200, description = "The job", body = Object), (status = 404, description = "Unknown", body = Problem)),
    security(("bearer" = [])), tag = "epcis")]
pub async fn capture_job(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let job = s
        .store
        .capture_job(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("capture job {id}")))?;
    may(
        &p,
        &Operation::ReadEvent {
            owner: &job.owner_org,
        },
    )?;
    Ok(with_epcis_headers(Json(job).into_response()))
}

/// Capture jobs, newest first (an enterprise sees its own).
#[utoipa::path(get, path = "/epcis/capture", params(Paging), responses((status = 200, description = "Jobs", body = Vec<Object>, headers(("Link" = String, description = "the next page, when there is more")))), security(("bearer" = [])), tag = "epcis")]
pub async fn capture_jobs(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    uri: Uri,
    page: Result<Query<Paging>, QueryRejection>,
) -> Result<Response, Problem> {
    may(&p, &Operation::QueryEvents)?;
    let page = Paging::read(page)?;
    let owner = (p.role == UserRole::ComplianceOfficer).then_some(p.org.as_str());
    Ok(with_epcis_headers(
        Paged(s.store.capture_jobs_page(owner, &page).await?, uri).into_response(),
    ))
}

fn query_document(events: Vec<Value>, now: DateTime<Utc>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": store::instant_text(now),
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}}
    })
}

fn query_problem(param: &str, detail: impl Into<String>) -> Problem {
    epcis_problem(
        StatusCode::BAD_REQUEST,
        "QueryParameterException",
        format!("query parameter `{param}`: {}", detail.into()),
    )
}

/// Roles an identifier filter covers.
fn identifier_roles(name: &str) -> Option<Vec<&'static str>> {
    Some(match name {
        "MATCH_epc" => vec!["epc", "child"],
        "MATCH_parentID" => vec!["parent"],
        "MATCH_inputEPC" => vec!["input"],
        "MATCH_outputEPC" => vec!["output"],
        "MATCH_anyEPC" => vec!["epc", "child", "parent", "input", "output"],
        "MATCH_epcClass" => vec!["class", "child_class"],
        "MATCH_inputEPCClass" => vec!["input_class"],
        "MATCH_outputEPCClass" => vec!["output_class"],
        "MATCH_anyEPCClass" => vec!["class", "child_class", "input_class", "output_class"],
        _ => return None,
    })
}

/// The EPCIS query parameters as an [`EventQuery`], page size and page token.
fn read_query(pairs: &[(String, String)]) -> Result<(EventQuery, usize, Option<String>), Problem> {
    let mut q = EventQuery::default();
    let mut per_page = DEFAULT_PER_PAGE;
    let mut token = None;
    let time = |name: &str, v: &str| -> Result<DateTime<Utc>, Problem> {
        DateTime::parse_from_rfc3339(v)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| query_problem(name, format!("'{v}' is not a date-time with offset: {e}")))
    };
    for (name, value) in pairs {
        let list: Vec<&str> = value.split('|').filter(|s| !s.is_empty()).collect();
        match name.as_str() {
            "eventType" => {
                for t in &list {
                    let t = EventType::parse(t).ok_or_else(|| {
                        query_problem(name, format!("'{t}' is not an event type"))
                    })?;
                    q.event_types.push(t.as_str().into());
                }
            }
            "GE_eventTime" => q.ge_event_time = Some(time(name, value)?),
            "LT_eventTime" => q.lt_event_time = Some(time(name, value)?),
            "GE_recordTime" => q.ge_record_time = Some(time(name, value)?),
            "LT_recordTime" => q.lt_record_time = Some(time(name, value)?),
            "EQ_action" => {
                for a in &list {
                    if !matches!(*a, "ADD" | "OBSERVE" | "DELETE") {
                        return Err(query_problem(
                            name,
                            format!("'{a}' is not ADD, OBSERVE or DELETE"),
                        ));
                    }
                    q.actions.push(a.to_string());
                }
            }
            "EQ_bizStep" => q
                .biz_steps
                .extend(list.iter().map(|v| Vocabulary::BizStep.expand(v))),
            "EQ_disposition" => q
                .dispositions
                .extend(list.iter().map(|v| Vocabulary::Disposition.expand(v))),
            "EQ_readPoint" => q
                .read_points
                .extend(list.iter().map(|v| canonical_or_same(v))),
            "EQ_bizLocation" => q
                .biz_locations
                .extend(list.iter().map(|v| canonical_or_same(v))),
            "EQ_eventID" => q.event_ids.extend(list.iter().map(|v| v.to_string())),
            "EXISTS_errorDeclaration" => q.error_declared = Some(true),
            "perPage" => {
                per_page = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                    .ok_or_else(|| {
                        query_problem(
                            name,
                            format!("'{value}' is not a number from 1 to {MAX_PER_PAGE}"),
                        )
                    })?;
            }
            "nextPageToken" => token = Some(value.clone()),
            other => match identifier_roles(other) {
                Some(roles) => q.identifiers.push(IdentifierFilter {
                    roles,
                    values: list.iter().map(|v| canonical_or_same(v)).collect(),
                }),
                None => {
                    return Err(query_problem(
                        other,
                        "not a query parameter this repository supports",
                    ))
                }
            },
        }
    }
    Ok((q, per_page, token))
}

/// Fingerprint of a query's filters, so a page token cannot be replayed on another query.
fn query_fingerprint(pairs: &[(String, String)], org_scope: &str) -> String {
    let mut v: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "nextPageToken" && k != "perPage")
        .collect();
    v.sort();
    let mut h = Sha256::new();
    h.update(org_scope.as_bytes());
    for (k, val) in v {
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(val.as_bytes());
        h.update(b"&");
    }
    hex::encode(&h.finalize()[..8])
}

/// Query events with the EPCIS filters; `Link: <…>; rel="next"` while more remain.
#[utoipa::path(get, path = "/epcis/events", params(
        ("eventType" = Option<String>, Query, pattern = r"^((ObjectEvent|AggregationEvent|TransactionEvent|TransformationEvent|AssociationEvent)(\|(ObjectEvent|AggregationEvent|TransactionEvent|TransformationEvent|AssociationEvent))*)?$", description = "Event types, |-separated"),
        ("GE_eventTime" = Option<String>, Query, format = DateTime, description = "eventTime at or after"),
        ("LT_eventTime" = Option<String>, Query, format = DateTime, description = "eventTime before"),
        ("GE_recordTime" = Option<String>, Query, format = DateTime, description = "recordTime at or after"),
        ("LT_recordTime" = Option<String>, Query, format = DateTime, description = "recordTime before"),
        ("EQ_action" = Option<String>, Query, pattern = r"^((ADD|OBSERVE|DELETE)(\|(ADD|OBSERVE|DELETE))*)?$", description = "ADD|OBSERVE|DELETE"),
        ("EQ_bizStep" = Option<String>, Query, description = "Business steps (bare CBV words or URIs)"),
        ("EQ_disposition" = Option<String>, Query, description = "Dispositions"),
        ("EQ_readPoint" = Option<String>, Query, description = "Read points"),
        ("EQ_bizLocation" = Option<String>, Query, description = "Business locations"),
        ("MATCH_epc" = Option<String>, Query, description = "EPCs (epcList, childEPCs); URN or Digital Link; patterns match what lies under them"),
        ("MATCH_anyEPC" = Option<String>, Query, description = "EPCs in any role"),
        ("MATCH_epcClass" = Option<String>, Query, description = "EPC classes (quantityList, childQuantityList)"),
        ("MATCH_anyEPCClass" = Option<String>, Query, description = "EPC classes in any role"),
        ("EQ_eventID" = Option<String>, Query, description = "eventIDs"),
        ("EXISTS_errorDeclaration" = Option<String>, Query, description = "Only events declared erroneous"),
        ("perPage" = Option<usize>, Query, minimum = 1, maximum = 1000, description = "Page size (1-1000, default 30)"),
        ("nextPageToken" = Option<String>, Query, description = "Opaque token from the previous page's Link header")),
    responses((status = 200, description = "An EPCISQueryDocument", body = Object), (status = 400, description = "Bad parameter", body = Problem)),
    security(("bearer" = [])), tag = "epcis")]
pub async fn query_events(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    may(&p, &Operation::QueryEvents)?;
    let (mut q, per_page, token) = read_query(&pairs)?;
    let scope = if p.role == UserRole::ComplianceOfficer {
        q.owner_org = Some(p.org.clone());
        p.org.as_str()
    } else {
        ""
    };
    let fingerprint = query_fingerprint(&pairs, scope);
    let after = match token {
        None => 0,
        Some(t) => {
            let (pos, fp) = t.split_once('.').unwrap_or(("", ""));
            match i64::from_str_radix(pos, 16) {
                Ok(n) if fp == fingerprint && n >= 0 => n,
                _ => {
                    return Err(query_problem(
                        "nextPageToken",
                        "the token does not belong to this query (or is damaged)",
                    ))
                }
            }
        }
    };
    let mut rows = s.store.query_events(&q, after, per_page + 1).await?;
    let more = rows.len() > per_page;
    rows.truncate(per_page);
    let next = more
        .then(|| rows.last().map(|r| format!("{:x}.{fingerprint}", r.seq)))
        .flatten();
    let events: Vec<Value> = rows.into_iter().map(|r| r.body).collect();
    let mut res = Json(query_document(events, s.clock.now())).into_response();
    if let Some(t) = next {
        let mut keep: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "nextPageToken")
            .cloned()
            .collect();
        keep.push(("nextPageToken".into(), t.clone()));
        let qs = serde_urlencoded::to_string(&keep).unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(&format!("</epcis/events?{qs}>; rel=\"next\"")) {
            res.headers_mut().insert(header::LINK, v);
        }
        if let Ok(v) = HeaderValue::from_str(&t) {
            res.headers_mut().insert("GS1-Next-Page-Token", v);
        }
    }
    Ok(with_epcis_headers(res))
}

/// One event (with any error declaration) as an EPCISQueryDocument.
#[utoipa::path(get, path = "/epcis/events/{eventID}", params(("eventID" = String, Path, description = "The eventID, percent-encoded")),
    responses((status = 200, description = "An EPCISQueryDocument with the event", body = Object), (status = 404, description = "Unknown", body = Problem)),
    security(("bearer" = [])), tag = "epcis")]
pub async fn get_event(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    may(&p, &Operation::QueryEvents)?;
    let rec = s
        .store
        .event(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("event {id}")))?;
    may(
        &p,
        &Operation::ReadEvent {
            owner: &rec.owner_org,
        },
    )?;
    Ok(with_epcis_headers(
        Json(query_document(vec![rec.body], s.clock.now())).into_response(),
    ))
}
