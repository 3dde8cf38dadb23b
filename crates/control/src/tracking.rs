//! What a traceability event means for a controlled substance, and the rules checked on
//! every event, as data per jurisdiction (`data/tracking/CN.json`): which business step
//! is production, sale, transport, receipt, dispensing, destruction or a physical count;
//! which licence the actor or the buyer must hold, which permit the event must name, and
//! how soon it must be reported. Also what each movement does to the holder's book.
//!
//! Plain types: the caller (the server) says who the actor and the buyer are, which
//! licences they hold and which class the substance is in on the day.

use crate::identity::EnterpriseLicence;
use chrono::{DateTime, NaiveDate, Utc};
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
    /// Sold over the counter to the public.
    RetailSale,
    /// A used package handed back by the patient.
    PackageReturn,
    /// Consumed (inputs) or made (outputs) by a transformation.
    Transformation,
    /// Sent abroad under an export permit named on the event.
    Export,
    /// Received from abroad under an import permit named on the event.
    Import,
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
    /// Production stays within the actor's annual production plan (kg of base).
    WithinAnnualQuota,
    /// Seller and buyer are next to each other on the channel (see [`Channel`]).
    Channel,
    /// The event names a pseudonymised patient (see [`PatientRule`]).
    PseudonymisedPatient,
    /// The patient has returned every package dispensed before.
    PackagesReturned,
    /// The event names an export permit of the actor that is in force on the day and
    /// covers the substance.
    ValidExportPermit,
    /// The movement is not allowed at all for the class.
    Never,
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
    /// Which list category puts a substance in which tracking class.
    #[serde(default)]
    pub classes: Vec<ClassFromList>,
    /// The approved distribution channel for medicines.
    #[serde(default)]
    pub channel: Channel,
    /// How dispensing names the patient.
    #[serde(default)]
    pub patient: PatientRule,
    /// Periodic reporting duties (the deadline list).
    #[serde(default)]
    pub reporting_duties: Vec<ReportingDuty>,
    /// Days within which a shipment must be received before it counts as a gap.
    #[serde(default = "default_receipt_days")]
    pub receipt_within_days: i64,
    /// Business transaction type that names an export permit (a sale or dispatch naming
    /// one is an export).
    #[serde(default)]
    pub export_permit_type: String,
    /// Business transaction type that names an import permit (a receipt naming one is an
    /// import).
    #[serde(default)]
    pub import_permit_type: String,
    /// Difference between book and count (kg) below which no discrepancy is raised.
    #[serde(default)]
    pub count_tolerance_kg: f64,
    /// What is FentGuard's default rather than law.
    #[serde(default)]
    pub unconfirmed: String,
}

fn category_matches(category: &str, wanted: &str) -> bool {
    wanted.is_empty()
        || category
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '(', ';', ',']))
}

/// Active and within its dates, whatever its scope.
fn in_force(l: &EnterpriseLicence, day: NaiveDate) -> bool {
    l.status == crate::identity::LicenceStatus::Active
        && l.valid_from <= day
        && day <= l.valid_until
}

fn default_receipt_days() -> i64 {
    7
}

/// A list category that puts a substance in a tracking class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassFromList {
    /// List id (`CN-PRECURSORS`).
    pub list: String,
    /// Category on that list (`Class I`); empty for any category. A category such as
    /// `Class I (class unconfirmed)` matches `Class I`, and `Class II` does not.
    #[serde(default)]
    pub category: String,
    /// The tracking class (`I`, `II`, `III`, `narcotic`).
    pub class: String,
}

/// The approved channel: which licence makes an organisation which tier, and which
/// tier may supply which.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Licence kind -> tier.
    pub tiers: BTreeMap<String, String>,
    /// Allowed steps.
    pub allowed: Vec<ChannelStep>,
}

/// One allowed step of the channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelStep {
    /// Supplying tier.
    pub from: String,
    /// Receiving tier.
    pub to: String,
    /// Both in the same province.
    #[serde(default)]
    pub same_province: bool,
}

/// How a dispensing event names the patient: a destination of this type whose id is the
/// prefix followed by a hex digest (a keyed hash the institution computes; FentGuard never
/// sees who the patient is).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientRule {
    /// Destination type.
    pub destination_type: String,
    /// Id prefix.
    pub id_prefix: String,
    /// Fewest hex digits after the prefix.
    pub min_hex_digits: usize,
}

impl PatientRule {
    /// Whether `id` is a pseudonym of the required form.
    pub fn is_pseudonym(&self, id: &str) -> bool {
        id.strip_prefix(&self.id_prefix).is_some_and(|h| {
            h.len() >= self.min_hex_digits.max(1)
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

/// A duty to report periodically (e.g. Class II producers and traders within 30 days).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportingDuty {
    /// Stable id.
    pub id: String,
    /// Holders of any of these licence kinds have the duty.
    pub licence_kinds: Vec<String>,
    /// A report is due this many days after the last one (or after the licence starts).
    pub every_days: i64,
    /// The duty in words.
    pub text: String,
    /// Where it comes from.
    pub source: String,
}

/// A reporting deadline of one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadline {
    /// Duty id.
    pub duty: String,
    /// The enterprise.
    pub enterprise: String,
    /// When the report is due.
    pub due: DateTime<Utc>,
    /// Days past due (0 when not yet due).
    pub overdue_days: i64,
    /// When it last reported, if ever.
    pub last_report: Option<DateTime<Utc>>,
    /// The duty in words.
    pub text: String,
    /// Where it comes from.
    pub source: String,
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
        let tiers: Vec<&String> = r.channel.tiers.values().collect();
        if let Some(s) = r
            .channel
            .allowed
            .iter()
            .find(|s| !tiers.contains(&&s.from) || !tiers.contains(&&s.to))
        {
            return Err(TrackingRulesError(format!(
                "channel step {} -> {} names a tier no licence gives",
                s.from, s.to
            )));
        }
        Ok(r)
    }

    /// The tracking class a substance is in, from its listings in force on the day
    /// (list id, category); the first matching entry of `classes` wins.
    pub fn class_of<'a>(
        &self,
        listings: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Option<String> {
        self.classes.iter().find_map(|c| {
            listings
                .clone()
                .into_iter()
                .any(|(list, category)| list == c.list && category_matches(category, &c.category))
                .then(|| c.class.clone())
        })
    }

    /// The channel tiers the licences give on the day.
    pub fn tiers_of<'a>(
        &'a self,
        licences: &'a [EnterpriseLicence],
        substance_id: &'a str,
        day: NaiveDate,
    ) -> impl Iterator<Item = &'a str> + 'a {
        licences.iter().filter_map(move |l| {
            let tier = self.channel.tiers.get(&l.kind)?;
            l.covers(&l.kind, &[substance_id.to_string()], day)
                .then_some(tier.as_str())
        })
    }

    /// Reporting deadlines of an enterprise holding `licences`, given when it last
    /// reported, as of `now`.
    pub fn deadlines(
        &self,
        enterprise: &str,
        licences: &[EnterpriseLicence],
        last_report: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<Deadline> {
        let day = now.date_naive();
        self.reporting_duties
            .iter()
            .filter_map(|d| {
                let since = licences
                    .iter()
                    .filter(|l| d.licence_kinds.contains(&l.kind) && in_force(l, day))
                    .map(|l| l.valid_from)
                    .min()?;
                let start = since.and_hms_opt(0, 0, 0)?.and_utc();
                let from = last_report.map_or(start, |r| r.max(start));
                let due = from + chrono::Duration::days(d.every_days);
                Some(Deadline {
                    duty: d.id.clone(),
                    enterprise: enterprise.to_string(),
                    due,
                    overdue_days: (now - due).num_days().max(0),
                    last_report,
                    text: d.text.clone(),
                    source: d.source.clone(),
                })
            })
            .collect()
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
                Requirement::WithinAnnualQuota => match e.quota_kg {
                    None => Some(format!(
                        "{} has no production plan for {} in {} on file",
                        e.actor,
                        e.substance_name,
                        e.event_time.format("%Y")
                    )),
                    Some(q) => {
                        let total = e.produced_before_kg + e.base_kg;
                        (total > q + 1e-9).then(|| {
                            format!(
                                "{} would have produced {total:.3} kg of base of {} in {}, over its plan of {q:.3} kg",
                                e.actor,
                                e.substance_name,
                                e.event_time.format("%Y")
                            )
                        })
                    }
                },
                Requirement::Channel => self.channel_breach(e, day),
                Requirement::PseudonymisedPatient => match &e.patient {
                    None => Some(format!(
                        "the event names no patient (a destination of type {})",
                        self.patient.destination_type
                    )),
                    Some(p) if !self.patient.is_pseudonym(p) => Some(format!(
                        "the patient identifier is not a pseudonym of the form {}<{} or more hex digits>",
                        self.patient.id_prefix, self.patient.min_hex_digits
                    )),
                    Some(_) => None,
                },
                Requirement::PackagesReturned => (!e.outstanding_packages.is_empty()).then(|| {
                    format!(
                        "the patient has not returned the used package(s) {}",
                        e.outstanding_packages.join(", ")
                    )
                }),
                Requirement::ValidExportPermit => match &e.export_permit {
                    None => Some(format!(
                        "the event names no export permit (a business transaction of type {})",
                        self.export_permit_type
                    )),
                    Some(Err(why)) => Some(why.clone()),
                    Some(Ok(_)) => None,
                },
                Requirement::Never => Some(format!("{:?} is not allowed", e.movement)),
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

impl TrackingRules {
    fn channel_breach(&self, e: &EventFacts, day: NaiveDate) -> Option<String> {
        let Some(buyer) = &e.buyer else {
            return Some("the buyer is not named, so the channel cannot be checked".into());
        };
        let from: Vec<&str> = self
            .tiers_of(&e.actor_licences, &e.substance_id, day)
            .collect();
        let to: Vec<&str> = self
            .tiers_of(&e.buyer_licences, &e.substance_id, day)
            .collect();
        let fits = self.channel.allowed.iter().any(|s| {
            from.contains(&s.from.as_str())
                && to.contains(&s.to.as_str())
                && (!s.same_province
                    || (e.actor_province.is_some() && e.actor_province == e.buyer_province))
        });
        if fits {
            return None;
        }
        let tiers = |t: &[&str]| {
            if t.is_empty() {
                "no tier of the channel".to_string()
            } else {
                t.join(", ")
            }
        };
        let steps: Vec<String> = self
            .channel
            .allowed
            .iter()
            .map(|s| {
                format!(
                    "{} -> {}{}",
                    s.from,
                    s.to,
                    if s.same_province {
                        " (same province)"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        Some(format!(
            "{} ({}, province {}) may not supply {buyer} ({}, province {}); allowed: {}",
            e.actor,
            tiers(&from),
            e.actor_province.as_deref().unwrap_or("unknown"),
            tiers(&to),
            e.buyer_province.as_deref().unwrap_or("unknown"),
            steps.join("; ")
        ))
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
    /// Base-equivalent mass the event moves (kg).
    pub base_kg: f64,
    /// The actor's production plan for the substance in the event's year (kg of base).
    pub quota_kg: Option<f64>,
    /// What the actor produced of it earlier that year (kg of base).
    pub produced_before_kg: f64,
    /// The actor's province (for the channel).
    pub actor_province: Option<String>,
    /// The buyer's province.
    pub buyer_province: Option<String>,
    /// The patient's pseudonym (dispensing).
    pub patient: Option<String>,
    /// Packages dispensed earlier to the patient and not yet returned.
    pub outstanding_packages: Vec<String>,
    /// The export permit the event names: its number when it is the actor's, in force
    /// and for the substance; otherwise why not. `None`: none named.
    pub export_permit: Option<Result<String, String>>,
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

impl Movement {
    /// What the movement does to the book of the holder that reports it: `1.0` adds,
    /// `-1.0` takes away, `0.0` leaves it (a physical count is compared with the book, not
    /// added to it; a transformation's inputs and outputs carry their own signs).
    pub fn stock_sign(self) -> f64 {
        match self {
            Movement::Production | Movement::Receipt | Movement::Import => 1.0,
            Movement::Dispatch
            | Movement::Sale
            | Movement::Dispensing
            | Movement::Destruction
            | Movement::RetailSale
            | Movement::Export => -1.0,
            Movement::Transport
            | Movement::Observation
            | Movement::PhysicalInventory
            | Movement::PackageReturn
            | Movement::Transformation => 0.0,
        }
    }
}

/// A physical count against the book: `counted - book` (kg) when the two differ by more
/// than `tolerance_kg`, else `None`. The book then follows the count.
pub fn count_difference(book_kg: f64, counted_kg: f64, tolerance_kg: f64) -> Option<f64> {
    ((counted_kg - book_kg).abs() > tolerance_kg).then_some(counted_kg - book_kg)
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
            base_kg: 1.0,
            quota_kg: None,
            produced_before_kg: 0.0,
            actor_province: None,
            buyer_province: None,
            patient: None,
            outstanding_packages: vec![],
            export_permit: None,
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
    fn classes_come_from_listings_in_force() {
        let r = TrackingRules::builtin("CN").expect("rules");
        let npp = [("CN-PRECURSORS", "Class I (class unconfirmed)")];
        assert_eq!(r.class_of(npp.iter().copied()).as_deref(), Some("I"));
        let ap = [("UN-TABLE-I", "Table I"), ("CN-PRECURSORS", "Class II")];
        assert_eq!(r.class_of(ap.iter().copied()).as_deref(), Some("II"));
        let f = [("CN-NARCOTICS", "narcotic drug")];
        assert_eq!(r.class_of(f.iter().copied()).as_deref(), Some("narcotic"));
        let none: [(&str, &str); 1] = [("US-LIST-I", "List I")];
        assert_eq!(r.class_of(none.iter().copied()), None);
    }

    #[test]
    fn medicines_follow_plan_channel_and_prescription() {
        let r = TrackingRules::builtin("CN").expect("rules");
        // production: approved manufacturer, within the plan
        let mut p = facts(Movement::Production, "narcotic");
        assert_eq!(
            ids(&r.check(&p)),
            ["CN-MED-MANUFACTURER", "CN-MED-PLAN"],
            "no approval and no plan"
        );
        p.actor_licences = vec![licence(
            "cn-exporter",
            "narcotic_medicine_manufacturing_approval",
        )];
        p.quota_kg = Some(10.0);
        p.produced_before_kg = 8.5;
        p.base_kg = 1.5;
        assert!(r.check(&p).is_empty(), "{:?}", r.check(&p));
        p.base_kg = 1.6;
        let b = r.check(&p);
        assert_eq!(ids(&b), ["CN-MED-PLAN"]);
        assert!(b[0].reason.contains("10.100 kg"), "{}", b[0].reason);
        // channel: manufacturer -> national -> regional (same province) -> hospital
        let mut s = facts(Movement::Sale, "narcotic");
        s.actor_licences = vec![licence("m", "narcotic_medicine_manufacturing_approval")];
        s.buyer_licences = vec![licence("n", "narcotic_national_wholesale_approval")];
        assert!(r.check(&s).is_empty());
        s.buyer_licences = vec![licence("h", "narcotic_purchase_seal_card")];
        let b = r.check(&s);
        assert_eq!(ids(&b), ["CN-MED-CHANNEL"]);
        assert!(b[0].reason.contains("manufacturer"), "{}", b[0].reason);
        s.actor_licences = vec![licence("w", "narcotic_regional_wholesale_approval")];
        s.actor_province = Some("Hebei".into());
        s.buyer_province = Some("Hebei".into());
        assert!(r.check(&s).is_empty());
        s.buyer_province = Some("Shanxi".into());
        assert_eq!(ids(&r.check(&s)), ["CN-MED-CHANNEL"]);
        assert_eq!(
            ids(&r.check(&facts(Movement::RetailSale, "narcotic"))),
            ["CN-MED-NO-RETAIL"]
        );
        // dispensing: seal card, prescription, pseudonym, packages returned
        let mut d = facts(Movement::Dispensing, "narcotic");
        assert_eq!(
            ids(&r.check(&d)),
            ["CN-MED-DISPENSER", "CN-MED-PRESCRIPTION", "CN-MED-PATIENT"]
        );
        d.actor_licences = vec![licence("h", "narcotic_purchase_seal_card")];
        d.business_transaction_types = vec!["https://ns.fentguard.org/btt/prescription".into()];
        d.patient = Some("urn:fentguard:patient:Zhang San".into());
        assert_eq!(ids(&r.check(&d)), ["CN-MED-PATIENT"]);
        d.patient = Some(format!("urn:fentguard:patient:{}", "ab12".repeat(8)));
        assert!(r.check(&d).is_empty());
        d.outstanding_packages = vec!["https://id.gs1.org/01/06901234000012/21/7".into()];
        let b = r.check(&d);
        assert_eq!(ids(&b), ["CN-MED-PACKAGE-RETURN"]);
        assert!(b[0].reason.contains("/21/7"), "{}", b[0].reason);
    }

    #[test]
    fn exports_need_a_valid_permit_of_the_exporter() {
        let r = TrackingRules::builtin("CN").expect("rules");
        let mut f = facts(Movement::Export, "I");
        f.business_transaction_types = vec!["https://ns.fentguard.org/btt/transport_permit".into()];
        let b = r.check(&f);
        assert_eq!(ids(&b), ["CN-EXPORT-PERMIT"]);
        assert!(
            b[0].reason.contains("names no export permit"),
            "{}",
            b[0].reason
        );
        f.export_permit = Some(Err("permit CN-X-1 is revoked".into()));
        assert!(r.check(&f)[0].reason.contains("revoked"));
        f.export_permit = Some(Ok("CN-X-1".into()));
        assert!(r.check(&f).is_empty());
        // a narcotic medicine leaves the country only under a permit too
        let mut m = facts(Movement::Export, "narcotic");
        assert_eq!(ids(&r.check(&m)), ["CN-EXPORT-PERMIT"]);
        m.export_permit = Some(Ok("CN-NEP-1".into()));
        assert!(r.check(&m).is_empty());
    }

    #[test]
    fn class_two_holders_have_a_thirty_day_deadline() {
        let r = TrackingRules::builtin("CN").expect("rules");
        let at = |m, d| {
            Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0)
                .single()
                .unwrap_or_default()
        };
        let l = vec![licence("cn-trader", "precursor_class2_trade_filing")];
        let d = r.deadlines("cn-trader", &l, Some(at(3, 1)), at(3, 20));
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].due, d[0].overdue_days), (at(3, 31), 0));
        let d = r.deadlines("cn-trader", &l, Some(at(3, 1)), at(4, 10));
        assert_eq!(d[0].overdue_days, 10);
        // never reported: due 30 days after the licence started
        let d = r.deadlines("cn-trader", &l, None, at(4, 10));
        let licence_start_plus_30 = Utc
            .with_ymd_and_hms(2025, 1, 31, 0, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(d[0].due, licence_start_plus_30);
        assert!(d[0].overdue_days > 400);
        // no such licence, no duty
        assert!(r
            .deadlines(
                "x",
                &[licence("x", "precursor_class1_sale_approval")],
                None,
                at(4, 10)
            )
            .is_empty());
    }

    #[test]
    fn movements_move_the_book_and_counts_are_compared() {
        let mut book = 0.0;
        for (m, kg) in [
            (Movement::Production, 25.0),
            (Movement::Sale, 10.0),
            (Movement::Observation, 99.0),
        ] {
            book += m.stock_sign() * kg;
        }
        assert_eq!(book, 15.0);
        assert_eq!(
            count_difference(book, 14.0, 0.01),
            Some(-1.0),
            "a kilogram is missing"
        );
        assert_eq!(count_difference(14.0, 14.005, 0.01), None);
        assert_eq!(Movement::PhysicalInventory.stock_sign(), 0.0);
        assert_eq!(Movement::Export.stock_sign(), -1.0);
        assert_eq!(Movement::Import.stock_sign(), 1.0);
        assert!(14.0 + Movement::Sale.stock_sign() * 20.0 < 0.0);
    }
}
