//! Pre-export notifications (1988 Convention art. 12(10)): what public security sends to
//! the importing country's authority, its reply deadline, the reply, and the same content
//! as a plain-text document for authorities not on FentGuard.

use crate::application::ImporterReply;
use crate::permit::Party;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Where a notification stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NotificationState {
    /// Forwarded by the licensing officer; public security has not sent it yet.
    PendingDispatch,
    /// Sent; waiting for the reply.
    Sent,
    /// Answered.
    Answered,
    /// The deadline passed without a reply; the silence rule was applied.
    Lapsed,
}

/// A pre-export notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreExportNotification {
    /// Id.
    pub id: String,
    /// The application it concerns.
    pub application_id: String,
    /// Exporting country.
    pub exporting_country: String,
    /// Importing country (whose authority it is addressed to).
    pub importing_country: String,
    /// Sending authority.
    pub notifying_authority: String,
    /// Exporter.
    pub exporter: Party,
    /// Importer.
    pub importer: Party,
    /// Consignee.
    pub consignee: Party,
    /// Broker, if any.
    pub broker: Option<Party>,
    /// Substance.
    pub substance: String,
    /// Its CAS number, when on file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cas: Option<String>,
    /// Its Harmonized System subheading, when on file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<String>,
    /// Quantity, kg of base.
    pub quantity_kg: f64,
    /// Quantity as declared.
    pub quantity_declared: String,
    /// Point of exit.
    pub point_of_exit: String,
    /// Point of entry.
    pub point_of_entry: String,
    /// Transport mode.
    pub transport_mode: String,
    /// Transit countries.
    pub itinerary: Vec<String>,
    /// Expected dispatch date.
    pub expected_dispatch: NaiveDate,
    /// State.
    pub state: NotificationState,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Reply deadline.
    pub reply_deadline: Option<DateTime<Utc>>,
    /// The reply.
    pub reply: Option<ImporterReply>,
    /// When the reply came, and from whom (user id).
    pub replied_at: Option<DateTime<Utc>>,
    /// Replying user.
    pub replied_by: Option<String>,
}

impl PreExportNotification {
    /// Whether the reply deadline has passed without a reply.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == NotificationState::Sent && self.reply_deadline.is_some_and(|d| now > d)
    }

    /// The notification as a plain-text document (for authorities not on FentGuard).
    pub fn document_text(&self) -> String {
        let mut s = String::new();
        let party = |p: &Party| format!("{}, {}, {}", p.name, p.address, p.country);
        let _ = writeln!(s, "PRE-EXPORT NOTIFICATION {}", self.id);
        let _ = writeln!(
            s,
            "(United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances, 1988, article 12, paragraph 10)"
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "From:               {} ({})",
            self.notifying_authority, self.exporting_country
        );
        let _ = writeln!(
            s,
            "To:                 competent authority of {}",
            self.importing_country
        );
        let _ = writeln!(s, "Exporter:           {}", party(&self.exporter));
        let _ = writeln!(s, "Importer:           {}", party(&self.importer));
        let _ = writeln!(s, "Consignee:          {}", party(&self.consignee));
        if let Some(b) = &self.broker {
            let _ = writeln!(s, "Broker:             {}", party(b));
        }
        let _ = writeln!(s, "Substance:          {}", self.substance);
        if let Some(cas) = &self.cas {
            let _ = writeln!(s, "CAS number:         {cas}");
        }
        if let Some(hs) = &self.hs_code {
            let _ = writeln!(s, "HS code:            {hs}");
        }
        let _ = writeln!(
            s,
            "Quantity:           {} ({:.6} kg as base)",
            self.quantity_declared, self.quantity_kg
        );
        let _ = writeln!(s, "Point of exit:      {}", self.point_of_exit);
        let _ = writeln!(s, "Point of entry:     {}", self.point_of_entry);
        let _ = writeln!(s, "Mode of transport:  {}", self.transport_mode);
        if !self.itinerary.is_empty() {
            let _ = writeln!(s, "Transit:            {}", self.itinerary.join(", "));
        }
        let _ = writeln!(s, "Expected dispatch:  {}", self.expected_dispatch);
        if let (Some(sent), Some(deadline)) = (self.sent_at, self.reply_deadline) {
            let _ = writeln!(s, "Sent:               {}", sent.to_rfc3339());
            let _ = writeln!(s, "Reply requested by: {}", deadline.to_rfc3339());
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Please reply: no objection / objection (with reason) / request for information, quoting {}.",
            self.id
        );
        s
    }
}
