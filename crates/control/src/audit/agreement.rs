//! Agreement: the business tables must hold the state the audit trail says they hold.
//! A sealed, checkpointed trail proves what was done; it does not stop someone with write
//! access from changing an application's state in its table, or deleting stored events,
//! without touching the trail. Verification folds the trail into the state each record
//! should have ([`Expected::from_chain`]) and compares it with what the tables hold
//! ([`Observed`], read by the storage adapter): every audited record must be there, as
//! audited, and every record there must be audited.
//!
//! Covered: applications, pre-export notifications, permits (signed content, revocation,
//! quantities drawn, exited and received), organisations, user accounts (name,
//! organisation, role), enterprise licences, and each EPCIS capture's stored events
//! (count, identifiers and content).

use super::AuditEntry;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A permit row as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPermit {
    /// The signed permit (JSON).
    pub signed: Value,
    /// Revoked flag.
    pub revoked: bool,
    /// Quantity drawn by customs declarations (kg).
    pub drawn_kg: f64,
    /// Exit confirmed.
    pub shipped: bool,
    /// Quantity exited (kg).
    pub exited_kg: f64,
    /// Quantity endorsed as received by the importing authority (kg).
    pub received_kg: Option<f64>,
}

/// A user row as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    /// Login name.
    pub username: String,
    /// Organisation id.
    pub org: String,
    /// Role name.
    pub role: String,
}

/// What one capture's stored events add up to ([`EventDigest`]).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CaptureDigest {
    /// Number of events.
    pub events: u64,
    /// SHA-256 (hex) of the event ids, each followed by a newline, in storage order.
    pub ids_sha256: String,
    /// SHA-256 (hex) of each event's id and the SHA-256 of its stored body.
    pub contents_sha256: String,
}

/// The digest of a capture's events, built one event at a time in storage order (the
/// writer when storing, the verifier when reading back).
#[derive(Clone, Default)]
pub struct EventDigest {
    events: u64,
    ids: Sha256,
    contents: Sha256,
}

impl EventDigest {
    /// Add one event: its id and its body exactly as stored.
    pub fn add(&mut self, id: &str, stored_body: &str) {
        self.events += 1;
        self.ids.update(id.as_bytes());
        self.ids.update(b"\n");
        self.contents.update(id.as_bytes());
        self.contents.update(b"\t");
        self.contents
            .update(hex::encode(Sha256::digest(stored_body.as_bytes())).as_bytes());
        self.contents.update(b"\n");
    }

    /// The digest so far.
    pub fn finish(self) -> CaptureDigest {
        CaptureDigest {
            events: self.events,
            ids_sha256: hex::encode(self.ids.finalize()),
            contents_sha256: hex::encode(self.contents.finalize()),
        }
    }
}

/// What the business tables hold, as read by the storage adapter.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Application id -> (state column, body).
    pub applications: BTreeMap<String, (String, Value)>,
    /// Notification id -> (state column, body).
    pub notifications: BTreeMap<String, (String, Value)>,
    /// Permit number -> row.
    pub permits: BTreeMap<String, StoredPermit>,
    /// Organisation id -> body.
    pub organisations: BTreeMap<String, Value>,
    /// User id -> row.
    pub users: BTreeMap<String, StoredUser>,
    /// Enterprise licence id -> body.
    pub licences: BTreeMap<String, Value>,
    /// Capture id -> its stored events' digest.
    pub captures: BTreeMap<String, CaptureDigest>,
}

/// One record that does not agree with the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The record, as the trail names it (e.g. `application/A-1`).
    pub subject: String,
    /// What differs.
    pub what: String,
    /// The last audit entry about it (0 when the trail has none).
    pub seq: u64,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.seq == 0 {
            write!(f, "{}: {}", self.subject, self.what)
        } else {
            write!(
                f,
                "{} (audit entry {}): {}",
                self.subject, self.seq, self.what
            )
        }
    }
}

/// A record's state according to the trail, with the last entry that set it.
#[derive(Clone, Debug, Default)]
struct Folded {
    /// The last full record audited (`after` of a create or change).
    body: Option<Value>,
    /// Fields set by partial changes (`after` objects merged in order).
    fields: serde_json::Map<String, Value>,
    seq: u64,
}

/// The state the trail says each record has.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    applications: BTreeMap<String, Folded>,
    notifications: BTreeMap<String, Folded>,
    permits: BTreeMap<String, Folded>,
    organisations: BTreeMap<String, Folded>,
    users: BTreeMap<String, Folded>,
    licences: BTreeMap<String, Folded>,
    captures: BTreeMap<String, Folded>,
}

impl Expected {
    /// Fold a (verified) chain.
    pub fn from_chain(chain: &[AuditEntry]) -> Expected {
        let mut x = Expected::default();
        for e in chain {
            let Some((kind, id)) = e.subject.split_once('/') else {
                continue;
            };
            let (map, full) = match (kind, e.action.as_str()) {
                ("application", _) => (&mut x.applications, true),
                ("notification", _) => (&mut x.notifications, true),
                ("permit", "permit.issue") => (&mut x.permits, true),
                ("permit", _) => (&mut x.permits, false),
                ("organisation", "organisation.create") => (&mut x.organisations, true),
                ("user", "user.create") => (&mut x.users, false),
                ("licence", "licence.record") => (&mut x.licences, true),
                ("capture", "epcis.capture") => (&mut x.captures, false),
                _ => continue,
            };
            let f = map.entry(id.to_string()).or_default();
            f.seq = e.seq;
            if full {
                f.body = Some(e.after.clone());
            } else if let Value::Object(o) = &e.after {
                for (k, v) in o {
                    f.fields.insert(k.clone(), v.clone());
                }
            }
        }
        x
    }

    /// Every disagreement between the trail and the tables.
    pub fn compare(&self, seen: &Observed) -> Vec<Disagreement> {
        let mut out = Vec::new();
        let mut put =
            |subject: String, what: String, seq: u64| out.push(Disagreement { subject, what, seq });
        for (kind, want, have) in [
            ("application", &self.applications, &seen.applications),
            ("notification", &self.notifications, &seen.notifications),
        ] {
            both_ways(kind, want, have, &mut put, |f, (state, body)| {
                if let Some(differs) = same_body(f, body) {
                    return Some(differs);
                }
                // A notification keeps its state at the top, an application's dossier
                // in its workflow.
                let audited_state = body
                    .get("state")
                    .or_else(|| body.pointer("/workflow/state"))
                    .and_then(Value::as_str);
                match audited_state {
                    Some(s) if s != state => Some(format!(
                        "its state column says {state}, its audited content {s}"
                    )),
                    _ => None,
                }
            });
        }
        both_ways("permit", &self.permits, &seen.permits, &mut put, |f, p| {
            if f.body.as_ref() != Some(&p.signed) {
                return Some("its signed content differs from the permit issued".into());
            }
            let flag = |k: &str| f.fields.get(k).and_then(Value::as_bool).unwrap_or(false);
            let kg = |k: &str| f.fields.get(k).and_then(Value::as_f64);
            let differs = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() > 1e-9 * a.abs().max(1.0),
                (a, b) => a.is_some() != b.is_some(),
            };
            if flag("revoked") != p.revoked {
                return Some(format!(
                    "stored as {}revoked, audited as {}revoked",
                    if p.revoked { "" } else { "not " },
                    if flag("revoked") { "" } else { "not " }
                ));
            }
            if flag("shipped") != p.shipped {
                return Some("its exit confirmation differs from the audited one".into());
            }
            for (name, audited, stored) in [
                ("drawn", kg("drawn_kg").or(Some(0.0)), Some(p.drawn_kg)),
                ("exited", kg("exited_kg").or(Some(0.0)), Some(p.exited_kg)),
                ("received", kg("received_kg"), p.received_kg),
            ] {
                if differs(audited, stored) {
                    return Some(format!(
                        "quantity {name} is stored as {}, audited as {}",
                        show_kg(stored),
                        show_kg(audited)
                    ));
                }
            }
            None
        });
        both_ways(
            "organisation",
            &self.organisations,
            &seen.organisations,
            &mut put,
            same_body,
        );
        both_ways(
            "licence",
            &self.licences,
            &seen.licences,
            &mut put,
            same_body,
        );
        both_ways("user", &self.users, &seen.users, &mut put, |f, u| {
            for (name, stored) in [
                ("username", &u.username),
                ("org", &u.org),
                ("role", &u.role),
            ] {
                let audited = f.fields.get(name).and_then(Value::as_str);
                if audited != Some(stored.as_str()) {
                    return Some(format!(
                        "its {name} is stored as {stored}, audited as {}",
                        audited.unwrap_or("(none)")
                    ));
                }
            }
            None
        });
        // A capture whose events are all gone has no rows to find: compare as zero events.
        let mut captures = seen.captures.clone();
        for id in self.captures.keys() {
            captures.entry(id.clone()).or_default();
        }
        both_ways("capture", &self.captures, &captures, &mut put, |f, d| {
            let n = f.fields.get("events").and_then(Value::as_u64).unwrap_or(0);
            if n != d.events {
                return Some(format!(
                    "{} of its events are stored, {n} were captured",
                    d.events
                ));
            }
            let ids = f.fields.get("eventIDsSha256").and_then(Value::as_str);
            if n > 0 && ids.is_some_and(|h| h != d.ids_sha256) {
                return Some("its stored events are not the events captured".into());
            }
            let contents = f.fields.get("eventsSha256").and_then(Value::as_str);
            if n > 0 && contents.is_some_and(|h| h != d.contents_sha256) {
                return Some("the content of its stored events was changed".into());
            }
            None
        });
        out
    }
}

/// Compare one kind both ways: audited but missing, stored but never audited, and each
/// pair by `check`.
fn both_ways<T>(
    kind: &str,
    want: &BTreeMap<String, Folded>,
    have: &BTreeMap<String, T>,
    put: &mut impl FnMut(String, String, u64),
    check: impl Fn(&Folded, &T) -> Option<String>,
) {
    for (id, f) in want {
        match have.get(id) {
            None => put(
                format!("{kind}/{id}"),
                "audited but not in its table (deleted)".into(),
                f.seq,
            ),
            Some(t) => {
                if let Some(what) = check(f, t) {
                    put(format!("{kind}/{id}"), what, f.seq)
                }
            }
        }
    }
    for id in have.keys().filter(|id| !want.contains_key(*id)) {
        put(
            format!("{kind}/{id}"),
            "in its table but never audited (inserted outside FentGuard)".into(),
            0,
        );
    }
}

/// A record kept whole: its stored body must be the last one audited.
fn same_body(f: &Folded, body: &Value) -> Option<String> {
    (f.body.as_ref() != Some(body))
        .then(|| "its stored content differs from the audited content".into())
}

fn show_kg(v: Option<f64>) -> String {
    v.map_or("none".into(), |v| format!("{v} kg"))
}
