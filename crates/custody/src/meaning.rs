//! The steps every event goes through, in order: the lots its ILMD registers, what it
//! says (movement, parties, place), the rules per lot, and what it does to the book.

use crate::ilmd::{ilmd_of, Ilmd};
use crate::view::View;
use crate::{key_of, Alert, Book, Law, LotRecord, Refusal, ShipmentRecord, Tracked};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use control::tracking::{Breach, EventFacts, Movement};
use epcis::vocabulary::Vocabulary;
use epcis::{Event, EventType, Role};
use std::collections::HashSet;

const OWNING_PARTY: &str = "https://ref.gs1.org/cbv/SDT-owning_party";
const LOCATION: &str = "https://ref.gs1.org/cbv/SDT-location";

/// One mass of one lot an event moves.
struct Item {
    role: Role,
    lot: LotRecord,
    kg: Option<f64>,
    /// Instance EPCs (packs) behind it.
    epcs: Vec<String>,
}

/// Takes `events` of one `actor`, in order, through the view: the lots they register,
/// what each says, the rules (unless replaying), then what each accepted event does to
/// the book, into `out`.
pub(crate) async fn process<B: Book>(
    law: Law<'_>,
    view: &mut View<B>,
    actor: &str,
    events: &[&Event],
    prefixes: &[String],
    now: DateTime<Utc>,
    out: &mut Tracked,
) -> Result<Result<(), Refusal>, B::Error> {
    let rules = law.tracking;
    for e in events {
        // 1. ILMD: a lot or product comes into being with its substance.
        let new_lots = match registered_lots(law, view, e, actor, prefixes, now) {
            Ok(l) => l,
            Err(r) => return Ok(Err(r)),
        };
        for l in &new_lots {
            view.lots.insert(l.lot.clone(), l.clone());
        }
        // 2. The lots it moves, and what it says: the movement, the parties, the place.
        let items = items_of(view, e, rules);
        if items.is_empty() {
            // Nothing controlled: keep any lots it registered and move on.
            out.writes.lots.extend(new_lots);
            continue;
        }
        let said = what_it_says(law, view, e, actor).await?;
        if let Err(r) = counts_only_at_own_sites(view, e, &said, actor) {
            return Ok(Err(r));
        }
        // 3. The rules, per lot.
        let (breaches, classes_of) = judge(law, view, e, &said, &items, actor, now).await?;
        // 4. Refused, or what it does to the book.
        effects(
            law,
            view,
            e,
            &said,
            &items,
            new_lots,
            breaches,
            &classes_of,
            actor,
            now,
            out,
        )
        .await?;
    }
    Ok(Ok(()))
}

/// The lots an event's ILMD registers (none when replaying or withdrawing: the registry
/// already has them), or why the ILMD is refused.
fn registered_lots<B: Book>(
    law: Law<'_>,
    view: &mut View<B>,
    e: &Event,
    actor: &str,
    prefixes: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<LotRecord>, Refusal> {
    let rules = law.tracking;
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
            return Err(Refusal {
                index: e.index,
                field: "ilmd",
                message,
            })
        }
        Ok(None) => {}
        Ok(Some(Ilmd { substance, unit_kg })) => {
            let found = match law
                .export
                .identify(law.classifier, &substance, now.date_naive())
            {
                Ok(f) => f,
                Err(err) => {
                    return Err(Refusal {
                        index: e.index,
                        field: "ilmd",
                        message: format!("ilmd fg:substance '{}': {err}", law::excerpt(&substance)),
                    })
                }
            };
            let Some((id, substance_id)) =
                found.and_then(|f| f.substance_ids.first().cloned().map(|s| (f, s)))
            else {
                return Err(Refusal {
                    index: e.index,
                    field: "ilmd",
                    message: format!(
                        "ilmd fg:substance '{}' is not in the catalogue; name it by a catalogue name, CAS number or structure",
                        law::excerpt(&substance)
                    ),
                });
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
    Ok(new_lots)
}

/// What an event says, beyond the lots it moves.
struct Said {
    /// The owning party it goes to, as written.
    owner_to: Option<String>,
    /// The organisation that owning party is registered to.
    buyer_org: Option<String>,
    /// The organisation it goes to (owner, else location).
    to_org: Option<String>,
    /// Export permits it names.
    export_permits: Vec<String>,
    movement: Movement,
    /// Where it happens (business location, else read point).
    site: String,
    /// Business transaction types named.
    btt: Vec<String>,
    /// The patient it dispenses to.
    patient: Option<String>,
    day: NaiveDate,
    year: i32,
}

/// Reads what an event says: who it goes to, the movement in the jurisdiction's terms
/// (an export when it names an export permit, an import when from abroad), where.
async fn what_it_says<B: Book>(
    law: Law<'_>,
    view: &mut View<B>,
    e: &Event,
    actor: &str,
) -> Result<Said, B::Error> {
    let rules = law.tracking;
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
            let c = view.country(o).await?;
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
    Ok(Said {
        owner_to,
        buyer_org,
        to_org,
        export_permits: export_permits.into_iter().map(str::to_string).collect(),
        movement,
        site,
        btt,
        patient,
        day: e.event_time.date_naive(),
        year: e.event_time.year(),
    })
}

/// Trust rule: a count is a claim about what is at a place; an enterprise counts only
/// what it holds at its own sites, never at a site registered to another.
fn counts_only_at_own_sites<B: Book>(
    view: &View<B>,
    e: &Event,
    said: &Said,
    actor: &str,
) -> Result<(), Refusal> {
    if said.movement == Movement::PhysicalInventory && view.replay.is_none() && !view.reverse {
        if let Some(owner) = view.org_of(&said.site).filter(|p| p.org != actor) {
            return Err(Refusal {
                index: e.index,
                field: "bizLocation",
                message: format!(
                    "a physical count at {}, a site registered to {}: an enterprise counts only at its own sites",
                    said.site, owner.org
                ),
            });
        }
    }
    Ok(())
}

/// The rules applied to each lot the event moves (none when replaying or withdrawing):
/// the breaches, and each lot's control class on the day.
async fn judge<B: Book>(
    law: Law<'_>,
    view: &mut View<B>,
    e: &Event,
    said: &Said,
    items: &[Item],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<Breach>, Vec<Option<String>>), B::Error> {
    let rules = law.tracking;
    let catalogue = law.classifier.catalogue();
    let (owner_to, buyer_org, export_permits, movement) = (
        &said.owner_to,
        &said.buyer_org,
        &said.export_permits,
        said.movement,
    );
    let (btt, patient) = (&said.btt, &said.patient);
    let actor_licences = view.licences(actor).await?;
    let buyer_licences = match &buyer_org {
        Some(b) => view.licences(b).await?,
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
    let (day, year) = (said.day, said.year);
    let mut breaches: Vec<Breach> = Vec::new();
    let mut classes_of: Vec<Option<String>> = Vec::new();
    for it in items {
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
                Some(export_permit(law, &mut view.book, actor, id, &it.lot, day).await?)
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
    Ok((breaches, classes_of))
}

/// A refused event's attempt, or what an accepted one does to the book: balances,
/// shipments and receipts, packs, production, and the alerts all of this raises.
#[allow(clippy::too_many_arguments)]
async fn effects<B: Book>(
    law: Law<'_>,
    view: &mut View<B>,
    e: &Event,
    said: &Said,
    items: &[Item],
    new_lots: Vec<LotRecord>,
    breaches: Vec<Breach>,
    classes_of: &[Option<String>],
    actor: &str,
    now: DateTime<Utc>,
    out: &mut Tracked,
) -> Result<(), B::Error> {
    let rules = law.tracking;
    let (movement, site, to_org, patient, year) = (
        said.movement,
        &said.site,
        &said.to_org,
        &said.patient,
        said.year,
    );
    let alert = |kind: &str,
                 concerns: Option<&str>,
                 subject: String,
                 message: String,
                 rule: Option<String>| Alert {
        id: String::new(),
        at: now,
        kind: kind.into(),
        subject,
        message,
        org: actor.to_string(),
        event_id: Some(e.id().to_string()),
        rule,
        concerns: concerns.filter(|o| *o != actor).map(str::to_string),
        confirmed: None,
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
        ));
        out.blocked.insert(e.index, breaches);
        return Ok(());
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
        ));
    }
    if !breaches.is_empty() {
        out.flagged.insert(e.index, breaches);
    }
    let multi = items.len() > 1;
    for (n, (it, class)) in items.iter().zip(classes_of).enumerate() {
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
                    ));
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
                ));
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
                            ));
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
                        ));
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
            Movement::Production | Movement::Transformation if class.is_some() && sign > 0.0 => {
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
    Ok(())
}

/// Whether the permit an export names (`urn:fentguard:permit:NUMBER`) is the exporter's,
/// in force on the day and issued for the lot's substance; the quantity is customs'
/// business (the shipment may be reported after the release drew the permit down).
async fn export_permit<B: Book>(
    law: Law<'_>,
    book: &mut B,
    actor: &str,
    reference: &str,
    lot: &LotRecord,
    day: NaiveDate,
) -> Result<Result<String, String>, B::Error> {
    let Some(number) = reference.strip_prefix("urn:fentguard:permit:") else {
        return Ok(Err(format!(
            "'{reference}' is not a FentGuard permit reference (urn:fentguard:permit:NUMBER)"
        )));
    };
    let Some(p) = book.permit(number).await? else {
        return Ok(Err(format!("no permit {number} is on file")));
    };
    if p.exporter_org != actor {
        return Ok(Err(format!(
            "permit {number} was issued to {}, not to {actor}",
            p.exporter_org
        )));
    }
    if p.revoked {
        return Ok(Err(format!("permit {number} is revoked")));
    }
    if day < p.valid_from || day > p.valid_until {
        return Ok(Err(format!(
            "permit {number} is in force from {} to {}, not on {day}",
            p.valid_from, p.valid_until
        )));
    }
    let covers = law
        .export
        .identify(law.classifier, &p.substance, day)
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
fn items_of<B: Book>(view: &View<B>, e: &Event, rules: &control::TrackingRules) -> Vec<Item> {
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
