//! The meaning of captured events, pure: what each event means for a controlled
//! substance (`control::tracking`), which rules it breaks, and what it does to the book:
//! lots registered from ILMD, inventory per holder, site and lot, shipments awaiting
//! their receipt, medicine packs dispensed and returned, production against the annual
//! plan, and the alerts all of this raises.
//!
//! Three entry points: [`capture`] (rules judged, effects out), [`withdraw`] (what an
//! event declared erroneous did, taken back) and [`Replay`] (the book rebuilt from the
//! ledger). Each reads the stored book through [`Book`], which the storage adapter
//! implements over its write transaction (so two captures never judge against the same
//! stale balance), and answers plain effects ([`Writes`]) for the adapter to store.
//! Events of one document are taken in order against one in-memory view of the book, so
//! a later event sees what an earlier one did; a refused event changes nothing.
//!
//! **Trust rule** (ARCHITECTURE.md): every alert an event raises is on its capturer's
//! record; what it says of another enterprise is a claim about that enterprise
//! ([`Alert::concerns`]) that weighs on it only once an authority confirms it.

mod ilmd;
mod meaning;
mod records;
mod view;

pub use ilmd::{context_prefixes, ilmd_of, Ilmd, NAMESPACE};

pub use records::{
    key_of, Alert, Confirmation, InventoryRow, LotRecord, PartyRecord, ShipmentRecord,
};

use chrono::{DateTime, NaiveDate, Utc};
use control::tracking::Breach;
use control::EnterpriseLicence;
use epcis::Event;
use meaning::process;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use view::View;

/// The stored book, as the meaning of events reads it: implemented by the storage
/// adapter over the capture's transaction. Reads only; every change comes back as
/// [`Writes`].
pub trait Book {
    /// The adapter's error (storage failures).
    type Error;
    /// The registered lots among these EPC classes and GS1 keys.
    fn lots(
        &mut self,
        classes: &[String],
    ) -> impl Future<Output = Result<Vec<LotRecord>, Self::Error>> + Send;
    /// The parties and locations among `glns`, and those registered to `orgs`.
    fn parties(
        &mut self,
        glns: &[String],
        orgs: &[String],
    ) -> impl Future<Output = Result<Vec<PartyRecord>, Self::Error>> + Send;
    /// A registered organisation's country and enterprise licences.
    fn organisation(
        &mut self,
        org: &str,
    ) -> impl Future<Output = Result<Option<(String, Vec<EnterpriseLicence>)>, Self::Error>> + Send;
    /// The stored balance of a lot at a holder's site.
    fn balance(
        &mut self,
        holder: &str,
        site: &str,
        lot: &str,
    ) -> impl Future<Output = Result<Option<InventoryRow>, Self::Error>> + Send;
    /// An enterprise's annual production plan (kg of base) and what it produced so far.
    fn production(
        &mut self,
        org: &str,
        substance: &str,
        year: i32,
    ) -> impl Future<Output = Result<(Option<f64>, f64), Self::Error>> + Send;
    /// Packs dispensed to a patient and not yet returned.
    fn outstanding_packages(
        &mut self,
        patient: &str,
    ) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;
    /// The oldest `at_most` shipments of `lot` to `to_org` not yet received.
    fn open_shipments(
        &mut self,
        to_org: &str,
        lot: &str,
        at_most: usize,
    ) -> impl Future<Output = Result<Vec<ShipmentRecord>, Self::Error>> + Send;
    /// An export permit on file.
    fn permit(
        &mut self,
        number: &str,
    ) -> impl Future<Output = Result<Option<PermitOnFile>, Self::Error>> + Send;
}

/// What an export event needs to know of the permit it names.
#[derive(Clone, Debug)]
pub struct PermitOnFile {
    /// The exporter it was issued to (organisation id).
    pub exporter_org: String,
    /// Revoked.
    pub revoked: bool,
    /// In force from.
    pub valid_from: NaiveDate,
    /// In force until.
    pub valid_until: NaiveDate,
    /// The substance as written on the permit.
    pub substance: String,
}

/// The law the events are judged by.
#[derive(Clone, Copy)]
pub struct Law<'a> {
    /// What events mean and the rules checked on each.
    pub tracking: &'a control::TrackingRules,
    /// The classifier over the dated catalogue.
    pub classifier: &'a law::Classifier,
    /// Identifies the substance an ILMD or a permit names.
    pub export: &'a law::ExportChecker,
}

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
    /// Lots registered.
    pub lots: Vec<LotRecord>,
    /// Balances as they now stand, by holder, site and lot. Ordered, so concurrent
    /// writers touch rows in one order.
    pub inventory: BTreeMap<(String, String, String), InventoryRow>,
    /// Shipments made, awaiting receipt.
    pub shipments: Vec<ShipmentRecord>,
    /// Shipments received: (shipment event, receiving event, kg received).
    pub receipts: Vec<(String, String, f64)>,
    /// Packs dispensed: (EPCs, patient, event, when).
    pub dispensed: Vec<(Vec<String>, String, String, DateTime<Utc>)>,
    /// Packs returned: (EPCs, event).
    pub returned: Vec<(Vec<String>, String)>,
    /// Production added: (enterprise, substance, year) -> kg of base.
    pub produced: HashMap<(String, String, i32), f64>,
    /// Events declared erroneous whose shipments, receipts, dispensings or returns are
    /// taken back.
    pub withdrawn: Vec<String>,
    /// Alerts raised by accepted events (ids empty: the adapter assigns them).
    pub alerts: Vec<Alert>,
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

/// Capture: the tracking rules applied to the events `actor` is about to store (in
/// document order), and what the accepted ones do to the book. The outer `Err` is the
/// book's (storage); the inner one refuses the whole capture (bad ILMD, a count at
/// another enterprise's site).
pub async fn capture<B: Book>(
    law: Law<'_>,
    book: B,
    actor: &str,
    events: &[&Event],
    prefixes: &[String],
    now: DateTime<Utc>,
) -> Result<Result<Tracked, Refusal>, B::Error> {
    let mut view = View::for_events(book, actor, events, false).await?;
    let mut out = Tracked::default();
    match process(law, &mut view, actor, events, prefixes, now, &mut out).await? {
        Ok(()) => Ok(Ok(out)),
        Err(bad) => Ok(Err(bad)),
    }
}

/// Withdrawal: takes back what an event now declared erroneous did to the book
/// (`stored_id`: the stored event's id): balances restored, its shipments no longer
/// awaited, the shipments it received open again, its packs neither dispensed nor
/// returned, its production off the year's total. A physical count is not taken back
/// (the corrective count sets the book). No rule is judged, so nothing refuses it.
pub async fn withdraw<B: Book>(
    law: Law<'_>,
    book: B,
    actor: &str,
    event: &Event,
    stored_id: &str,
    now: DateTime<Utc>,
) -> Result<Writes, B::Error> {
    let mut e = event.clone();
    e.given_id = Some(stored_id.to_string());
    e.error_declaration = None;
    let mut view = View::for_events(book, actor, &[&e], true).await?;
    let mut out = Tracked::default();
    // With no ILMD read and no rule judged, nothing here can refuse the event.
    let _ = process(law, &mut view, actor, &[&e], &[], now, &mut out).await?;
    Ok(out.writes)
}

/// Replay: the book rebuilt from the ledger, every stored event in order through the
/// same meaning as at capture (lots from the registry as their registering events come
/// by; no rule judged again, no stored balance read). Feed it the stored events page by
/// page ([`Replay::events`]), then take the balances ([`Replay::balances`]).
pub struct Replay<B> {
    view: View<B>,
    out: Tracked,
}

impl<B: Book> Replay<B> {
    /// A replay from an empty book: every registered lot (from the registry) and every
    /// party. `book` is read only for organisations (their country decides imports).
    pub fn new(book: B, lots: Vec<LotRecord>, parties: Vec<PartyRecord>) -> Replay<B> {
        let mut by_event: HashMap<String, Vec<LotRecord>> = HashMap::new();
        for l in lots {
            by_event.entry(l.event_id.clone()).or_default().push(l);
        }
        let mut view = View::empty(book, Some(by_event), false);
        view.add_parties(parties);
        Replay {
            view,
            out: Tracked::default(),
        }
    }

    /// The next stored events of one capturer (`owner`), in ledger order. `Err(Refusal)`:
    /// a stored event no longer reads as it did when captured.
    pub async fn events(
        &mut self,
        law: Law<'_>,
        owner: &str,
        events: &[&Event],
        now: DateTime<Utc>,
    ) -> Result<Result<(), Refusal>, B::Error> {
        let r = process(law, &mut self.view, owner, events, &[], now, &mut self.out).await?;
        // Only the balances are wanted; the rest would grow with the ledger.
        let w = &mut self.out.writes;
        w.lots.clear();
        w.shipments.clear();
        w.receipts.clear();
        w.dispensed.clear();
        w.returned.clear();
        w.produced.clear();
        w.alerts.clear();
        Ok(r)
    }

    /// The balances as rebuilt so far.
    pub fn balances(self) -> Vec<InventoryRow> {
        self.out.writes.inventory.into_values().collect()
    }
}
