//! The storage side of the meaning of events (the `custody` crate): the book read
//! through the capture's write transaction, alert ids assigned, the ledger paged through
//! for a replay, storage failures as problems. What events mean is decided there, not
//! here.

use crate::auth::new_id;
use crate::{AppState, Problem};
use chrono::{DateTime, Utc};
use control::EnterpriseLicence;
use custody::{Book, Law, PermitOnFile, Replay};
use epcis::Event;
use serde_json::Value;
use store::{InventoryRow, LotRecord, PartyRecord, ShipmentRecord, WriteTx};

pub use custody::{context_prefixes, Refusal, Tracked, Writes};

/// The book as stored: through the capture's transaction when there is one (capture,
/// withdrawal), else only organisations are read (a replay starts from an empty book).
struct StoredBook<'a> {
    s: &'a AppState,
    tx: Option<&'a mut WriteTx>,
}

impl Book for StoredBook<'_> {
    type Error = Problem;

    async fn lots(&mut self, classes: &[String]) -> Result<Vec<LotRecord>, Problem> {
        match self.tx.as_mut() {
            Some(tx) => Ok(tx.lots(classes).await?),
            None => Ok(Vec::new()),
        }
    }

    async fn parties(
        &mut self,
        glns: &[String],
        orgs: &[String],
    ) -> Result<Vec<PartyRecord>, Problem> {
        match self.tx.as_mut() {
            Some(tx) => Ok(tx.parties_for(glns, orgs).await?),
            None => Ok(Vec::new()),
        }
    }

    async fn organisation(
        &mut self,
        org: &str,
    ) -> Result<Option<(String, Vec<EnterpriseLicence>)>, Problem> {
        Ok(self
            .s
            .organisation_with_licences(org)
            .await?
            .map(|(o, l)| (o.country, l)))
    }

    async fn balance(
        &mut self,
        holder: &str,
        site: &str,
        lot: &str,
    ) -> Result<Option<InventoryRow>, Problem> {
        match self.tx.as_mut() {
            Some(tx) => Ok(tx.balance(holder, site, lot).await?),
            None => Ok(None),
        }
    }

    async fn production(
        &mut self,
        org: &str,
        substance: &str,
        year: i32,
    ) -> Result<(Option<f64>, f64), Problem> {
        match self.tx.as_mut() {
            Some(tx) => Ok(tx.production(org, substance, year).await?),
            None => Ok((None, 0.0)),
        }
    }

    async fn outstanding_packages(&mut self, patient: &str) -> Result<Vec<String>, Problem> {
        match self.tx.as_mut() {
            Some(tx) => Ok(tx.outstanding_packages(patient).await?),
            None => Ok(Vec::new()),
        }
    }

    async fn open_shipments(
        &mut self,
        to_org: &str,
        lot: &str,
        at_most: usize,
    ) -> Result<Vec<ShipmentRecord>, Problem> {
        match self.tx.as_mut() {
            Some(tx) => Ok(tx.open_shipments(to_org, lot, at_most).await?),
            None => Ok(Vec::new()),
        }
    }

    async fn permit(&mut self, number: &str) -> Result<Option<PermitOnFile>, Problem> {
        Ok(self
            .s
            .store
            .get_permit(number)
            .await?
            .map(|r| PermitOnFile {
                exporter_org: r.exporter_org,
                revoked: r.revoked,
                valid_from: r.signed.permit.valid_from,
                valid_until: r.signed.permit.valid_until,
                substance: r.signed.permit.substance,
            }))
    }
}

fn law(s: &AppState) -> Law<'_> {
    Law {
        tracking: &s.rules.tracking,
        classifier: &s.rules.classifier,
        export: &s.rules.export,
    }
}

/// The tracking rules applied to the events about to be stored (in document order), with
/// the alerts' ids assigned. `Err` only for storage failures; the inner `Err` refuses the
/// capture (bad ILMD, a count at another enterprise's site).
pub async fn apply(
    s: &AppState,
    tx: &mut WriteTx,
    actor: &str,
    events: &[&Event],
    prefixes: &[String],
    now: DateTime<Utc>,
) -> Result<Result<Tracked, Refusal>, Problem> {
    let book = StoredBook { s, tx: Some(tx) };
    let mut tracked = custody::capture(law(s), book, actor, events, prefixes, now).await?;
    if let Ok(t) = &mut tracked {
        for a in t
            .attempt_alerts
            .iter_mut()
            .chain(t.writes.alerts.iter_mut())
        {
            a.id = new_id("alert")?;
        }
    }
    Ok(tracked)
}

/// Takes back what an event now declared erroneous did to the book (`custody::withdraw`).
pub async fn withdraw(
    s: &AppState,
    tx: &mut WriteTx,
    actor: &str,
    event: &Event,
    stored_id: &str,
    now: DateTime<Utc>,
) -> Result<Writes, Problem> {
    let book = StoredBook { s, tx: Some(tx) };
    custody::withdraw(law(s), book, actor, event, stored_id, now).await
}

/// The book rebuilt from the ledger (`custody::Replay`), every stored event read page by
/// page. Answers how many events were read and the balances.
pub async fn recompute(s: &AppState) -> Result<(u64, Vec<InventoryRow>), Problem> {
    const PAGE: usize = 2000;
    let book = StoredBook { s, tx: None };
    let mut replay = Replay::new(book, s.store.all_lots().await?, s.store.parties().await?);
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
            if let Err(bad) = replay.events(law(s), owner, &refs, now).await? {
                return Err(Problem::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "stored-event",
                    format!("replay met an event it cannot read: {}", bad.message),
                ));
            }
            read += run.len() as u64;
        }
    }
    Ok((read, replay.balances()))
}
