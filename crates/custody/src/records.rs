//! The book's plain records: who a GS1 party is, what a lot is, balances, shipments,
//! alerts. The storage adapter keeps them; this crate decides what they become.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A GS1 party (PGLN) or location (SGLN) and the organisation it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartyRecord {
    /// Canonical Digital Link URI (`https://id.gs1.org/417/...` or `/414/...`).
    pub gln: String,
    /// Organisation id.
    pub org: String,
    /// Province (for the medicine channel); empty if not given.
    pub province: String,
}

/// A lot (or product) and the substance it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LotRecord {
    /// Canonical EPC class.
    pub lot: String,
    /// Catalogue id.
    pub substance_id: String,
    /// Name as resolved (with the salt, if any).
    pub substance_name: String,
    /// kg of free base per kg declared.
    pub base_ratio: f64,
    /// kg in one serialised item (packs), if given.
    pub unit_kg: Option<f64>,
    /// Organisation that registered it.
    pub registered_by: String,
    /// The event whose ILMD registered it.
    pub event_id: String,
}

/// A book balance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InventoryRow {
    /// Holding organisation.
    pub holder: String,
    /// Site (canonical location URI; empty when the events name none).
    pub site: String,
    /// Lot.
    pub lot: String,
    /// Substance.
    pub substance_id: String,
    /// Kilograms as declared.
    pub kg: f64,
    /// Kilograms of free base.
    pub base_kg: f64,
    /// The last event that changed it.
    pub last_event_id: String,
}

/// Goods sent to another holder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShipmentRecord {
    /// The dispatching event.
    pub event_id: String,
    /// Sender.
    pub from_org: String,
    /// Receiver.
    pub to_org: String,
    /// Lot.
    pub lot: String,
    /// Kilograms sent.
    pub kg: f64,
    /// When sent.
    pub shipped_at: DateTime<Utc>,
}

/// An alert for the authorities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Id.
    pub id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Kind, e.g. `receipt_difference`.
    pub kind: String,
    /// What it concerns, e.g. `permit/CN-PEL-2026-000001`.
    pub subject: String,
    /// What happened.
    pub message: String,
    /// The enterprise it concerns (empty: none in particular).
    #[serde(default)]
    pub org: String,
    /// The event it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The rule broken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Another enterprise this alert is a claim about: raised by `org`'s own event (a
    /// receipt naming a seller, say) but saying something of that other enterprise. It
    /// counts against that enterprise only once an authority confirms it (`confirmed`);
    /// until then it is an open claim on the claimant's record that weighs on nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concerns: Option<String>,
    /// An authority's confirmation of the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Confirmation>,
}

/// An authority's confirmation that a claim about an enterprise holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The authority's user who confirmed it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, in words (what was checked).
    pub reason: String,
}

impl Alert {
    /// The enterprise whose record this alert weighs on: `org` for what its own events
    /// or an authority's findings show, the enterprise a claim concerns once an authority
    /// confirmed it, and nobody for an open claim.
    pub fn counts_against(&self) -> Option<&str> {
        match (&self.concerns, &self.confirmed) {
            (None, _) => Some(self.org.as_str()).filter(|o| !o.is_empty()),
            (Some(other), Some(_)) => Some(other.as_str()),
            (Some(_), None) => None,
        }
    }
}

/// The GS1 key an identifier falls under: `https://id.gs1.org/01/GTIN` for a serialised
/// item (`…/01/GTIN/21/serial`) or a lot (`…/01/GTIN/10/lot`); other URIs are their own key.
pub fn key_of(canonical: &str) -> &str {
    if let Some(rest) = canonical.strip_prefix("https://id.gs1.org/") {
        // "ai/key/qualifier/value": keep "ai/key"
        let mut slashes = rest.match_indices('/').map(|(i, _)| i);
        if let (Some(_), Some(second)) = (slashes.next(), slashes.next()) {
            return &canonical[..canonical.len() - rest.len() + second];
        }
    }
    canonical
}
