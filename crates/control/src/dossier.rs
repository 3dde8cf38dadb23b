//! The export-application file: what the applicant submits (the form), the completeness
//! check against the jurisdiction's rules, and everything the case accumulates (resolved
//! substance, documents by SHA-256, risk assessment, workflow, notification, permit).

use crate::application::Application;
use crate::jurisdiction::WorkflowRules;
use crate::permit::{Party, Permit};
use crate::risk::RiskAssessment;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A document attached to an application, as uploaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentUpload {
    /// Kind: `import_certificate`, `importer_guarantee`, `contract`, ...
    #[serde(default)]
    pub kind: String,
    /// File name.
    #[serde(default)]
    pub filename: String,
    /// Content, base64.
    #[serde(default)]
    pub content_base64: String,
}

/// A stored document: what it is and its SHA-256 (the content is kept separately).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    /// Kind.
    pub kind: String,
    /// File name.
    pub filename: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// What the applicant submits. Every field defaults, so that a missing field shows up in
/// the completeness check (with all the others) instead of failing the parse.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationForm {
    /// Importer.
    pub importer: Option<Party>,
    /// Consignee.
    pub consignee: Option<Party>,
    /// Broker, if any.
    pub broker: Option<Party>,
    /// Substance: catalogue name, CAS number, or structure (SMILES).
    pub substance: String,
    /// Quantity with unit, e.g. `25 kg`.
    pub quantity: String,
    /// Mixture composition, e.g. `toluene=45` (optional).
    pub mixture: Option<String>,
    /// Destination country (ISO 3166-1 alpha-2).
    pub destination: String,
    /// Point of exit.
    pub point_of_exit: String,
    /// Point of entry.
    pub point_of_entry: String,
    /// Transport mode (sea, air, road, rail, post).
    pub transport_mode: String,
    /// Transit countries, in order (ISO codes).
    pub itinerary: Vec<String>,
    /// Planned dispatch date.
    pub planned_dispatch: Option<NaiveDate>,
    /// Contract reference.
    pub contract_reference: String,
    /// End use, in the importer's words.
    pub end_use: String,
    /// Documents.
    pub documents: Vec<DocumentUpload>,
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn party_gaps(p: &Option<Party>, role: &str, out: &mut Vec<String>) {
    match p {
        None => out.push(format!("{role}: missing (name, address, country)")),
        Some(p) => {
            if blank(&p.name) {
                out.push(format!("{role}.name: missing"));
            }
            if blank(&p.address) {
                out.push(format!("{role}.address: missing"));
            }
            if p.country.len() != 2 || !p.country.chars().all(|c| c.is_ascii_alphabetic()) {
                out.push(format!(
                    "{role}.country: '{}' is not an ISO 3166-1 alpha-2 code",
                    p.country
                ));
            }
        }
    }
}

impl ApplicationForm {
    /// Every gap, by field, against the jurisdiction's rules; empty when complete.
    pub fn completeness(&self, rules: &WorkflowRules) -> Vec<String> {
        let mut out = Vec::new();
        party_gaps(&self.importer, "importer", &mut out);
        party_gaps(&self.consignee, "consignee", &mut out);
        if self.broker.is_some() {
            party_gaps(&self.broker, "broker", &mut out);
        }
        for (field, value) in [
            ("substance", &self.substance),
            ("quantity", &self.quantity),
            ("destination", &self.destination),
            ("point_of_exit", &self.point_of_exit),
            ("point_of_entry", &self.point_of_entry),
            ("transport_mode", &self.transport_mode),
            ("contract_reference", &self.contract_reference),
            ("end_use", &self.end_use),
        ] {
            if blank(value) {
                out.push(format!("{field}: missing"));
            }
        }
        if self.planned_dispatch.is_none() {
            out.push("planned_dispatch: missing (YYYY-MM-DD)".into());
        }
        if let Some(c) = &self.consignee {
            if !blank(&self.destination) && !c.country.eq_ignore_ascii_case(&self.destination) {
                out.push(format!(
                    "consignee.country: {} differs from the destination {}",
                    c.country, self.destination
                ));
            }
        }
        for (i, d) in self.documents.iter().enumerate() {
            if blank(&d.kind) {
                out.push(format!("documents[{i}].kind: missing"));
            }
            if blank(&d.content_base64) {
                out.push(format!("documents[{i}].content_base64: missing"));
            }
        }
        let has = |kind: &str| self.documents.iter().any(|d| d.kind == kind);
        for kind in &rules.required_documents {
            if !has(kind) {
                out.push(format!("documents: a '{kind}' is required"));
            }
        }
        if !rules.lawful_use_documents.is_empty()
            && !rules.lawful_use_documents.iter().any(|k| has(k))
        {
            out.push(format!(
                "documents: one of {} is required (proof of lawful use at destination)",
                rules.lawful_use_documents.join(", ")
            ));
        }
        out
    }
}

/// The substance as the catalogue and export rules resolved it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolvedSubstance {
    /// Name as identified.
    pub name: String,
    /// Catalogue ids.
    pub substance_ids: Vec<String>,
    /// Canonical SMILES of the parent, when known.
    pub parent_smiles: Option<String>,
    /// Declared mass, kg.
    pub declared_kg: f64,
    /// Base-equivalent mass, kg.
    pub base_kg: f64,
    /// Export regimes that apply (ids).
    pub regimes: Vec<String>,
    /// The destination is on a specific-country list for it.
    pub destination_specific: bool,
    /// Category for risk (e.g. `Class I`), when known.
    pub class: Option<String>,
    /// Caveats from the rule engine.
    pub warnings: Vec<String>,
    /// CAS number of the substance on file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cas: Option<String>,
    /// Its Harmonized System subheading, when on file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<String>,
}

/// An export-licence case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    /// Id.
    pub id: String,
    /// Applicant enterprise (organisation id).
    pub owner_org: String,
    /// Exporter (the applicant enterprise).
    pub exporter: Party,
    /// The form as submitted (documents' content removed; see `documents`).
    pub details: ApplicationForm,
    /// Documents, by hash.
    pub documents: Vec<Document>,
    /// Resolved substance and quantities.
    pub substance: ResolvedSubstance,
    /// Risk assessment at submission.
    pub risk: RiskAssessment,
    /// Workflow state and history.
    pub workflow: Application,
    /// Pre-export notification id, once forwarded.
    pub notification: Option<String>,
    /// Permit number, once issued.
    pub permit: Option<String>,
    /// First officer of a high-risk approval waiting for a second officer.
    pub pending_approval: Option<String>,
    /// Written reasons of a refusal (the applicant sees them).
    pub refusal_reasons: Option<String>,
    /// Open request for information.
    pub open_question: Option<String>,
}

impl Dossier {
    /// The permit this case yields, unsigned.
    pub fn permit(
        &self,
        number: String,
        valid_from: NaiveDate,
        rules: &WorkflowRules,
    ) -> Option<Permit> {
        let d = &self.details;
        Some(Permit {
            number,
            exporter: self.exporter.clone(),
            importer: d.importer.clone()?,
            consignee: d.consignee.clone()?,
            substance: self.substance.name.clone(),
            quantity_kg: self.substance.base_kg,
            destination: d.destination.to_ascii_uppercase(),
            valid_from,
            valid_until: valid_from + chrono::Duration::days(rules.permit_validity_days as i64),
            issuer: rules.issuer.clone(),
            cas: self.substance.cas.clone(),
            hs_code: self.substance.hs_code.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(c: &str) -> Party {
        Party {
            name: "Quimica SA".into(),
            address: "Av. 1".into(),
            country: c.into(),
        }
    }

    #[test]
    fn completeness_lists_every_gap() {
        let rules = WorkflowRules::builtin("CN").expect("rules");
        let empty = ApplicationForm::default();
        let gaps = empty.completeness(&rules);
        for field in [
            "importer",
            "consignee",
            "substance",
            "quantity",
            "planned_dispatch",
            "contract_reference",
            "documents: a 'contract'",
            "documents: one of import_certificate",
        ] {
            assert!(
                gaps.iter().any(|g| g.starts_with(field)),
                "{field} in {gaps:?}"
            );
        }
        let doc = |k: &str| DocumentUpload {
            kind: k.into(),
            filename: "f.pdf".into(),
            content_base64: "AA==".into(),
        };
        let full = ApplicationForm {
            importer: Some(party("MX")),
            consignee: Some(party("MX")),
            broker: None,
            substance: "NPP".into(),
            quantity: "25 kg".into(),
            mixture: None,
            destination: "MX".into(),
            point_of_exit: "Shanghai".into(),
            point_of_entry: "Manzanillo".into(),
            transport_mode: "sea".into(),
            itinerary: vec![],
            planned_dispatch: NaiveDate::from_ymd_opt(2026, 12, 1),
            contract_reference: "C-1".into(),
            end_use: "pharmaceutical synthesis".into(),
            documents: vec![doc("contract"), doc("importer_guarantee")],
        };
        assert_eq!(full.completeness(&rules), Vec::<String>::new());
        let mut wrong = full.clone();
        wrong.consignee = Some(party("US"));
        assert_eq!(wrong.completeness(&rules).len(), 1);
    }
}
