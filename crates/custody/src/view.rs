//! The book as one run of events sees it: stored state read through [`Book`] once per
//! key, with what earlier events of the run did on top.

use crate::{key_of, Book, InventoryRow, LotRecord, PartyRecord, ShipmentRecord};
use control::EnterpriseLicence;
use epcis::Event;
use std::collections::{HashMap, HashSet};

/// The book as this capture sees it (or, replaying the ledger, as it is rebuilt): the
/// stored book read through `B` once per key, with what earlier events of the same run
/// did on top.
pub(crate) struct View<B> {
    pub(crate) book: B,
    /// Replaying stored events: lots come from the registry by registering event, no
    /// rule is judged (every stored event was accepted when captured), and the book
    /// starts empty (no stored balance, plan, pack or shipment is read).
    pub(crate) replay: Option<HashMap<String, Vec<LotRecord>>>,
    /// Taking back what events declared erroneous did (no rule judged, signs reversed).
    pub(crate) reverse: bool,
    pub(crate) lots: HashMap<String, LotRecord>,
    pub(crate) parties: HashMap<String, PartyRecord>,
    pub(crate) provinces: HashMap<String, String>,
    pub(crate) licences: HashMap<String, Vec<EnterpriseLicence>>,
    pub(crate) countries: HashMap<String, String>,
    pub(crate) balances: HashMap<(String, String, String), InventoryRow>,
    pub(crate) production: HashMap<(String, String, i32), (Option<f64>, f64)>,
    pub(crate) outstanding: HashMap<String, Vec<String>>,
    pub(crate) claimed: HashSet<String>,
    /// Shipments made while this view lives, by receiver and lot, not yet received.
    pub(crate) shipped: HashMap<(String, String), Vec<ShipmentRecord>>,
}

impl<B: Book> View<B> {
    pub(crate) fn empty(
        book: B,
        replay: Option<HashMap<String, Vec<LotRecord>>>,
        reverse: bool,
    ) -> View<B> {
        View {
            book,
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

    /// Whether stored state is read (not when replaying: the book is rebuilt from empty).
    pub(crate) fn reads_stored(&self) -> bool {
        self.replay.is_none()
    }

    /// A view for the events of one capture: the lots and parties they name (and the
    /// actor's own registrations) read in one round trip each.
    pub(crate) async fn for_events(
        mut book: B,
        actor: &str,
        events: &[&Event],
        reverse: bool,
    ) -> Result<View<B>, B::Error> {
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
        let lots = book.lots(&classes).await?;
        let parties = book.parties(&glns, &[actor.to_string()]).await?;
        let mut view = View::empty(book, None, reverse);
        view.lots = lots.into_iter().map(|l| (l.lot.clone(), l)).collect();
        view.add_parties(parties);
        Ok(view)
    }

    pub(crate) async fn licences(&mut self, org: &str) -> Result<Vec<EnterpriseLicence>, B::Error> {
        if let Some(l) = self.licences.get(org) {
            return Ok(l.clone());
        }
        let (country, l) = self.book.organisation(org).await?.unwrap_or_default();
        self.countries.insert(org.to_string(), country);
        self.licences.insert(org.to_string(), l.clone());
        Ok(l)
    }

    /// The country of a registered organisation (empty when unknown).
    pub(crate) async fn country(&mut self, org: &str) -> Result<String, B::Error> {
        if !self.countries.contains_key(org) {
            self.licences(org).await?;
        }
        Ok(self.countries.get(org).cloned().unwrap_or_default())
    }

    pub(crate) async fn balance(
        &mut self,
        place: &(String, String, String),
        substance: &str,
    ) -> Result<InventoryRow, B::Error> {
        if let Some(b) = self.balances.get(place) {
            return Ok(b.clone());
        }
        let stored = if self.reads_stored() {
            self.book.balance(&place.0, &place.1, &place.2).await?
        } else {
            None
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

    pub(crate) async fn production(
        &mut self,
        key: &(String, String, i32),
    ) -> Result<(Option<f64>, f64), B::Error> {
        if let Some(p) = self.production.get(key) {
            return Ok(*p);
        }
        let p = if self.reads_stored() {
            self.book.production(&key.0, &key.1, key.2).await?
        } else {
            (None, 0.0)
        };
        self.production.insert(key.clone(), p);
        Ok(p)
    }

    pub(crate) async fn outstanding(&mut self, patient: &str) -> Result<Vec<String>, B::Error> {
        if let Some(o) = self.outstanding.get(patient) {
            return Ok(o.clone());
        }
        let o = if self.reads_stored() {
            self.book.outstanding_packages(patient).await?
        } else {
            Vec::new()
        };
        self.outstanding.insert(patient.to_string(), o.clone());
        Ok(o)
    }

    /// The oldest shipment of `lot` to `to_org` not yet matched with a receipt: first
    /// those made while this view lives, then the stored ones.
    pub(crate) async fn open_shipment(
        &mut self,
        to_org: &str,
        lot: &str,
    ) -> Result<Option<ShipmentRecord>, B::Error> {
        let key = (to_org.to_string(), lot.to_string());
        if let Some(list) = self.shipped.get_mut(&key) {
            if !list.is_empty() {
                return Ok(Some(list.remove(0)));
            }
        }
        if !self.reads_stored() {
            return Ok(None);
        }
        let stored = self
            .book
            .open_shipments(to_org, lot, self.claimed.len() + 1)
            .await?;
        Ok(stored
            .into_iter()
            .find(|x| !self.claimed.contains(&x.event_id)))
    }

    pub(crate) fn lot_of(&self, class_or_epc: &str) -> Option<&LotRecord> {
        self.lots
            .get(class_or_epc)
            .or_else(|| self.lots.get(key_of(class_or_epc)))
    }

    pub(crate) fn org_of(&self, gln: &str) -> Option<&PartyRecord> {
        self.parties.get(gln)
    }

    pub(crate) fn add_parties(&mut self, parties: Vec<PartyRecord>) {
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
