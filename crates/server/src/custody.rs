//! The law applied to captured events: what each event means for a controlled substance
//! (`control::tracking`), which rules it breaks, and what it does to the book: lots
//! registered from ILMD, inventory per holder, site and lot, shipments awaiting their
//! receipt, medicine packs dispensed and returned, production against the annual plan,
//! and the alerts all of this raises.
//!
//! Events of one document are taken in order against one in-memory view of the book, so
//! a later event sees what an earlier one did; a refused event changes nothing. Reads go
//! through the capture's write transaction, so two captures never judge against the
//! same stale balance.

use crate::auth::new_id;
use crate::{AppState, Problem};
use chrono::{DateTime, Datelike, Utc};
use control::tracking::{Breach, EventFacts, Movement};
use control::EnterpriseLicence;
use epcis::vocabulary::Vocabulary;
use epcis::{Event, EventType, Role};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use store::{key_of, Alert, InventoryRow, LotRecord, PartyRecord, ShipmentRecord, WriteTx};

/// Namespace of FentGuard's EPCIS extensions (ILMD `substance`, `netContent`).
pub const NAMESPACE: &str = "https://ns.fentguard.org/epcis/";
const OWNING_PARTY: &str = "https://ref.gs1.org/cbv/SDT-owning_party";
const LOCATION: &str = "https://ref.gs1.org/cbv/SDT-location";

/// What the rules made of the events of one capture.
#[derive(Default)]
pub struct Tracked {
    /// Events refused by a blocking rule (by position in the document), with the breaches.
    pub blocked: HashMap<usize, Vec<Breach>>,
    /// Breaches of events that are stored (flagged), by position.
    pub flagged: HashMap<usize, Vec<Breach>>,
    /// Alerts of refused attempts (kept even when the capture is rolled back).
    pub attempt_alerts: Vec<Alert>,
    /// Everything the accepted events change.
    pub writes: Writes,
}

/// The changes accepted events make, written in the capture's transaction.
#[derive(Default)]
pub struct Writes {
    lots: Vec<LotRecord>,
    /// Ordered, so concurrent writers touch rows in one order.
    inventory: BTreeMap<(String, String, String), InventoryRow>,
    shipments: Vec<ShipmentRecord>,
    receipts: Vec<(String, String, f64)>,
    dispensed: Vec<(Vec<String>, String, String, DateTime<Utc>)>,
    returned: Vec<(Vec<String>, String)>,
    produced: HashMap<(String, String, i32), f64>,
    /// Events declared erroneous whose shipments, receipts, dispensings or returns are
    /// taken back.
    withdrawn: Vec<String>,
    /// Alerts raised by accepted events.
    pub alerts: Vec<Alert>,
}

impl Writes {
    /// Write them.
    pub async fn write(&self, tx: &mut WriteTx, now: DateTime<Utc>) -> Result<(), Problem> {
        tx.insert_lots(&self.lots, now).await?;
        let rows: Vec<InventoryRow> = self.inventory.values().cloned().collect();
        tx.put_inventory(&rows, now).await?;
        tx.insert_shipments(&self.shipments).await?;
        for (shipment, receipt, kg) in &self.receipts {
            tx.receive_shipment(shipment, receipt, *kg).await?;
        }
        for (epcs, patient, event, at) in &self.dispensed {
            tx.dispense_packages(epcs, patient, event, *at).await?;
        }
        for (epcs, event) in &self.returned {
            tx.return_packages(epcs, event).await?;
        }
        for ((org, sub, year), kg) in &self.produced {
            tx.add_production(org, sub, *year, *kg).await?;
        }
        for event in &self.withdrawn {
            tx.withdraw_event_effects(event).await?;
        }
        for a in &self.alerts {
            tx.insert_alert(a).await?;
        }
        Ok(())
    }
}

/// One mass of one lot an event moves.
struct Item {
    role: Role,
    lot: LotRecord,
    kg: Option<f64>,
    /// Instance EPCs (packs) behind it.
    epcs: Vec<String>,
}

/// The book as this capture sees it (or, replaying the ledger, as it is rebuilt).
struct View<'t> {
    /// The capture's transaction; `None` when replaying (the book starts empty).
    tx: Option<&'t mut WriteTx>,
    /// Replaying stored events: lots come from the registry by registering event, no
    /// rule is judged (every stored event was accepted when captured).
    replay: Option<HashMap<String, Vec<LotRecord>>>,
    /// Taking back what events declared erroneous did (no rule judged, signs reversed).
    reverse: bool,
    lots: HashMap<String, LotRecord>,
    parties: HashMap<String, PartyRecord>,
    provinces: HashMap<String, String>,
    licences: HashMap<String, Vec<EnterpriseLicence>>,
    countries: HashMap<String, String>,
    balances: HashMap<(String, String, String), InventoryRow>,
    production: HashMap<(String, String, i32), (Option<f64>, f64)>,
    outstanding: HashMap<String, Vec<String>>,
    claimed: HashSet<String>,
    /// Shipments made while this view lives, by receiver and lot, not yet received.
    shipped: HashMap<(String, String), Vec<ShipmentRecord>>,
}

impl<'t> View<'t> {
    fn empty(
        tx: Option<&'t mut WriteTx>,
        replay: Option<HashMap<String, Vec<LotRecord>>>,
        reverse: bool,
    ) -> View<'t> {
        View {
            tx,
            replay,
            reverse,
            lots: HashMap::new(),
            parties: HashMap::new(),
            provinces: HashMap::new(),
            licences: HashMap::new(),
            countries: HashMap::new(),
            balances: HashMap::new(),
            production: HashMap::new(),
            outstanding: HashMap::new(),
            claimed: HashSet::new(),
            shipped: HashMap::new(),
        }
    }

    /// A view for the events of one capture: the lots and parties they name (and the
    /// actor's own registrations) read through `tx` in one round trip each.
    async fn for_events(
        tx: &'t mut WriteTx,
        actor: &str,
        events: &[&Event],
        reverse: bool,
    ) -> Result<View<'t>, Problem> {
        let mut classes: HashSet<String> = HashSet::new();
        let mut glns: HashSet<String> = HashSet::new();
        for e in events {
            for q in &e.quantities {
                classes.insert(q.epc_class.clone());
                classes.insert(key_of(&q.epc_class).to_string());
            }
            for (_, epc) in &e.epcs {
                classes.insert(key_of(epc).to_string());
            }
            for r in e.sources.iter().chain(&e.destinations) {
                glns.insert(r.id.clone());
            }
            glns.extend(e.biz_location.iter().chain(&e.read_point).cloned());
        }
        let classes: Vec<String> = classes.into_iter().collect();
        let glns: Vec<String> = glns.into_iter().collect();
        let lots = tx.lots(&classes).await?;
        let parties = tx.parties_for(&glns, &[actor.to_string()]).await?;
        let mut view = View::empty(Some(tx), None, reverse);
        view.lots = lots.into_iter().map(|l| (l.lot.clone(), l)).collect();
        view.add_parties(parties);
        Ok(view)
    }

    async fn licences(
        &mut self,
        s: &AppState,
        org: &str,
    ) -> Result<Vec<EnterpriseLicence>, Problem> {
        if let Some(l) = self.licences.get(org) {
            return Ok(l.clone());
        }
        let found = s.organisation_with_licences(org).await?;
        let (country, l) = found.map(|(o, l)| (o.country, l)).unwrap_or_default();
        self.countries.insert(org.to_string(), country);
        self.licences.insert(org.to_string(), l.clone());
        Ok(l)
    }

    /// The country of a registered organisation (empty when unknown).
    async fn country(&mut self, s: &AppState, org: &str) -> Result<String, Problem> {
        if !self.countries.contains_key(org) {
            self.licences(s, org).await?;
        }
        Ok(self.countries.get(org).cloned().unwrap_or_default())
    }

    async fn balance(
        &mut self,
        place: &(String, String, String),
        substance: &str,
    ) -> Result<InventoryRow, Problem> {
        if let Some(b) = self.balances.get(place) {
            return Ok(b.clone());
        }
        let stored = match self.tx.as_mut() {
            Some(tx) => tx.balance(&place.0, &place.1, &place.2).await?,
            None => None,
        };
        let b = stored.unwrap_or_else(|| InventoryRow {
            holder: place.0.clone(),
            site: place.1.clone(),
            lot: place.2.clone(),
            substance_id: substance.to_string(),
            kg: 0.0,
            base_kg: 0.0,
            last_event_id: String::new(),
        });
        self.balances.insert(place.clone(), b.clone());
        Ok(b)
    }

    async fn production(
        &mut self,
        key: &(String, String, i32),
    ) -> Result<(Option<f64>, f64), Problem> {
        if let Some(p) = self.production.get(key) {
            return Ok(*p);
        }
        let p = match self.tx.as_mut() {
            Some(tx) => tx.production(&key.0, &key.1, key.2).await?,
            None => (None, 0.0),
        };
        self.production.insert(key.clone(), p);
        Ok(p)
    }

    async fn outstanding(&mut self, patient: &str) -> Result<Vec<String>, Problem> {
        if let Some(o) = self.outstanding.get(patient) {
            return Ok(o.clone());
        }
        let o = match self.tx.as_mut() {
            Some(tx) => tx.outstanding_packages(patient).await?,
            None => Vec::new(),
        };
        self.outstanding.insert(patient.to_string(), o.clone());
        Ok(o)
    }

    /// The oldest shipment of `lot` to `to_org` not yet matched with a receipt: first
    /// those made while this view lives, then the stored ones.
    async fn open_shipment(
        &mut self,
        to_org: &str,
        lot: &str,
    ) -> Result<Option<ShipmentRecord>, Problem> {
        let key = (to_org.to_string(), lot.to_string());
        if let Some(list) = self.shipped.get_mut(&key) {
            if !list.is_empty() {
                return Ok(Some(list.remove(0)));
            }
        }
        let Some(tx) = self.tx.as_mut() else {
            return Ok(None);
        };
        let stored = tx
            .open_shipments(to_org, lot, self.claimed.len() + 1)
            .await?;
        Ok(stored
            .into_iter()
            .find(|x| !self.claimed.contains(&x.event_id)))
    }

    fn lot_of(&self, class_or_epc: &str) -> Option<&LotRecord> {
        self.lots
            .get(class_or_epc)
            .or_else(|| self.lots.get(key_of(class_or_epc)))
    }

    fn org_of(&self, gln: &str) -> Option<&PartyRecord> {
        self.parties.get(gln)
    }

    fn add_parties(&mut self, parties: Vec<PartyRecord>) {
        for p in parties {
            if !p.province.is_empty() {
                self.provinces
                    .entry(p.org.clone())
                    .or_insert_with(|| p.province.clone());
            }
            self.parties.insert(p.gln.clone(), p);
        }
    }
}

/// A refusal of one event before any rule is applied: bad ILMD, or a claim the
/// capturer may not make (a physical count at another enterprise's site).
pub struct Refusal {
    /// Position of the event.
    pub index: usize,
    /// The event's field at fault (`ilmd`, `bizLocation`).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// What an event's ILMD says of the lot it makes.
struct Ilmd {
    /// The substance as named (name, CAS number or structure).
    substance: String,
    /// Mass of one serialised item (kg), if given.
    unit_kg: Option<f64>,
}

/// The ILMD of an event: the substance named and the mass of one item, if given.
/// `prefixes`: those the document's `@context` binds to FentGuard's namespace.
fn ilmd_of(
    e: &Event,
    rules: &control::TrackingRules,
    prefixes: &[String],
) -> Result<Option<Ilmd>, String> {
    let Some(ilmd) = e.body.get("ilmd").and_then(Value::as_object) else {
        return Ok(None);
    };
    // `fg:substance` with any prefix bound to our namespace (by the document's or the
    // event's own context), or the expanded key.
    let prefixes: Vec<String> = e
        .body
        .get("@context")
        .into_iter()
        .flat_map(context_prefixes)
        .chain(prefixes.iter().cloned())
        .collect();
    let find = |local: &str| {
        ilmd.iter().find_map(|(k, v)| {
            let hit = k == &format!("{NAMESPACE}{local}")
                || k.split_once(':').is_some_and(|(p, l)| {
                    l == local && (p == "fg" || prefixes.iter().any(|x| x == p))
                });
            hit.then_some(v)
        })
    };
    let Some(sub) = find("substance") else {
        return Ok(None);
    };
    let sub = sub
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .ok_or("ilmd fg:substance must be a non-empty string (a name, CAS number or SMILES)")?;
    let unit_kg = match find("netContent") {
        None => None,
        Some(v) => {
            let value = v.get("value").and_then(Value::as_f64);
            let uom = v.get("uom").and_then(Value::as_str);
            match (value, uom) {
                (Some(x), Some(u)) if x.is_finite() && x > 0.0 => {
                    Some(rules.kilograms(x, u).ok_or_else(|| {
                        format!("ilmd fg:netContent unit '{u}' is not a mass unit")
                    })?)
                }
                _ => {
                    return Err(
                        "ilmd fg:netContent must be {\"value\": a positive number, \"uom\": a UN/CEFACT mass unit}"
                            .into(),
                    )
                }
            }
        }
    };
    Ok(Some(Ilmd {
        substance: sub.to_string(),
        unit_kg,
    }))
}

/// Prefixes an `@context` binds to FentGuard's namespace.
pub fn context_prefixes(ctx: &Value) -> Vec<String> {
    let objects: Vec<&serde_json::Map<String, Value>> = match ctx {
        Value::Object(o) => vec![o],
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        _ => vec![],
    };
    objects
        .into_iter()
        .flat_map(|o| o.iter())
        .filter(|(_, v)| v.as_str() == Some(NAMESPACE))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Applies the tracking rules to the events about to be stored (in document order).
/// `Err` only for storage failures and for ILMD that names no known substance.
pub async fn apply(
    s: &AppState,
    tx: &mut WriteTx,
    actor: &str,
    events: &[&Event],
    prefixes: &[String],
    now: DateTime<Utc>,
) -> Result<Result<Tracked, Refusal>, Problem> {
    let mut view = View::for_events(tx, actor, events, false).await?;
    let mut out = Tracked::default();
    match process(s, &mut view, actor, events, prefixes, now, &mut out).await? {
        Ok(()) => Ok(Ok(out)),
        Err(bad) => Ok(Err(bad)),
    }
}

/// Takes `events` of one `actor`, in order, through the view: rules (unless replaying),
/// then what each accepted event does to the book, into `out`.
async fn process(
    s: &AppState,
    view: &mut View<'_>,
    actor: &str,
    events: &[&Event],
    prefixes: &[String],
    now: DateTime<Utc>,
    out: &mut Tracked,
) -> Result<Result<(), Refusal>, Problem> {
    let rules = &s.rules.tracking;
    let catalogue = s.rules.classifier.catalogue();
    for e in events {
        // 1. ILMD: a lot or product comes into being with its substance.
        let mut new_lots = Vec::new();
        let ilmd = match view.replay.as_mut() {
            Some(by_event) => {
                new_lots = by_event.remove(e.id()).unwrap_or_default();
                Ok(None)
            }
            // A lot stays registered when its first event is declared erroneous.
            None if view.reverse => Ok(None),
            None => ilmd_of(e, rules, prefixes),
        };
        match ilmd {
            Err(message) => {
                return Ok(Err(Refusal {
                    index: e.index,
                    field: "ilmd",
                    message,
                }))
            }
            Ok(None) => {}
            Ok(Some(Ilmd { substance, unit_kg })) => {
                let found =
                    match s
                        .rules
                        .export
                        .identify(&s.rules.classifier, &substance, now.date_naive())
                    {
                        Ok(f) => f,
                        Err(err) => {
                            return Ok(Err(Refusal {
                                index: e.index,
                                field: "ilmd",
                                message: format!(
                                    "ilmd fg:substance '{}': {err}",
                                    law::excerpt(&substance)
                                ),
                            }))
                        }
                    };
                let Some((id, substance_id)) =
                    found.and_then(|f| f.substance_ids.first().cloned().map(|s| (f, s)))
                else {
                    return Ok(Err(Refusal {
                        index: e.index,
                        field: "ilmd",
                        message: format!(
                            "ilmd fg:substance '{}' is not in the catalogue; name it by a catalogue name, CAS number or structure",
                            law::excerpt(&substance)
                        ),
                    }));
                };
                let made = e
                    .quantities
                    .iter()
                    .filter(|q| matches!(q.role, Role::Object | Role::Output))
                    .map(|q| q.epc_class.clone())
                    .chain(
                        e.epcs
                            .iter()
                            .filter(|(r, _)| matches!(r, Role::Object | Role::Output))
                            .map(|(_, epc)| key_of(epc).to_string()),
                    );
                let mut seen = HashSet::new();
                for lot in made {
                    if seen.insert(lot.clone()) && !view.lots.contains_key(&lot) {
                        new_lots.push(LotRecord {
                            lot,
                            substance_id: substance_id.clone(),
                            substance_name: id.name.clone(),
                            base_ratio: id.base_ratio,
                            unit_kg,
                            registered_by: actor.to_string(),
                            event_id: e.id().to_string(),
                        });
                    }
                }
            }
        }
        for l in &new_lots {
            view.lots.insert(l.lot.clone(), l.clone());
        }
        // 2. What the event moves, lot by lot.
        let items = items_of(view, e, rules);
        if items.is_empty() {
            // Nothing controlled: keep any lots it registered and move on.
            out.writes.lots.extend(new_lots);
            continue;
        }
        let word = e
            .biz_step
            .as_deref()
            .and_then(|b| Vocabulary::BizStep.word(b))
            .unwrap_or_default();
        let owner_to = e
            .destinations
            .iter()
            .find(|d| d.kind.as_deref() == Some(OWNING_PARTY))
            .map(|d| d.id.clone());
        let buyer_org = owner_to
            .as_deref()
            .and_then(|g| view.org_of(g))
            .map(|p| p.org.clone());
        let to_org = buyer_org.clone().or_else(|| {
            e.destinations
                .iter()
                .find(|d| d.kind.as_deref() == Some(LOCATION))
                .and_then(|d| view.org_of(&d.id))
                .map(|p| p.org.clone())
        });
        let changes_owner = match (&buyer_org, &owner_to) {
            (Some(b), _) => b != actor,
            (None, Some(_)) => true,
            (None, None) => false,
        };
        let export_permits: Vec<&str> = e
            .biz_transactions
            .iter()
            .filter(|b| b.kind.as_deref() == Some(rules.export_permit_type.as_str()))
            .map(|b| b.id.as_str())
            .collect();
        // From abroad: an import permit is named, or the owning party it comes from is
        // registered to an organisation of another country.
        let seller_org = e
            .sources
            .iter()
            .find(|x| x.kind.as_deref() == Some(OWNING_PARTY))
            .and_then(|x| view.org_of(&x.id))
            .map(|p| p.org.clone());
        let from_abroad = match &seller_org {
            Some(o) => {
                let c = view.country(s, o).await?;
                !c.is_empty() && c != rules.jurisdiction
            }
            None => false,
        };
        let imported = from_abroad
            || e.biz_transactions
                .iter()
                .any(|b| b.kind.as_deref() == Some(rules.import_permit_type.as_str()));
        let movement = match e.kind {
            EventType::TransformationEvent => Movement::Transformation,
            _ => match rules.movement(&word, changes_owner) {
                Some(Movement::Sale | Movement::Dispatch) if !export_permits.is_empty() => {
                    Movement::Export
                }
                Some(Movement::Receipt) if imported => Movement::Import,
                Some(m) => m,
                None => Movement::Observation,
            },
        };
        let site = e
            .biz_location
            .clone()
            .or_else(|| e.read_point.clone())
            .unwrap_or_default();
        // Trust rule: a count is a claim about what is at a place; an enterprise counts
        // only what it holds at its own sites, never at a site registered to another.
        if movement == Movement::PhysicalInventory && view.replay.is_none() && !view.reverse {
            if let Some(owner) = view.org_of(&site).filter(|p| p.org != actor) {
                return Ok(Err(Refusal {
                    index: e.index,
                    field: "bizLocation",
                    message: format!(
                        "a physical count at {site}, a site registered to {}: an enterprise counts only at its own sites",
                        owner.org
                    ),
                }));
            }
        }
        let btt: Vec<String> = e
            .biz_transactions
            .iter()
            .filter_map(|b| b.kind.clone())
            .collect();
        let patient = e
            .destinations
            .iter()
            .find(|d| d.kind.as_deref() == Some(rules.patient.destination_type.as_str()))
            .map(|d| d.id.clone());
        let actor_licences = view.licences(s, actor).await?;
        let buyer_licences = match &buyer_org {
            Some(b) => view.licences(s, b).await?,
            None => Vec::new(),
        };
        let buyer_province = owner_to
            .as_deref()
            .and_then(|g| view.org_of(g))
            .map(|p| p.province.clone())
            .filter(|p| !p.is_empty())
            .or_else(|| {
                buyer_org
                    .as_ref()
                    .and_then(|b| view.provinces.get(b).cloned())
            });
        let day = e.event_time.date_naive();
        let year = e.event_time.year();
        // 3. The rules, per lot.
        let mut breaches: Vec<Breach> = Vec::new();
        let mut classes_of: Vec<Option<String>> = Vec::new();
        for it in &items {
            let listings = catalogue.listings_on(&it.lot.substance_id, day);
            let class = rules.class_of(
                listings
                    .iter()
                    .map(|(l, _, _)| (l.list_id.as_str(), l.category.as_str())),
            );
            classes_of.push(class.clone());
            if view.replay.is_some() || view.reverse {
                continue;
            }
            let m = match (movement, it.role) {
                (Movement::Transformation, Role::Output) => Movement::Production,
                (m, _) => m,
            };
            let kg = it.kg.unwrap_or(0.0);
            let base_kg = kg * it.lot.base_ratio;
            let (quota_kg, produced_before_kg) = if m == Movement::Production && class.is_some() {
                view.production(&(actor.to_string(), it.lot.substance_id.clone(), year))
                    .await?
            } else {
                (None, 0.0)
            };
            let export_permit = match export_permits.first() {
                Some(id) if m == Movement::Export => {
                    Some(export_permit(s, actor, id, &it.lot, day).await?)
                }
                _ => None,
            };
            let outstanding_packages = match (&patient, m) {
                (Some(p), Movement::Dispensing) => view.outstanding(p).await?,
                _ => Vec::new(),
            };
            let facts = EventFacts {
                movement: m,
                class,
                substance_id: it.lot.substance_id.clone(),
                substance_name: it.lot.substance_name.clone(),
                actor: actor.to_string(),
                actor_licences: actor_licences.clone(),
                buyer: owner_to
                    .as_ref()
                    .map(|o| buyer_org.clone().unwrap_or_else(|| o.clone())),
                buyer_licences: buyer_licences.clone(),
                business_transaction_types: btt.clone(),
                event_time: e.event_time,
                record_time: now,
                base_kg,
                quota_kg,
                produced_before_kg,
                actor_province: view.provinces.get(actor).cloned(),
                buyer_province: buyer_province.clone(),
                patient: patient.clone(),
                outstanding_packages,
                export_permit,
            };
            for b in rules.check(&facts) {
                if !breaches.iter().any(|x| x.rule == b.rule) {
                    breaches.push(b);
                }
            }
        }
        // Every alert an event raises is on its capturer's record (`actor`): what it says
        // of another enterprise is a claim about it (`concerns`), which weighs on that
        // enterprise only once an authority confirms it (trust rule, ARCHITECTURE.md).
        let alert = |kind: &str,
                     concerns: Option<&str>,
                     subject: String,
                     message: String,
                     rule: Option<String>| {
            Ok::<_, Problem>(Alert {
                id: new_id("alert")?,
                at: now,
                kind: kind.into(),
                subject,
                message,
                org: actor.to_string(),
                event_id: Some(e.id().to_string()),
                rule,
                concerns: concerns.filter(|o| *o != actor).map(str::to_string),
                confirmed: None,
            })
        };
        if breaches.iter().any(|b| b.blocked) {
            // One alert per refused event (its record counts the attempt once).
            let blocked: Vec<&Breach> = breaches.iter().filter(|b| b.blocked).collect();
            out.attempt_alerts.push(alert(
                "rule_breach_blocked",
                None,
                format!("event/{}", e.id()),
                format!(
                    "refused: {}",
                    blocked
                        .iter()
                        .map(|b| b.reason.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                Some(
                    blocked
                        .iter()
                        .map(|b| b.rule.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            )?);
            out.blocked.insert(e.index, breaches);
            continue;
        }
        // 4. Accepted: what it does to the book.
        out.writes.lots.extend(new_lots);
        if !breaches.is_empty() {
            out.writes.alerts.push(alert(
                "rule_breach_flagged",
                None,
                format!("event/{}", e.id()),
                breaches
                    .iter()
                    .map(|b| b.reason.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                Some(
                    breaches
                        .iter()
                        .map(|b| b.rule.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            )?);
        }
        if !breaches.is_empty() {
            out.flagged.insert(e.index, breaches);
        }
        let multi = items.len() > 1;
        for (n, (it, class)) in items.iter().zip(&classes_of).enumerate() {
            let place = (actor.to_string(), site.clone(), it.lot.lot.clone());
            let kg = it.kg.unwrap_or(0.0);
            let sign = match (movement, it.role) {
                (Movement::Transformation, Role::Input) => -1.0,
                (Movement::Transformation, _) => 1.0,
                (m, _) => m.stock_sign(),
            } * if view.reverse { -1.0 } else { 1.0 };
            if view.reverse && movement == Movement::PhysicalInventory {
                // A count cannot be taken back: the corrective count sets the book.
                continue;
            }
            let mut row = view.balance(&place, &it.lot.substance_id).await?;
            let book = row.kg;
            if movement == Movement::PhysicalInventory {
                if let Some(counted) = it.kg {
                    if let Some(diff) =
                        control::tracking::count_difference(book, counted, rules.count_tolerance_kg)
                    {
                        out.writes.alerts.push(alert(
                            "inventory_discrepancy",
                            None,
                            format!("inventory/{}/{}", actor, it.lot.lot),
                            format!(
                                "physical count of {} at {}: {counted:.3} kg counted, {book:.3} kg on the book ({:+.3} kg)",
                                it.lot.substance_name,
                                if site.is_empty() { "an unnamed site" } else { &site },
                                diff
                            ),
                            None,
                        )?);
                    }
                    row.kg = counted;
                }
            } else if sign != 0.0 {
                row.kg += sign * kg;
                if row.kg < -rules.count_tolerance_kg && sign < 0.0 {
                    out.writes.alerts.push(alert(
                        "negative_balance",
                        None,
                        format!("inventory/{}/{}", actor, it.lot.lot),
                        format!(
                            "{} left {} of {} at {} with {kg:.3} kg on the way out but only {book:.3} kg on the book: an unreported production or receipt, or a false report",
                            actor,
                            it.lot.lot,
                            it.lot.substance_name,
                            if site.is_empty() { "an unnamed site" } else { &site }
                        ),
                        None,
                    )?);
                }
            } else {
                continue;
            }
            row.base_kg = row.kg * it.lot.base_ratio;
            row.last_event_id = e.id().to_string();
            view.balances.insert(place.clone(), row.clone());
            out.writes.inventory.insert(place, row);
            // Shipments, receipts, packs, production.
            if view.reverse {
                if class.is_some()
                    && it.role != Role::Input
                    && matches!(movement, Movement::Production | Movement::Transformation)
                {
                    let key = (actor.to_string(), it.lot.substance_id.clone(), year);
                    *out.writes.produced.entry(key).or_insert(0.0) -= kg * it.lot.base_ratio;
                }
                continue;
            }
            match movement {
                Movement::Sale | Movement::Dispatch => {
                    if let Some(to) = &to_org {
                        let shipment = ShipmentRecord {
                            event_id: if multi {
                                format!("{}#{n}", e.id())
                            } else {
                                e.id().to_string()
                            },
                            from_org: actor.to_string(),
                            to_org: to.clone(),
                            lot: it.lot.lot.clone(),
                            kg,
                            shipped_at: e.event_time,
                        };
                        view.shipped
                            .entry((to.clone(), it.lot.lot.clone()))
                            .or_default()
                            .push(shipment.clone());
                        out.writes.shipments.push(shipment);
                    }
                }
                Movement::Receipt => {
                    let found = view.open_shipment(actor, &it.lot.lot).await?;
                    match found {
                        Some(sh) => {
                            view.claimed.insert(sh.event_id.clone());
                            if (sh.kg - kg).abs() > rules.count_tolerance_kg {
                                out.writes.alerts.push(alert(
                                    "receipt_difference",
                                    Some(&sh.from_org),
                                    format!("shipment/{}", sh.event_id),
                                    format!(
                                        "{} sent {:.3} kg of {} ({}); {} received {kg:.3} kg ({:+.3} kg)",
                                        sh.from_org,
                                        sh.kg,
                                        it.lot.substance_name,
                                        it.lot.lot,
                                        actor,
                                        kg - sh.kg
                                    ),
                                    None,
                                )?);
                            }
                            out.writes
                                .receipts
                                .push((sh.event_id, e.id().to_string(), kg));
                        }
                        None if class.is_some() => {
                            let seller = e
                                .sources
                                .iter()
                                .find(|x| x.kind.as_deref() == Some(OWNING_PARTY))
                                .and_then(|x| view.org_of(&x.id))
                                .map(|p| p.org.clone());
                            // A seller not registered is the receiver's own
                            // matter (it bought from outside the controlled trade).
                            out.writes.alerts.push(alert(
                                "unreported_sale",
                                seller.as_deref(),
                                format!("event/{}", e.id()),
                                format!(
                                    "{actor} received {kg:.3} kg of {} ({}) that {} never reported sending",
                                    it.lot.substance_name,
                                    it.lot.lot,
                                    seller.as_deref().unwrap_or("no registered seller")
                                ),
                                None,
                            )?);
                        }
                        None => {}
                    }
                }
                Movement::Dispensing => {
                    if let Some(p) = &patient {
                        if !it.epcs.is_empty() {
                            view.outstanding
                                .entry(p.clone())
                                .or_default()
                                .extend(it.epcs.iter().cloned());
                            out.writes.dispensed.push((
                                it.epcs.clone(),
                                p.clone(),
                                e.id().to_string(),
                                e.event_time,
                            ));
                        }
                    }
                }
                Movement::Production | Movement::Transformation
                    if class.is_some() && sign > 0.0 =>
                {
                    let key = (actor.to_string(), it.lot.substance_id.clone(), year);
                    let base = kg * it.lot.base_ratio;
                    let p = view.production(&key).await?;
                    view.production.insert(key.clone(), (p.0, p.1 + base));
                    *out.writes.produced.entry(key).or_insert(0.0) += base;
                }
                _ => {}
            }
        }
        if view.reverse {
            out.writes.withdrawn.push(e.id().to_string());
        } else if movement == Movement::PackageReturn {
            let epcs: Vec<String> = items.iter().flat_map(|i| i.epcs.iter().cloned()).collect();
            for list in view.outstanding.values_mut() {
                list.retain(|x| !epcs.contains(x));
            }
            out.writes.returned.push((epcs, e.id().to_string()));
        }
    }
    Ok(Ok(()))
}

/// Takes back what an event now declared erroneous did to the book (`stored_id`: the
/// stored event's id): balances restored, its shipments no longer awaited, the
/// shipments it received open again, its packs neither dispensed nor returned, its
/// production off the year's total. A physical count is not taken back (the corrective
/// count sets the book).
pub async fn withdraw(
    s: &AppState,
    tx: &mut WriteTx,
    actor: &str,
    event: &Event,
    stored_id: &str,
    now: DateTime<Utc>,
) -> Result<Writes, Problem> {
    let mut e = event.clone();
    e.given_id = Some(stored_id.to_string());
    e.error_declaration = None;
    let mut view = View::for_events(tx, actor, &[&e], true).await?;
    let mut out = Tracked::default();
    // With no ILMD read and no rule judged, nothing here can refuse the event.
    let _ = process(s, &mut view, actor, &[&e], &[], now, &mut out).await?;
    Ok(out.writes)
}

/// The book rebuilt from the ledger: every stored event replayed in order through the
/// same meaning as at capture (lots from the registry as their registering events come
/// by; no rule is judged again). Answers how many events were read and the balances.
pub async fn recompute(s: &AppState) -> Result<(u64, Vec<InventoryRow>), Problem> {
    const PAGE: usize = 2000;
    let mut by_event: HashMap<String, Vec<LotRecord>> = HashMap::new();
    for l in s.store.all_lots().await? {
        by_event.entry(l.event_id.clone()).or_default().push(l);
    }
    let mut view = View::empty(None, Some(by_event), false);
    view.add_parties(s.store.parties().await?);
    let mut out = Tracked::default();
    let mut after = 0;
    let mut read = 0u64;
    let now = s.clock.now();
    loop {
        let page = s
            .store
            .query_events(&store::EventQuery::default(), after, PAGE)
            .await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        // Events declared erroneous did not happen as stated: they are not replayed.
        let live: Vec<&store::EventRecord> = page
            .iter()
            .filter(|r| r.body.get("errorDeclaration").is_none())
            .collect();
        read += (page.len() - live.len()) as u64;
        for run in live.chunk_by(|a, b| a.owner_org == b.owner_org) {
            let Some(owner) = run.first().map(|r| r.owner_org.as_str()) else {
                continue;
            };
            let bodies: Vec<Value> = run
                .iter()
                .map(|r| {
                    let mut b = r.body.clone();
                    if let Some(o) = b.as_object_mut() {
                        o.remove("recordTime");
                    }
                    b
                })
                .collect();
            let doc = serde_json::json!({"type": "EPCISDocument", "schemaVersion": "2.0",
                "epcisBody": {"eventList": bodies}});
            let events = epcis::read_stored_events(&doc).map_err(|e| {
                Problem::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "stored-event",
                    format!("a stored event no longer reads: {}", e.message),
                )
            })?;
            let refs: Vec<&Event> = events.iter().collect();
            if process(s, &mut view, owner, &refs, &[], now, &mut out)
                .await?
                .is_err()
            {
                return Err(Problem::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "stored-event",
                    "replay met an event it cannot read",
                ));
            }
            read += run.len() as u64;
            // Only the balances are wanted; the rest would grow with the ledger.
            let w = &mut out.writes;
            w.lots.clear();
            w.shipments.clear();
            w.receipts.clear();
            w.dispensed.clear();
            w.returned.clear();
            w.produced.clear();
            w.alerts.clear();
        }
    }
    Ok((read, out.writes.inventory.into_values().collect()))
}

/// Whether the permit an export names (`urn:fentguard:permit:NUMBER`) is the exporter's,
/// in force on the day and issued for the lot's substance; the quantity is customs'
/// business (the shipment may be reported after the release drew the permit down).
async fn export_permit(
    s: &AppState,
    actor: &str,
    reference: &str,
    lot: &LotRecord,
    day: chrono::NaiveDate,
) -> Result<Result<String, String>, Problem> {
    let Some(number) = reference.strip_prefix("urn:fentguard:permit:") else {
        return Ok(Err(format!(
            "'{reference}' is not a FentGuard permit reference (urn:fentguard:permit:NUMBER)"
        )));
    };
    let Some(rec) = s.store.get_permit(number).await? else {
        return Ok(Err(format!("no permit {number} is on file")));
    };
    let p = &rec.signed.permit;
    if rec.exporter_org != actor {
        return Ok(Err(format!(
            "permit {number} was issued to {}, not to {actor}",
            rec.exporter_org
        )));
    }
    if rec.revoked {
        return Ok(Err(format!("permit {number} is revoked")));
    }
    if day < p.valid_from || day > p.valid_until {
        return Ok(Err(format!(
            "permit {number} is in force from {} to {}, not on {day}",
            p.valid_from, p.valid_until
        )));
    }
    let covers = s
        .rules
        .export
        .identify(&s.rules.classifier, &p.substance, day)
        .ok()
        .flatten()
        .is_some_and(|i| i.substance_ids.contains(&lot.substance_id));
    if !covers {
        return Ok(Err(format!(
            "permit {number} is for {}, not for {}",
            p.substance, lot.substance_name
        )));
    }
    Ok(Ok(number.to_string()))
}

/// The lots an event moves and how much of each (kg as declared; packs by their net
/// content). Only registered lots count; the rest is not the ledger's business.
fn items_of(view: &View<'_>, e: &Event, rules: &control::TrackingRules) -> Vec<Item> {
    let counts = |r: Role| match e.kind {
        EventType::TransformationEvent => matches!(r, Role::Input | Role::Output),
        EventType::AggregationEvent | EventType::AssociationEvent => r == Role::Child,
        _ => r == Role::Object,
    };
    let mut items: Vec<Item> = Vec::new();
    for q in e.quantities.iter().filter(|q| counts(q.role)) {
        let Some(lot) = view.lot_of(&q.epc_class) else {
            continue;
        };
        let kg = match (&q.quantity, &q.uom) {
            (Some(x), Some(u)) => rules.kilograms(*x, u),
            (Some(x), None) => lot.unit_kg.map(|u| x * u),
            (None, _) => None,
        };
        items.push(Item {
            role: q.role,
            lot: lot.clone(),
            kg,
            epcs: Vec::new(),
        });
    }
    for (role, epc) in e.epcs.iter().filter(|(r, _)| counts(*r)) {
        let Some(lot) = view.lot_of(epc) else {
            continue;
        };
        let each = lot.unit_kg.unwrap_or(0.0);
        match items
            .iter_mut()
            .find(|i| i.role == *role && i.lot.lot == lot.lot && !i.epcs.is_empty())
        {
            Some(i) => {
                i.kg = Some(i.kg.unwrap_or(0.0) + each);
                i.epcs.push(epc.clone());
            }
            None => items.push(Item {
                role: *role,
                lot: lot.clone(),
                kg: Some(each),
                epcs: vec![epc.clone()],
            }),
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn event_with(ilmd: Value) -> Event {
        let doc = json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"chem": NAMESPACE}],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
            "epcisBody": {"eventList": [{
                "type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
                "action": "ADD", "bizStep": "commissioning",
                "quantityList": [{"epcClass": "urn:epc:class:lgtin:6901234.012345.L1", "quantity": 1, "uom": "KGM"}],
                "ilmd": ilmd
            }]}
        });
        epcis::read_document(&doc)
            .ok()
            .and_then(|mut v| v.pop())
            .expect("a valid event")
    }

    fn rules() -> control::TrackingRules {
        control::TrackingRules::builtin("CN").expect("rules")
    }

    #[test]
    fn ilmd_names_the_substance_under_any_bound_prefix() {
        let r = rules();
        let e = event_with(
            json!({"chem:substance": "NPP", "chem:netContent": {"value": 2, "uom": "GRM"}}),
        );
        let bound = context_prefixes(
            &json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"chem": NAMESPACE}]),
        );
        assert_eq!(bound, ["chem"]);
        let got = ilmd_of(&e, &r, &bound).expect("ok").expect("some");
        assert_eq!((got.substance.as_str(), got.unit_kg), ("NPP", Some(0.002)));
        let e = event_with(json!({"https://ns.fentguard.org/epcis/substance": "NPP"}));
        assert!(ilmd_of(&e, &r, &[]).expect("ok").is_some());
        // another namespace's `substance` is not ours
        let e = event_with(json!({"other:substance": "NPP"}));
        assert!(ilmd_of(&e, &r, &[]).expect("ok").is_none());
        for bad in [
            json!({"fg:substance": ""}),
            json!({"fg:substance": 7}),
            json!({"fg:substance": "NPP", "fg:netContent": {"value": -1, "uom": "GRM"}}),
            json!({"fg:substance": "NPP", "fg:netContent": {"value": 1, "uom": "LTR"}}),
            json!({"fg:substance": "NPP", "fg:netContent": "4 mg"}),
        ] {
            let e = event_with(bad.clone());
            let err = ilmd_of(&e, &r, &[]).err().unwrap_or_default();
            assert!(err.contains("ilmd fg:"), "{bad}: {err}");
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|f| json!(f)),
            any::<i64>().prop_map(|i| json!(i)),
            "\\PC{0,12}".prop_map(Value::String),
            Just(json!("fg:substance")),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("fg:substance".to_string()),
                        Just("fg:netContent".to_string()),
                        Just("value".to_string()),
                        Just("uom".to_string()),
                        "\\PC{0,8}"
                    ],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever an ILMD holds, reading it answers (a substance, nothing, or a reason)
        /// and never panics.
        #[test]
        fn any_ilmd_is_read_or_refused(ilmd in json_value()) {
            let r = rules();
            let e = event_with(json!({"x": 1}));
            let mut e = e;
            e.body.insert("ilmd".into(), ilmd);
            match ilmd_of(&e, &r, &[]) {
                Ok(Some(i)) => prop_assert!(!i.substance.trim().is_empty()),
                Ok(None) => {}
                Err(why) => prop_assert!(why.starts_with("ilmd fg:")),
            }
        }
    }
}
