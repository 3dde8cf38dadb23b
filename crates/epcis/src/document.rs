//! Reading an EPCIS 2.0 JSON/JSON-LD document (an `EPCISDocument`, or an
//! `EPCISQueryDocument` as the capture interface must also take) into checked events.
//!
//! Every refusal names the event (its position in the list, and its eventID when it has
//! one) and the field, as a JSON pointer into the document.

use crate::hash::{event_hash_id, namespaces, vocabulary_in_use};
use crate::identifier::canonical_or_same;
use crate::vocabulary::Vocabulary;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{pointer}: {message}")]
pub struct DocumentError {
    /// JSON pointer of the offending value (`/epcisBody/eventList/1/eventTime`).
    pub pointer: String,
    /// Position of the event in the list, when the fault is inside one.
    pub event_index: Option<usize>,
    /// The event's own eventID, when it has one.
    pub event_id: Option<String>,
    /// The field, in EPCIS's name for it.
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

/// The five EPCIS 2.0 event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// Observation, commissioning or decommissioning of objects.
    ObjectEvent,
    /// Objects packed into or unpacked from a parent.
    AggregationEvent,
    /// Objects tied to or released from a business transaction.
    TransactionEvent,
    /// Inputs consumed, outputs produced.
    TransformationEvent,
    /// Objects associated with a parent (e.g. a sensor with a container).
    AssociationEvent,
}

impl EventType {
    /// The name EPCIS uses.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ObjectEvent => "ObjectEvent",
            EventType::AggregationEvent => "AggregationEvent",
            EventType::TransactionEvent => "TransactionEvent",
            EventType::TransformationEvent => "TransformationEvent",
            EventType::AssociationEvent => "AssociationEvent",
        }
    }

    /// Reads an EPCIS event type name.
    pub fn parse(s: &str) -> Option<EventType> {
        [
            EventType::ObjectEvent,
            EventType::AggregationEvent,
            EventType::TransactionEvent,
            EventType::TransformationEvent,
            EventType::AssociationEvent,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// ADD, OBSERVE or DELETE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// The objects come into being / into the relation.
    Add,
    /// The objects are seen, nothing changes.
    Observe,
    /// The objects leave being / the relation.
    Delete,
}

/// Where an identifier stands in an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// `epcList` (ObjectEvent, TransactionEvent) or `quantityList`.
    Object,
    /// `parentID`.
    Parent,
    /// `childEPCs` / `childQuantityList`.
    Child,
    /// `inputEPCList` / `inputQuantityList`.
    Input,
    /// `outputEPCList` / `outputQuantityList`.
    Output,
}

/// A quantity of a class of objects (a lot, a product).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// Where it stands in the event.
    pub role: Role,
    /// The EPC class in canonical form.
    pub epc_class: String,
    /// The amount (absent = unspecified).
    pub quantity: Option<f64>,
    /// UN/CEFACT Rec. 20 unit code (absent = a count of items).
    pub uom: Option<String>,
}

/// A business transaction, source or destination: an optional CBV type and an identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypedRef {
    /// The type as a web vocabulary URI (`https://ref.gs1.org/cbv/SDT-owning_party`).
    pub kind: Option<String>,
    /// The identifier, canonical where it is a GS1 key.
    pub id: String,
}

/// An error declaration on an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDeclaration {
    /// When the error was declared.
    pub declaration_time: DateTime<Utc>,
    /// Why, as a web vocabulary URI where it is a CBV reason.
    pub reason: Option<String>,
    /// Events that correct this one.
    pub corrective_event_ids: Vec<String>,
    /// The declaration as captured (extensions included), to store beside the event.
    pub raw: Value,
}

/// One checked event with the fields the repository indexes and the rules read.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Position in the document's event list.
    pub index: usize,
    /// Event type.
    pub kind: EventType,
    /// The eventID given in the document, if any.
    pub given_id: Option<String>,
    /// The CBV 2.0 hash ID of the event's content.
    pub hash_id: String,
    /// When it happened.
    pub event_time: DateTime<Utc>,
    /// The local offset the event was recorded in.
    pub time_zone_offset: String,
    /// Action (absent for TransformationEvent).
    pub action: Option<Action>,
    /// Business step URI.
    pub biz_step: Option<String>,
    /// Disposition URI.
    pub disposition: Option<String>,
    /// Read point, canonical.
    pub read_point: Option<String>,
    /// Business location, canonical.
    pub biz_location: Option<String>,
    /// Instance identifiers with their roles, canonical.
    pub epcs: Vec<(Role, String)>,
    /// Class quantities.
    pub quantities: Vec<Quantity>,
    /// Business transactions (purchase order, permit, …).
    pub biz_transactions: Vec<TypedRef>,
    /// Sources (owning / possessing party, location).
    pub sources: Vec<TypedRef>,
    /// Destinations.
    pub destinations: Vec<TypedRef>,
    /// Transformation ID, if any.
    pub transformation_id: Option<String>,
    /// Error declaration, if this capture declares the event erroneous.
    pub error_declaration: Option<ErrorDeclaration>,
    /// The event as stored: as captured, its eventID filled in when it had none, without
    /// `recordTime` (the repository's) and `errorDeclaration` (kept apart, above).
    pub body: Map<String, Value>,
}

impl Event {
    /// The eventID the repository keys it by: the one given, else the hash ID.
    pub fn id(&self) -> &str {
        self.given_id.as_deref().unwrap_or(&self.hash_id)
    }
}

/// Reads and checks an EPCIS document.
pub fn read_document(doc: &Value) -> Result<Vec<Event>, DocumentError> {
    read(doc, true)
}

/// Reads events a repository stored (every one carries its eventID) without computing
/// hash IDs again: `hash_id` is the eventID. For replaying a ledger, where the hash was
/// checked at capture and recomputing it would dominate the time.
pub fn read_stored_events(doc: &Value) -> Result<Vec<Event>, DocumentError> {
    read(doc, false)
}

fn read(doc: &Value, hash: bool) -> Result<Vec<Event>, DocumentError> {
    let top = |field: &str, message: String| DocumentError {
        pointer: format!("/{field}"),
        event_index: None,
        event_id: None,
        field: field.to_string(),
        message,
    };
    let Some(obj) = doc.as_object() else {
        return Err(top("", "the document must be a JSON object".into()));
    };
    let kind = obj.get("type").and_then(Value::as_str);
    let (list, base) = match kind {
        Some("EPCISDocument") => (
            obj.get("epcisBody").and_then(|b| b.get("eventList")),
            "/epcisBody/eventList",
        ),
        Some("EPCISQueryDocument") => (
            obj.get("epcisBody")
                .and_then(|b| b.get("queryResults"))
                .and_then(|q| q.get("resultsBody"))
                .and_then(|r| r.get("eventList")),
            "/epcisBody/queryResults/resultsBody/eventList",
        ),
        Some(other) => {
            return Err(top(
                "type",
                format!("'{other}' is not an EPCISDocument or EPCISQueryDocument"),
            ))
        }
        None => return Err(top("type", "missing: must be \"EPCISDocument\"".into())),
    };
    if let Some(v) = obj.get("schemaVersion") {
        let s = v.as_str().unwrap_or_default();
        if !s.starts_with('2') {
            return Err(top(
                "schemaVersion",
                format!("{v} is not an EPCIS 2.x schema version"),
            ));
        }
    }
    let Some(list) = list else {
        return Err(DocumentError {
            pointer: base.into(),
            event_index: None,
            event_id: None,
            field: "eventList".into(),
            message: "missing: the document carries no event list".into(),
        });
    };
    let Some(items) = list.as_array() else {
        return Err(DocumentError {
            pointer: base.into(),
            event_index: None,
            event_id: None,
            field: "eventList".into(),
            message: "must be an array of events".into(),
        });
    };
    let mut maps = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_object() {
            Some(m) => maps.push(m),
            None => {
                return Err(DocumentError {
                    pointer: format!("{base}/{i}"),
                    event_index: Some(i),
                    event_id: None,
                    field: "event".into(),
                    message: "an event must be a JSON object".into(),
                })
            }
        }
    }
    let (ns, vocabulary) = if hash {
        (namespaces(doc), vocabulary_in_use(&maps))
    } else {
        Default::default()
    };
    maps.iter()
        .enumerate()
        .map(|(i, m)| {
            let mut ev = read_event(i, m, &format!("{base}/{i}"))?;
            ev.hash_id = if hash {
                event_hash_id(m, &ns, &vocabulary)
            } else {
                ev.given_id.clone().unwrap_or_default()
            };
            ev.body
                .entry("eventID")
                .or_insert_with(|| Value::String(ev.hash_id.clone()));
            Ok(ev)
        })
        .collect()
}

/// Field reader for one event: every error carries the event and the field.
struct Reader<'a> {
    index: usize,
    id: Option<String>,
    base: &'a str,
    map: &'a Map<String, Value>,
}

impl Reader<'_> {
    fn fail(&self, path: &str, message: impl Into<String>) -> DocumentError {
        DocumentError {
            pointer: format!("{}/{path}", self.base),
            event_index: Some(self.index),
            event_id: self.id.clone(),
            field: path.split('/').next().unwrap_or(path).to_string(),
            message: message.into(),
        }
    }

    fn string(&self, field: &str) -> Result<Option<String>, DocumentError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(Value::String(_)) => Err(self.fail(field, "must not be empty")),
            Some(other) => Err(self.fail(field, format!("must be a string, not {other}"))),
        }
    }

    fn strings(&self, field: &str) -> Result<Vec<String>, DocumentError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(vec![]),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
                    _ => Err(self.fail(&format!("{field}/{i}"), "must be a non-empty string")),
                })
                .collect(),
            Some(_) => Err(self.fail(field, "must be an array of strings")),
        }
    }

    fn id_of(&self, field: &str) -> Result<Option<String>, DocumentError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
                Some(s) if !s.is_empty() => Ok(Some(canonical_or_same(s))),
                _ => Err(self.fail(&format!("{field}/id"), "missing: must be a URI")),
            },
            Some(_) => Err(self.fail(field, "must be an object with an \"id\"")),
        }
    }

    fn quantities(&self, field: &str, role: Role) -> Result<Vec<Quantity>, DocumentError> {
        let items = match self.map.get(field) {
            None | Some(Value::Null) => return Ok(vec![]),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(self.fail(field, "must be an array of quantity elements")),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, q) in items.iter().enumerate() {
            let at = |f: &str| format!("{field}/{i}/{f}");
            let Some(o) = q.as_object() else {
                return Err(self.fail(&format!("{field}/{i}"), "must be an object"));
            };
            let class = match o.get("epcClass").and_then(Value::as_str) {
                Some(s) if !s.is_empty() => canonical_or_same(s),
                _ => return Err(self.fail(&at("epcClass"), "missing: must be an EPC class URI")),
            };
            let quantity = match o.get("quantity") {
                None => None,
                Some(Value::Number(n)) => match n.as_f64() {
                    Some(x) if x.is_finite() && x >= 0.0 => Some(x),
                    _ => return Err(self.fail(&at("quantity"), "must be a non-negative number")),
                },
                Some(_) => return Err(self.fail(&at("quantity"), "must be a number")),
            };
            let uom = match o.get("uom") {
                None => None,
                Some(Value::String(u))
                    if (2..=3).contains(&u.len())
                        && u.bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) =>
                {
                    Some(u.clone())
                }
                Some(v) => {
                    return Err(self.fail(
                        &at("uom"),
                        format!("{v} is not a UN/CEFACT Rec. 20 unit code (e.g. \"KGM\")"),
                    ))
                }
            };
            if uom.is_some() && quantity.is_none() {
                return Err(self.fail(&at("quantity"), "missing: a unit needs a quantity"));
            }
            out.push(Quantity {
                role,
                epc_class: class,
                quantity,
                uom,
            });
        }
        Ok(out)
    }

    fn typed_list(
        &self,
        field: &str,
        key: &str,
        vocab: Vocabulary,
    ) -> Result<Vec<TypedRef>, DocumentError> {
        let items = match self.map.get(field) {
            None | Some(Value::Null) => return Ok(vec![]),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(self.fail(field, "must be an array")),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let Some(o) = it.as_object() else {
                return Err(self.fail(&format!("{field}/{i}"), "must be an object"));
            };
            let id = match o.get(key).and_then(Value::as_str) {
                Some(s) if !s.is_empty() => canonical_or_same(s),
                _ => return Err(self.fail(&format!("{field}/{i}/{key}"), "missing: must be a URI")),
            };
            let kind = match o.get("type") {
                None => None,
                Some(Value::String(t)) => Some(vocab.expand(t)),
                Some(_) => return Err(self.fail(&format!("{field}/{i}/type"), "must be a string")),
            };
            out.push(TypedRef { kind, id });
        }
        Ok(out)
    }
}

fn read_time(r: &Reader, field: &str, s: &str) -> Result<DateTime<Utc>, DocumentError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            r.fail(
                field,
                format!("'{s}' is not a date-time with offset (RFC 3339, e.g. 2025-11-10T08:00:00+08:00): {e}"),
            )
        })
}

fn offset_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && matches!(b[0], b'+' | b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && (b[1] - b'0') * 10 + (b[2] - b'0') <= 14
        && (b[4] - b'0') * 10 + (b[5] - b'0') < 60
}

fn read_event(index: usize, map: &Map<String, Value>, base: &str) -> Result<Event, DocumentError> {
    let mut r = Reader {
        index,
        id: None,
        base,
        map,
    };
    let given_id = r.string("eventID")?;
    r.id = given_id.clone();
    let kind = match map.get("type").and_then(Value::as_str) {
        Some(t) => EventType::parse(t).ok_or_else(|| {
            r.fail(
                "type",
                format!("'{t}' is not an EPCIS event type (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent)"),
            )
        })?,
        None => return Err(r.fail("type", "missing: the event type")),
    };
    let event_time = match r.string("eventTime")? {
        Some(s) => read_time(&r, "eventTime", &s)?,
        None => return Err(r.fail("eventTime", "missing: when the event happened")),
    };
    let time_zone_offset = match r.string("eventTimeZoneOffset")? {
        Some(s) if offset_ok(&s) => s,
        Some(s) => {
            return Err(r.fail(
                "eventTimeZoneOffset",
                format!("'{s}' is not an offset like +08:00"),
            ))
        }
        None => {
            return Err(r.fail(
                "eventTimeZoneOffset",
                "missing: the local offset, like +08:00",
            ))
        }
    };
    let action = match (kind, r.string("action")?) {
        (EventType::TransformationEvent, None) => None,
        (EventType::TransformationEvent, Some(_)) => {
            return Err(r.fail("action", "a TransformationEvent has no action"))
        }
        (_, None) => return Err(r.fail("action", "missing: ADD, OBSERVE or DELETE")),
        (_, Some(a)) => Some(match a.as_str() {
            "ADD" => Action::Add,
            "OBSERVE" => Action::Observe,
            "DELETE" => Action::Delete,
            other => {
                return Err(r.fail("action", format!("'{other}' is not ADD, OBSERVE or DELETE")))
            }
        }),
    };
    let mut epcs = Vec::new();
    for (field, role) in [
        ("epcList", Role::Object),
        ("childEPCs", Role::Child),
        ("inputEPCList", Role::Input),
        ("outputEPCList", Role::Output),
    ] {
        epcs.extend(
            r.strings(field)?
                .into_iter()
                .map(|e| (role, canonical_or_same(&e))),
        );
    }
    if let Some(p) = r.string("parentID")? {
        epcs.push((Role::Parent, canonical_or_same(&p)));
    }
    let mut quantities = Vec::new();
    for (field, role) in [
        ("quantityList", Role::Object),
        ("childQuantityList", Role::Child),
        ("inputQuantityList", Role::Input),
        ("outputQuantityList", Role::Output),
    ] {
        quantities.extend(r.quantities(field, role)?);
    }
    let biz_transactions = r.typed_list(
        "bizTransactionList",
        "bizTransaction",
        Vocabulary::BusinessTransactionType,
    )?;
    if kind == EventType::TransactionEvent && biz_transactions.is_empty() {
        return Err(r.fail(
            "bizTransactionList",
            "missing: a TransactionEvent names its business transaction",
        ));
    }
    if matches!(
        kind,
        EventType::AggregationEvent | EventType::AssociationEvent
    ) && action != Some(Action::Observe)
        && !epcs.iter().any(|(role, _)| *role == Role::Parent)
    {
        return Err(r.fail("parentID", "missing: ADD and DELETE name the parent"));
    }
    let transformation_id = r.string("transformationID")?;
    if kind == EventType::TransformationEvent
        && !epcs
            .iter()
            .any(|(role, _)| matches!(role, Role::Input | Role::Output))
        && quantities.is_empty()
        && transformation_id.is_none()
    {
        return Err(r.fail(
            "inputEPCList",
            "a TransformationEvent needs inputs or outputs, or a transformationID",
        ));
    }
    let error_declaration = match map.get("errorDeclaration") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            let t = match o.get("declarationTime").and_then(Value::as_str) {
                Some(s) => read_time(&r, "errorDeclaration/declarationTime", s)?,
                None => {
                    return Err(r.fail(
                        "errorDeclaration/declarationTime",
                        "missing: when the error was declared",
                    ))
                }
            };
            let reason = match o.get("reason") {
                None => None,
                Some(Value::String(s)) => Some(Vocabulary::ErrorReason.expand(s)),
                Some(_) => return Err(r.fail("errorDeclaration/reason", "must be a string")),
            };
            let corrective_event_ids = match o.get("correctiveEventIDs") {
                None => vec![],
                Some(Value::Array(a)) => a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            r.fail(
                                &format!("errorDeclaration/correctiveEventIDs/{i}"),
                                "must be a string",
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => {
                    return Err(r.fail(
                        "errorDeclaration/correctiveEventIDs",
                        "must be an array of eventIDs",
                    ))
                }
            };
            Some(ErrorDeclaration {
                declaration_time: t,
                reason,
                corrective_event_ids,
                raw: Value::Object(o.clone()),
            })
        }
        Some(_) => return Err(r.fail("errorDeclaration", "must be an object")),
    };
    Ok(Event {
        index,
        kind,
        given_id,
        hash_id: String::new(),
        event_time,
        time_zone_offset,
        action,
        biz_step: r.string("bizStep")?.map(|s| Vocabulary::BizStep.expand(&s)),
        disposition: r
            .string("disposition")?
            .map(|s| Vocabulary::Disposition.expand(&s)),
        read_point: r.id_of("readPoint")?,
        biz_location: r.id_of("bizLocation")?,
        epcs,
        quantities,
        biz_transactions,
        sources: r.typed_list("sourceList", "source", Vocabulary::SourceDestinationType)?,
        destinations: r.typed_list(
            "destinationList",
            "destination",
            Vocabulary::SourceDestinationType,
        )?,
        transformation_id,
        error_declaration,
        body: map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "recordTime" | "errorDeclaration"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}
