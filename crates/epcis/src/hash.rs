//! The CBV 2.0 event hash ID (`ni:///sha-256;…?ver=CBV2.0`): a pre-hash string built
//! from the event's content in a canonical order and form, then SHA-256.
//!
//! Two captures of the same event, in any key order, with EPC URNs or Digital Link URIs,
//! local or UTC timestamps, bare CBV words or web URIs, get the same ID; the
//! `eventID`, `recordTime` and `errorDeclaration` do not take part. The construction
//! follows GS1's reference implementation (`epcis-event-hash-generator`), which is the
//! test oracle (`tests/hash_oracle.rs`, fixtures from `scripts/gen_epcis_hash_fixtures.py`):
//! the JSON event is read as a tree of (name, value, children) as its XML twin would be,
//! the properties of the canonical order are consumed first, and whatever remains
//! (ILMD, business transactions, sources and destinations, extensions) follows, sorted.

use crate::identifier;
use crate::vocabulary::{web_form_of_urns, Vocabulary};
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

/// Namespace prefixes of a document's `@context` (`"example": "http://ns.example.com/epcis/"`).
pub type Namespaces = HashMap<String, String>;

/// Reads the prefixes an EPCIS document declares in its `@context` list.
pub fn namespaces(document: &Value) -> Namespaces {
    let mut out = Namespaces::new();
    if let Some(Value::Array(items)) = document.get("@context") {
        for item in items {
            if let Value::Object(map) = item {
                for (k, v) in map {
                    if let Value::String(uri) = v {
                        out.insert(k.clone(), uri.clone());
                    }
                }
            }
        }
    }
    out
}

/// The CBV web-vocabulary URIs a document uses in vocabulary positions. A bare string
/// anywhere in an event that names exactly one of them (by its last word) is read as it,
/// as JSON-LD expansion of the document would.
pub fn vocabulary_in_use(events: &[&Map<String, Value>]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |vocab: Vocabulary, v: Option<&Value>| {
        let values: Vec<&Value> = match v {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(other) => vec![other],
            None => vec![],
        };
        for s in values.into_iter().filter_map(Value::as_str) {
            let e = vocab.expand(s);
            if e.starts_with("https://ref.gs1.org/cbv") || e.starts_with("https://gs1.org/voc") {
                out.insert(e);
            }
        }
    };
    for ev in events {
        add(Vocabulary::BizStep, ev.get("bizStep"));
        add(Vocabulary::Disposition, ev.get("disposition"));
        if let Some(pd) = ev.get("persistentDisposition") {
            add(Vocabulary::Disposition, pd.get("set"));
            add(Vocabulary::Disposition, pd.get("unset"));
        }
        for (list, vocab) in [
            ("bizTransactionList", Vocabulary::BusinessTransactionType),
            ("sourceList", Vocabulary::SourceDestinationType),
            ("destinationList", Vocabulary::SourceDestinationType),
        ] {
            if let Some(Value::Array(items)) = ev.get(list) {
                for it in items {
                    add(vocab, it.get("type"));
                }
            }
        }
        if let Some(ed) = ev.get("errorDeclaration") {
            add(Vocabulary::ErrorReason, ed.get("reason"));
        }
    }
    out
}

/// The hash ID of an event (a JSON object of an EPCIS 2.0 document).
pub fn event_hash_id(
    event: &Map<String, Value>,
    namespaces: &Namespaces,
    vocabulary: &BTreeSet<String>,
) -> String {
    let pre = prehash(event, namespaces, vocabulary);
    format!(
        "ni:///sha-256;{}?ver=CBV2.0",
        hex::encode(Sha256::digest(pre.as_bytes()))
    )
}

/// The pre-hash string of an event (what is hashed), for inspection and tests.
pub fn prehash(
    event: &Map<String, Value>,
    namespaces: &Namespaces,
    vocabulary: &BTreeSet<String>,
) -> String {
    let reader = TreeReader {
        namespaces,
        vocabulary,
    };
    let tree = correct(reader.object(event));
    let Node::Element(mut root) = tree else {
        return String::new();
    };
    let mut out = format!("eventType={}", root.name);
    out.push_str(&in_order(&mut root.children, ORDER));
    root.children.retain(|c| {
        !matches!(
            c.name(),
            Some("recordTime" | "eventID" | "type" | "errorDeclaration")
        )
    });
    out.push_str(&rest(&root.children));
    out
}

/// One node of the XML-shaped tree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Element {
    name: String,
    value: String,
    children: Vec<Node>,
}

/// An element, or an entry of a business transaction / source / destination list,
/// which keeps its two properties in the order written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Element(Element),
    Entry(Vec<Node>),
}

impl Node {
    fn name(&self) -> Option<&str> {
        match self {
            Node::Element(e) => Some(&e.name),
            Node::Entry(_) => None,
        }
    }
}

fn element(name: impl Into<String>, value: impl Into<String>, children: Vec<Node>) -> Node {
    Node::Element(Element {
        name: name.into(),
        value: value.into(),
        children,
    })
}

struct TreeReader<'a> {
    namespaces: &'a Namespaces,
    vocabulary: &'a BTreeSet<String>,
}

impl TreeReader<'_> {
    /// `prefix:name` -> `{namespace}name` for keys.
    fn key(&self, k: &str) -> String {
        match k.split_once(':') {
            Some((p, rest)) if self.namespaces.contains_key(p) => {
                format!("{{{}}}{rest}", self.namespaces[p])
            }
            _ => k.to_string(),
        }
    }

    /// `prefix:value` -> `namespace` + value, and bare CBV words -> their URI.
    fn text(&self, s: &str) -> String {
        // A vocabulary URI ends in "-word" or "/word"; most values are URIs that cannot.
        let mut matches = self.vocabulary.iter().filter(|x| {
            x.len() > s.len()
                && x.ends_with(s)
                && matches!(x.as_bytes()[x.len() - s.len() - 1], b'-' | b'/')
        });
        if let (Some(only), None) = (matches.next(), matches.next()) {
            return only.clone();
        }
        match s.split_once(':') {
            Some((p, rest)) if self.namespaces.contains_key(p) => {
                format!("{}{rest}", self.namespaces[p])
            }
            _ => s.to_string(),
        }
    }

    fn value(&self, v: &Value) -> Element {
        match v {
            Value::Object(map) => self.object(map),
            Value::Array(items) => Element {
                name: String::new(),
                value: String::new(),
                children: items.iter().map(|i| Node::Element(self.value(i))).collect(),
            },
            Value::String(s) => Element {
                name: String::new(),
                value: self.text(s),
                children: vec![],
            },
            other => Element {
                name: String::new(),
                value: scalar_text(other),
                children: vec![],
            },
        }
    }

    fn object(&self, map: &Map<String, Value>) -> Element {
        let name = match map.get("type") {
            Some(Value::String(s)) => self.text(s),
            Some(other) => scalar_text(other),
            None => String::new(),
        };
        let value = match map.get("#text") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => scalar_text(other),
            None => String::new(),
        };
        let mut children = Vec::new();
        for (k, v) in map {
            if matches!(k.as_str(), "#text" | "rdfs:comment" | "comment") {
                continue;
            }
            let child = self.value(v);
            let key = self.key(k);
            if v.is_array() {
                for el in child.children {
                    if let Node::Element(el) = el {
                        children.push(element(key.clone(), el.value, el.children));
                    }
                }
            } else {
                children.push(element(key, child.value, child.children));
            }
        }
        // Entries of business transaction, source and destination lists keep their order.
        if !["bizTransaction", "source", "destination"]
            .iter()
            .any(|k| map.contains_key(*k))
        {
            children.sort();
        }
        Element {
            name,
            value,
            children,
        }
    }
}

/// How Python's `str()` writes a JSON scalar (the reference reads JSON with Python).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => python_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16.
fn python_float(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "nan".into()
        } else if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f != 0.0 && !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Groups `…List` properties and `childEPCs`, and renames list entries as the XML model
/// names them (`inputEPC` -> `epc`, `inputQuantity` -> `quantityElement`, …).
fn correct(node: Element) -> Node {
    let mut lists: Vec<(String, Vec<Element>)> = Vec::new();
    let mut kept: Vec<Node> = Vec::new();
    let mut child_epcs: Vec<Node> = Vec::new();
    for c in node.children {
        match c {
            Node::Element(e) if e.name.ends_with("List") => {
                let entry = Element {
                    name: e.name[..e.name.len() - 4].to_string(),
                    value: e.value,
                    children: e.children,
                };
                match lists.iter_mut().find(|(n, _)| *n == e.name) {
                    Some((_, v)) => v.push(entry),
                    None => lists.push((e.name, vec![entry])),
                }
            }
            other => kept.push(other),
        }
    }
    for (name, entries) in lists {
        let children = if matches!(
            name.as_str(),
            "sourceList" | "destinationList" | "bizTransactionList"
        ) {
            entries
                .into_iter()
                .map(|e| Node::Entry(e.children.into_iter().take(2).collect()))
                .collect()
        } else {
            entries.into_iter().map(Node::Element).collect()
        };
        kept.push(element(name, "", children));
    }
    kept.retain(|c| match c {
        Node::Element(e) if e.name == "childEPCs" => {
            child_epcs.push(element("epc", e.value.clone(), vec![]));
            false
        }
        _ => true,
    });
    if !child_epcs.is_empty() {
        kept.push(element("childEPCs", "", child_epcs));
    }
    let children: Vec<Node> = kept
        .into_iter()
        .map(|c| match c {
            Node::Element(e)
                if !matches!(
                    e.name.as_str(),
                    "sourceList" | "destinationList" | "bizTransactionList"
                ) =>
            {
                correct(e)
            }
            other => other,
        })
        .collect();
    let name = match node.name.as_str() {
        "inputEPC" | "outputEPC" => "epc".to_string(),
        "inputQuantity" | "outputQuantity" | "childQuantity" => "quantityElement".to_string(),
        "quantity" if !children.is_empty() => "quantityElement".to_string(),
        _ => node.name,
    };
    Node::Element(Element {
        name,
        value: node.value,
        children,
    })
}

/// A property of the canonical order and the order of its own properties.
struct Prop {
    name: &'static str,
    sub: &'static [Prop],
}

const fn leaf(name: &'static str) -> Prop {
    Prop { name, sub: &[] }
}

const QUANTITY: &[Prop] = &[Prop {
    name: "quantityElement",
    sub: &[leaf("epcClass"), leaf("quantity"), leaf("uom")],
}];
const EPC: &[Prop] = &[leaf("epc")];

/// The canonical property order of CBV 2.0 §8.9. Business transactions, sources and
/// destinations are not consumed here: like ILMD and extensions they follow, sorted.
const ORDER: &[Prop] = &[
    leaf("eventTime"),
    leaf("eventTimeZoneOffset"),
    leaf("certificationInfo"),
    leaf("parentID"),
    Prop {
        name: "epcList",
        sub: EPC,
    },
    Prop {
        name: "inputEPCList",
        sub: EPC,
    },
    Prop {
        name: "childEPCs",
        sub: EPC,
    },
    Prop {
        name: "quantityList",
        sub: QUANTITY,
    },
    Prop {
        name: "childQuantityList",
        sub: QUANTITY,
    },
    Prop {
        name: "inputQuantityList",
        sub: QUANTITY,
    },
    Prop {
        name: "outputEPCList",
        sub: EPC,
    },
    Prop {
        name: "outputQuantityList",
        sub: QUANTITY,
    },
    leaf("action"),
    leaf("transformationID"),
    leaf("bizStep"),
    leaf("disposition"),
    Prop {
        name: "persistentDisposition",
        sub: &[leaf("set"), leaf("unset")],
    },
    Prop {
        name: "readPoint",
        sub: &[leaf("id")],
    },
    Prop {
        name: "bizLocation",
        sub: &[leaf("id")],
    },
    Prop {
        name: "sensorElementList",
        sub: &[Prop {
            name: "sensorElement",
            sub: &[
                Prop {
                    name: "sensorMetadata",
                    sub: &[
                        leaf("time"),
                        leaf("startTime"),
                        leaf("endTime"),
                        leaf("deviceID"),
                        leaf("deviceMetadata"),
                        leaf("rawData"),
                        leaf("dataProcessingMethod"),
                        leaf("bizRules"),
                    ],
                },
                Prop {
                    name: "sensorReport",
                    sub: &[
                        leaf("type"),
                        leaf("exception"),
                        leaf("deviceID"),
                        leaf("deviceMetadata"),
                        leaf("rawData"),
                        leaf("dataProcessingMethod"),
                        leaf("time"),
                        leaf("microorganism"),
                        leaf("chemicalSubstance"),
                        leaf("value"),
                        leaf("component"),
                        leaf("stringValue"),
                        leaf("booleanValue"),
                        leaf("hexBinaryValue"),
                        leaf("uriValue"),
                        leaf("minValue"),
                        leaf("maxValue"),
                        leaf("meanValue"),
                        leaf("sDev"),
                        leaf("percRank"),
                        leaf("percValue"),
                        leaf("uom"),
                        leaf("coordinateReferenceSystem"),
                    ],
                },
            ],
        }],
    },
];

/// Consumes the properties named in `order` (each removed once fully used) and writes
/// them; the extensions of a nested element follow its ordered properties.
fn in_order(list: &mut Vec<Node>, order: &[Prop]) -> String {
    let extensions = take_extensions(list);
    let mut out = String::new();
    for prop in order {
        let mut values = Vec::new();
        let mut i = 0;
        while i < list.len() {
            let Node::Element(e) = &mut list[i] else {
                i += 1;
                continue;
            };
            if e.name != prop.name {
                i += 1;
                continue;
            }
            let s = element_text(e, prop.sub);
            if !s.is_empty() {
                values.push(s);
            }
            if e.children.is_empty() {
                list.remove(i);
            } else {
                i += 1;
            }
        }
        values.sort();
        out.push_str(&values.concat());
    }
    if !extensions.is_empty() {
        out.push_str(&rest(&extensions));
    }
    out
}

/// User extensions (`{namespace}name`) of a nested element; the event's own are left for
/// the sorted tail.
fn take_extensions(list: &mut Vec<Node>) -> Vec<Node> {
    if list.len() <= 1
        || list.iter().any(|c| {
            c.name()
                .is_some_and(|n| n.contains("eventTime") || n.contains("action"))
        })
    {
        return Vec::new();
    }
    let is_ext = |c: &Node| {
        c.name()
            .is_some_and(|n| n.contains('{') && n.contains("/}"))
    };
    let out: Vec<Node> = list.iter().filter(|c| is_ext(c)).cloned().collect();
    list.retain(|c| !is_ext(c));
    out
}

fn element_text(e: &mut Element, sub: &[Prop]) -> String {
    let grand = if sub.is_empty() {
        String::new()
    } else {
        in_order(&mut e.children, sub)
    };
    let mut text = String::new();
    if !e.value.is_empty() {
        let t = e.value.trim();
        let lower = e.name.to_lowercase();
        let t = if lower.contains("time") && !lower.contains("offset") {
            utc_millis(t)
        } else {
            canonical_value(t)
        };
        if !t.is_empty() {
            text = format!("={t}");
        }
    }
    if text.is_empty() && grand.is_empty() {
        return String::new();
    }
    format!("{}{text}{grand}", e.name)
}

/// Whatever the canonical order did not consume, each written as name=value and its
/// children, sorted (except the two properties of a list entry).
fn rest(children: &[Node]) -> String {
    let mut values: Vec<String> = children
        .iter()
        .map(|c| match c {
            Node::Entry(parts) => rest(parts),
            Node::Element(e) => {
                let t = e.value.trim();
                let text = if t.is_empty() {
                    String::new()
                } else {
                    format!("={}", canonical_value(t))
                };
                format!("{}{text}{}", e.name, rest(&e.children))
            }
        })
        .collect();
    let keep_order = children
        .iter()
        .any(|c| matches!(c.name(), Some("bizTransaction" | "source" | "destination")));
    if values.len() > 1 && !keep_order {
        values.sort();
    }
    values.concat()
}

/// CBV URNs to web URIs, numbers to their shortest form, GS1 keys to canonical Digital Link.
fn canonical_value(t: &str) -> String {
    let t = web_form_of_urns(t);
    let t = canonical_number(&t).unwrap_or(t);
    identifier::canonical(&t).unwrap_or(t)
}

/// `"10.0"` -> `"10"`, `"1e3"` -> `"1000"`, `"0.50"` -> `"0.5"`; not a number -> `None`.
fn canonical_number(t: &str) -> Option<String> {
    let looks_numeric = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !looks_numeric {
        return None;
    }
    let f: f64 = t.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 {
        let s = format!("{f:.0}");
        return Some(if s == "-0" { "0".into() } else { s });
    }
    Some(python_float(f))
}

/// A timestamp in UTC with milliseconds (`2005-04-04T02:33:31.116Z`); text that is not a
/// timestamp is kept.
fn utc_millis(t: &str) -> String {
    let parsed: Option<DateTime<Utc>> = DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        });
    let Some(d) = parsed else {
        return t.to_string();
    };
    // Microseconds rounded to milliseconds, half to even (as Python's round()).
    let micros = i64::from(d.nanosecond() / 1_000);
    let (q, r) = (micros / 1000, micros % 1000);
    let millis = if r > 500 || (r == 500 && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    let base = d.with_nanosecond(0).unwrap_or(d) + chrono::Duration::milliseconds(millis);
    format!("{}Z", base.format("%Y-%m-%dT%H:%M:%S%.3f"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times() {
        assert_eq!(canonical_number("10.0").as_deref(), Some("10"));
        assert_eq!(canonical_number("1e3").as_deref(), Some("1000"));
        assert_eq!(canonical_number("0.50").as_deref(), Some("0.5"));
        assert_eq!(canonical_number("0.00001").as_deref(), Some("1e-05"));
        assert_eq!(canonical_number("KGM"), None);
        assert_eq!(
            utc_millis("2005-04-03T20:33:31.116000-06:00"),
            "2005-04-04T02:33:31.116Z"
        );
        assert_eq!(
            utc_millis("2013-06-08T14:58:56.5915+02:00"),
            "2013-06-08T12:58:56.592Z"
        );
        assert_eq!(utc_millis("not a time"), "not a time");
        assert_eq!(python_float(500.0), "500.0");
        assert_eq!(python_float(1e16), "1e+16");
    }
}
