//! How an export-licence case runs in one jurisdiction: review time, reply deadline of
//! the pre-export notification, what silence means, permit validity, required documents.
//! Data (`data/workflow/<CC>.json`), never constants in code.

use crate::application::SilenceRule;
use serde::{Deserialize, Serialize};
use thiserror::Error;

const CN: &str = include_str!("../../../data/workflow/CN.json");

/// A jurisdiction's workflow rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRules {
    /// Exporting jurisdiction (ISO 3166-1 alpha-2).
    pub jurisdiction: String,
    /// Its time zone (IANA name): dates and deadlines are shown as people there read
    /// them. An unknown name is refused when the rules are read.
    #[serde(default = "utc")]
    pub time_zone: chrono_tz::Tz,
    /// Statutory review time, days (paused while waiting on others).
    pub review_days: u32,
    /// Days the importing authority has to reply to a pre-export notification.
    pub notification_reply_days: u32,
    /// What silence past the reply deadline means.
    pub silence_rule: SilenceRule,
    /// Days a permit is valid from issue.
    pub permit_validity_days: u32,
    /// Prefix of permit numbers.
    pub permit_number_prefix: String,
    /// The authority that issues permits.
    pub issuer: String,
    /// The authority that sends pre-export notifications.
    pub notifying_authority: String,
    /// The registration an exporter must hold (kind of [`crate::EnterpriseLicence`]).
    pub exporter_licence_kind: String,
    /// Document kinds of which at least one proves lawful use at destination.
    pub lawful_use_documents: Vec<String>,
    /// Document kinds always required.
    pub required_documents: Vec<String>,
    /// Percentage difference between exported and received quantity that raises an alert.
    pub receipt_tolerance_percent: f64,
    /// Proportionate review: a low-risk application that needs international
    /// verification is forwarded at submission, without waiting for an officer.
    #[serde(default)]
    pub low_risk_fast_track: bool,
    /// What is FentGuard's default rather than sourced law.
    pub unconfirmed: String,
    /// Where the rules come from.
    pub source: String,
}

/// Rules that name no time zone keep UTC.
fn utc() -> chrono_tz::Tz {
    chrono_tz::UTC
}

/// No rules on file, or a malformed file.
#[derive(Debug, Error)]
pub enum RulesError {
    /// No rules for this jurisdiction.
    #[error("no workflow rules on file for {0} (on file: CN)")]
    Unknown(String),
    /// The data file does not parse.
    #[error("workflow rules for {0} do not parse: {1}")]
    Malformed(String, serde_json::Error),
}

impl WorkflowRules {
    /// The rules shipped with FentGuard for a jurisdiction.
    pub fn builtin(jurisdiction: &str) -> Result<WorkflowRules, RulesError> {
        match jurisdiction.to_ascii_uppercase().as_str() {
            "CN" => serde_json::from_str(CN).map_err(|e| RulesError::Malformed("CN".into(), e)),
            other => Err(RulesError::Unknown(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_rules_load_from_data() {
        let r = WorkflowRules::builtin("cn").expect("CN rules");
        assert_eq!(r.review_days, 20);
        assert_eq!(r.silence_rule, SilenceRule::NoConsent);
        assert!(r
            .lawful_use_documents
            .contains(&"import_certificate".to_string()));
        assert!(WorkflowRules::builtin("XX").is_err());
        assert_eq!(r.time_zone, chrono_tz::Asia::Shanghai);
    }

    #[test]
    fn a_time_zone_that_does_not_exist_is_refused() {
        let mut v: serde_json::Value =
            serde_json::to_value(WorkflowRules::builtin("CN").expect("CN")).expect("json");
        v["time_zone"] = "Asia/Atlantis".into();
        assert!(serde_json::from_value::<WorkflowRules>(v).is_err());
    }
}
