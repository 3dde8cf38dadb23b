//! What a traceability event means for a controlled substance, and the rules checked on
//! every event, as data per jurisdiction (`data/tracking/CN.json`): which business step
//! is production, sale, transport, receipt, dispensing, destruction or a physical count;
//! which licence the actor or the buyer must hold, which permit the event must name, and
//! how soon it must be reported. Also the running inventory a ledger of movements gives.
//!
//! Plain types: the caller (the server) says who the actor and the buyer are, which
//! licences they hold and which class the substance is in on the day.

use crate::identity::EnterpriseLicence;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

const CN: &str = include_str!("../../../data/tracking/CN.json");

/// What an event means for the substance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Made (a lot comes into being).
    Production,
    /// Sent out without a change of owner.
    Dispatch,
    /// Sent out to another owner.
    Sale,
    /// Taken in.
    Receipt,
    /// Carried (custody changes, ownership does not).
    Transport,
    /// Given out to a patient.
    Dispensing,
    /// Destroyed.
    Destruction,
    /// Counted on the shelf.
    PhysicalInventory,
    /// Seen; nothing moves.
    Observation,
}

/// What a rule requires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// The enterprise that reports the event holds an active licence of this kind.
    ActorLicence(String),
    /// The buyer (the destination owning party) holds an active licence of this kind.
    BuyerLicence(String),
    /// The event names a business transaction of this type (e.g. a transport permit).
    BusinessTransaction(String),
    /// The event is reported within this many days of happening.
    ReportedWithinDays(i64),
}

/// Refuse the event, or store it with the breach and raise an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBreach {
    /// Refused at capture.
    Block,
    /// Stored, with an alert.
    Flag,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id, e.g. `CN-PC1-SALE-APPROVAL`.
    pub id: String,
    /// Substance classes it applies to (`I`, `II`, `III`, `medicine`).
    pub classes: Vec<String>,
    /// Movements it applies to.
    pub movements: Vec<Movement>,
    /// What it requires.
    pub requires: Requirement,
    /// What a breach does.
    pub on_breach: OnBreach,
    /// The rule in words.
    pub text: String,
    /// Where it comes from.
    pub source: String,
}

/// A jurisdiction's tracking rules.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrackingRules {
    /// ISO country code.
    pub jurisdiction: String,
    /// CBV business step (bare word) -> movement.
    pub meanings: BTreeMap<String, Movement>,
    /// UN/CEFACT mass unit -> kilograms.
    pub mass_units_kg: BTreeMap<String, f64>,
    /// The rules.
    pub rules: Vec<Rule>,
    /// What is FentGuard's default rather than law.
    #[serde(default)]
    pub unconfirmed: String,
}

/// The rules could not be loaded.
#[derive(Debug, Error)]
#[error("tracking rules: {0}")]
pub struct TrackingRulesError(String);

impl TrackingRules {
    /// The rules shipped for a jurisdiction.
    pub fn builtin(jurisdiction: &str) -> Result<TrackingRules, TrackingRulesError> {
        match jurisdiction {
            "CN" => TrackingRules::from_json(CN),
            other => Err(TrackingRulesError(format!(
                "no tracking rules on file for {other}"
            ))),
        }
    }

    /// Reads rules from JSON.
    pub fn from_json(text: &str) -> Result<TrackingRules, TrackingRulesError> {
        let r: TrackingRules =
            serde_json::from_str(text).map_err(|e| TrackingRulesError(e.to_string()))?;
        if let Some(bad) = r.rules.iter().find(|x| x.movements.is_empty()) {
            return Err(TrackingRulesError(format!(
                "rule {} applies to no movement",
                bad.id
            )));
        }
        Ok(r)
    }

    /// What a business step (bare CBV word) means; `Sale` when a dispatch changes owner.
    pub fn movement(&self, biz_step: &str, changes_owner: bool) -> Option<Movement> {
        let m = *self.meanings.get(biz_step)?;
        Some(if m == Movement::Dispatch && changes_owner {
            Movement::Sale
        } else {
            m
        })
    }

    /// Kilograms in `quantity` of `unit`, or `None` for a unit that is not a mass.
    pub fn kilograms(&self, quantity: f64, unit: &str) -> Option<f64> {
        self.mass_units_kg.get(unit).map(|f| quantity * f)
    }

    /// Every rule the event breaks, with the reason in words.
    pub fn check(&self, e: &EventFacts) -> Vec<Breach> {
        let mut out = Vec::new();
        let Some(class) = &e.class else {
            return out;
        };
        let day = e.event_time.date_naive();
        let subs = std::slice::from_ref(&e.substance_id);
        for r in &self.rules {
            if !r.classes.contains(class) || !r.movements.contains(&e.movement) {
                continue;
            }
            let broken = match &r.requires {
                Requirement::ActorLicence(kind) => {
                    (!e.actor_licences.iter().any(|l| l.covers(kind, subs, day))).then(|| {
                        format!("{} holds no valid {kind} for {}", e.actor, e.substance_name)
                    })
                }
                Requirement::BuyerLicence(kind) => match &e.buyer {
                    None => Some(format!(
                        "the buyer is not named, so its {kind} cannot be checked"
                    )),
                    Some(b) => {
                        (!e.buyer_licences.iter().any(|l| l.covers(kind, subs, day))).then(|| {
                            format!(
                                "the buyer {b} holds no valid {kind} for {}",
                                e.substance_name
                            )
                        })
                    }
                },
                Requirement::BusinessTransaction(t) => (!e.business_transaction_types.contains(t))
                    .then(|| format!("the event names no business transaction of type {t}")),
                Requirement::ReportedWithinDays(days) => {
                    let late = (e.record_time - e.event_time).num_days();
                    (late > *days).then(|| {
                        format!("reported {late} days after it happened; the limit is {days}")
                    })
                }
            };
            if let Some(why) = broken {
                out.push(Breach {
                    rule: r.id.clone(),
                    blocked: r.on_breach == OnBreach::Block,
                    reason: format!("{}: {why}", r.text),
                    source: r.source.clone(),
                });
            }
        }
        out
    }
}

/// The facts of one event a rule needs.
#[derive(Clone, Debug)]
pub struct EventFacts {
    /// What it means.
    pub movement: Movement,
    /// The substance's class on the event's day (`None`: not controlled; no rule applies).
    pub class: Option<String>,
    /// Catalogue id of the substance.
    pub substance_id: String,
    /// Its name, for the reasons.
    pub substance_name: String,
    /// The reporting enterprise.
    pub actor: String,
    /// Its licences.
    pub actor_licences: Vec<EnterpriseLicence>,
    /// The buyer (destination owning party), when there is one.
    pub buyer: Option<String>,
    /// The buyer's licences.
    pub buyer_licences: Vec<EnterpriseLicence>,
    /// Types of the business transactions the event names.
    pub business_transaction_types: Vec<String>,
    /// When it happened.
    pub event_time: DateTime<Utc>,
    /// When it was reported.
    pub record_time: DateTime<Utc>,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// Rule id.
    pub rule: String,
    /// Whether the event is refused.
    pub blocked: bool,
    /// The rule and what is missing, in words.
    pub reason: String,
    /// Where the rule comes from.
    pub source: String,
}

/// Where a quantity is: holder, site and lot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    /// Holding organisation.
    pub holder: String,
    /// Site (business location).
    pub site: String,
    /// Lot (EPC class).
    pub lot: String,
}

/// A difference between the book and the shelf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discrepancy {
    /// Where.
    pub place: Place,
    /// What the book says (kg).
    pub book_kg: f64,
    /// What was counted (kg).
    pub counted_kg: f64,
}

/// Running balances per holder, site and lot, in kilograms, from movements.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Inventory {
    balances: BTreeMap<Place, f64>,
}

impl Inventory {
    /// An empty book.
    pub fn new() -> Inventory {
        Inventory::default()
    }

    /// Apply a movement of `kg` at `place`: production and receipt add; dispatch, sale,
    /// dispensing and destruction take away; a physical count is compared, not applied
    /// (see [`Inventory::count`]); observation and transport change nothing here.
    pub fn apply(&mut self, movement: Movement, place: &Place, kg: f64) {
        let sign = match movement {
            Movement::Production | Movement::Receipt => 1.0,
            Movement::Dispatch | Movement::Sale | Movement::Dispensing | Movement::Destruction => {
                -1.0
            }
            Movement::Transport | Movement::Observation | Movement::PhysicalInventory => 0.0,
        };
        if sign != 0.0 {
            *self.balances.entry(place.clone()).or_insert(0.0) += sign * kg;
        }
    }

    /// The book balance at a place.
    pub fn balance(&self, place: &Place) -> f64 {
        self.balances.get(place).copied().unwrap_or(0.0)
    }

    /// Compare a physical count with the book; a difference beyond `tolerance_kg` is a
    /// discrepancy. The book then follows the count.
    pub fn count(
        &mut self,
        place: &Place,
        counted_kg: f64,
        tolerance_kg: f64,
    ) -> Option<Discrepancy> {
        let book = self.balance(place);
        self.balances.insert(place.clone(), counted_kg);
        ((book - counted_kg).abs() > tolerance_kg).then(|| Discrepancy {
            place: place.clone(),
            book_kg: book,
            counted_kg,
        })
    }

    /// Places whose balance went below zero (more left than ever came in: an unreported
    /// production or receipt, or a false report).
    pub fn negative(&self) -> Vec<(Place, f64)> {
        self.balances
            .iter()
            .filter(|(_, kg)| **kg < -1e-9)
            .map(|(p, kg)| (p.clone(), *kg))
            .collect()
    }

    /// All balances.
    pub fn balances(&self) -> impl Iterator<Item = (&Place, &f64)> {
        self.balances.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::LicenceStatus;
    use chrono::{Duration, NaiveDate, TimeZone};

    fn licence(holder: &str, kind: &str) -> EnterpriseLicence {
        EnterpriseLicence {
            id: format!("{holder}-{kind}"),
            holder: holder.into(),
            kind: kind.into(),
            scope: vec![],
            valid_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            valid_until: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap_or_default(),
            status: LicenceStatus::Active,
            issuer: "cn-em".into(),
        }
    }

    fn facts(movement: Movement, class: &str) -> EventFacts {
        let t = Utc
            .with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
            .single()
            .unwrap_or_default();
        EventFacts {
            movement,
            class: Some(class.into()),
            substance_id: "npp".into(),
            substance_name: "NPP".into(),
            actor: "cn-exporter".into(),
            actor_licences: vec![],
            buyer: Some("cn-buyer".into()),
            buyer_licences: vec![],
            business_transaction_types: vec![],
            event_time: t,
            record_time: t + Duration::days(1),
        }
    }

    fn ids(b: &[Breach]) -> Vec<&str> {
        b.iter().map(|x| x.rule.as_str()).collect()
    }

    #[test]
    fn class_one_sale_needs_approval_permit_and_transport_permit() {
        let r = TrackingRules::builtin("CN").expect("rules");
        assert_eq!(r.movement("shipping", true), Some(Movement::Sale));
        assert_eq!(r.movement("shipping", false), Some(Movement::Dispatch));
        assert_eq!(r.movement("inventing", false), None);
        let mut f = facts(Movement::Sale, "I");
        let b = r.check(&f);
        assert_eq!(
            ids(&b),
            [
                "CN-PC1-SALE-APPROVAL",
                "CN-PC1-PURCHASE-PERMIT",
                "CN-PC1-TRANSPORT-PERMIT"
            ]
        );
        assert!(b.iter().all(|x| x.blocked));
        assert!(b[1].reason.contains("cn-buyer"), "{}", b[1].reason);
        // with the approvals and the permit named, the sale is clean
        f.actor_licences = vec![licence("cn-exporter", "precursor_class1_sale_approval")];
        f.buyer_licences = vec![licence("cn-buyer", "precursor_class1_purchase_permit")];
        f.business_transaction_types = vec!["https://ns.fentguard.org/btt/transport_permit".into()];
        assert!(r.check(&f).is_empty(), "{:?}", r.check(&f));
        // a revoked approval counts for nothing
        f.actor_licences[0].status = LicenceStatus::Revoked;
        assert_eq!(ids(&r.check(&f)), ["CN-PC1-SALE-APPROVAL"]);
        // late filing of a Class I sale is flagged, not blocked
        f.actor_licences[0].status = LicenceStatus::Active;
        f.record_time = f.event_time + Duration::days(6);
        let b = r.check(&f);
        assert_eq!(ids(&b), ["CN-PC1-SALE-REPORT-5D"]);
        assert!(!b[0].blocked);
    }

    #[test]
    fn class_two_reports_within_thirty_days_and_uncontrolled_is_free() {
        let r = TrackingRules::builtin("CN").expect("rules");
        let mut f = facts(Movement::Production, "II");
        assert!(r.check(&f).is_empty());
        f.record_time = f.event_time + Duration::days(31);
        let b = r.check(&f);
        assert_eq!(ids(&b), ["CN-PC2-REPORT-30D"]);
        assert!(b[0].reason.contains("31 days"), "{}", b[0].reason);
        f.class = None;
        assert!(r.check(&f).is_empty());
        let p = facts(Movement::Production, "I");
        assert_eq!(ids(&r.check(&p)), ["CN-PC1-PRODUCTION-APPROVAL"]);
    }

    #[test]
    fn units_and_bad_rules() {
        let r = TrackingRules::builtin("CN").expect("rules");
        assert_eq!(r.kilograms(2500.0, "GRM"), Some(2.5));
        assert_eq!(r.kilograms(1.0, "LTR"), None);
        assert!(TrackingRules::builtin("XX").is_err());
        assert!(TrackingRules::from_json("{").is_err());
    }

    #[test]
    fn inventory_follows_movements_and_counts() {
        let here = Place {
            holder: "cn-exporter".into(),
            site: "https://id.gs1.org/414/6901234000011".into(),
            lot: "https://id.gs1.org/01/06901234123459/10/NPP-1".into(),
        };
        let mut inv = Inventory::new();
        inv.apply(Movement::Production, &here, 25.0);
        inv.apply(Movement::Sale, &here, 10.0);
        inv.apply(Movement::Observation, &here, 99.0);
        assert_eq!(inv.balance(&here), 15.0);
        let d = inv.count(&here, 14.0, 0.01).expect("a kilogram is missing");
        assert_eq!((d.book_kg, d.counted_kg), (15.0, 14.0));
        assert_eq!(inv.balance(&here), 14.0);
        assert!(inv.count(&here, 14.005, 0.01).is_none());
        inv.apply(Movement::Sale, &here, 20.0);
        assert_eq!(inv.negative().len(), 1);
    }
}
