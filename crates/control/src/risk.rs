//! Risk assessment of an export application at submission: a score with reason codes a
//! person can read and contest. Weights and thresholds are data
//! (`data/risk/export_risk_model.json`), set by the authority.

use crate::application::RiskLevel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Facts about one application that bear on risk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RiskFactors {
    /// The destination is on a specific-country catalogue for this substance.
    pub destination_on_specific_list: bool,
    /// The substance's category (e.g. "Class I", "narcotic drug").
    pub substance_class: Option<String>,
    /// Quantity applied for, kg of base.
    pub quantity_kg: f64,
    /// The exporter's usual (median) shipment of this substance, kg; None = no history.
    pub usual_quantity_kg: Option<f64>,
    /// The importer is new to this exporter.
    pub importer_new: bool,
    /// The importer has been verified by its country's authority.
    pub importer_verified: bool,
    /// A broker is involved.
    pub broker: bool,
    /// Number of transit countries.
    pub transit_countries: u32,
    /// The end use fits the importer's business (None = not assessed).
    pub end_use_consistent: Option<bool>,
    /// Earlier refusals or incidents of the exporter.
    pub earlier_refusals: u32,
    /// Enterprise credit rating, 0-100 (None = not rated).
    pub credit_rating: Option<u8>,
}

#[derive(Clone, Debug, Deserialize)]
struct Factor {
    #[serde(default)]
    points: u32,
    #[serde(default)]
    points_each: u32,
    #[serde(default)]
    max: u32,
    #[serde(default)]
    ratio: f64,
    #[serde(default)]
    below: u8,
    #[serde(default)]
    points_by_class: BTreeMap<String, u32>,
    text: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Thresholds {
    medium: u32,
    high: u32,
}

/// The risk model, as data.
#[derive(Clone, Debug, Deserialize)]
pub struct RiskModel {
    thresholds: Thresholds,
    factors: BTreeMap<String, Factor>,
}

/// One reason behind a score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskReason {
    /// Stable code (e.g. `IMPORTER_UNVERIFIED`).
    pub code: String,
    /// Points it adds.
    pub points: u32,
    /// The sentence the applicant sees.
    pub text: String,
}

/// The assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskAssessment {
    /// Total points.
    pub score: u32,
    /// Level, from the thresholds.
    pub level: RiskLevel,
    /// Every contributing reason.
    pub reasons: Vec<RiskReason>,
}

impl RiskModel {
    /// FentGuard's default model (`data/risk/export_risk_model.json`).
    pub fn builtin() -> Result<RiskModel, serde_json::Error> {
        RiskModel::from_json(include_str!("../../../data/risk/export_risk_model.json"))
    }

    /// Read a model from JSON.
    pub fn from_json(text: &str) -> Result<RiskModel, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Assess an application's facts.
    pub fn assess(&self, f: &RiskFactors) -> RiskAssessment {
        let mut reasons = Vec::new();
        let mut add = |code: &str, points: u32, text: String| {
            if points > 0 {
                reasons.push(RiskReason {
                    code: code.into(),
                    points,
                    text,
                });
            }
        };
        let get = |code: &str| self.factors.get(code);
        if let (true, Some(x)) = (f.destination_on_specific_list, get("DEST_SPECIFIC_LIST")) {
            add("DEST_SPECIFIC_LIST", x.points, x.text.clone());
        }
        if let (Some(class), Some(x)) = (&f.substance_class, get("CLASS")) {
            let p = x
                .points_by_class
                .iter()
                // the longest matching class name wins ("Class III" is not "Class I")
                .filter(|(k, _)| class.starts_with(k.as_str()))
                .max_by_key(|(k, _)| k.len())
                .map_or(0, |(_, p)| *p);
            add("CLASS", p, format!("{}: {class}", x.text));
        }
        match (
            f.usual_quantity_kg,
            get("QTY_ABOVE_HISTORY"),
            get("NO_HISTORY"),
        ) {
            (Some(usual), Some(x), _) if usual > 0.0 && f.quantity_kg > x.ratio * usual => {
                add(
                    "QTY_ABOVE_HISTORY",
                    x.points,
                    x.text.replace("{ratio}", &x.ratio.to_string()),
                );
            }
            (None, _, Some(x)) => add("NO_HISTORY", x.points, x.text.clone()),
            _ => {}
        }
        if let (true, Some(x)) = (f.importer_new, get("IMPORTER_NEW")) {
            add("IMPORTER_NEW", x.points, x.text.clone());
        }
        if let (false, Some(x)) = (f.importer_verified, get("IMPORTER_UNVERIFIED")) {
            add("IMPORTER_UNVERIFIED", x.points, x.text.clone());
        }
        if let (true, Some(x)) = (f.broker, get("BROKER")) {
            add("BROKER", x.points, x.text.clone());
        }
        if let Some(x) = get("TRANSIT") {
            add(
                "TRANSIT",
                (x.points_each * f.transit_countries).min(x.max),
                format!("{} ({})", x.text, f.transit_countries),
            );
        }
        if let (Some(false), Some(x)) = (f.end_use_consistent, get("END_USE_INCONSISTENT")) {
            add("END_USE_INCONSISTENT", x.points, x.text.clone());
        }
        if let Some(x) = get("EARLIER_REFUSALS") {
            add(
                "EARLIER_REFUSALS",
                (x.points_each * f.earlier_refusals).min(x.max),
                format!("{} ({})", x.text, f.earlier_refusals),
            );
        }
        if let (Some(rating), Some(x)) = (f.credit_rating, get("CREDIT_RATING")) {
            if rating < x.below {
                add(
                    "CREDIT_RATING",
                    x.points,
                    format!(
                        "{} ({rating})",
                        x.text.replace("{below}", &x.below.to_string())
                    ),
                );
            }
        }
        let score = reasons.iter().map(|r| r.points).sum();
        let level = if score >= self.thresholds.high {
            RiskLevel::High
        } else if score >= self.thresholds.medium {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        };
        RiskAssessment {
            score,
            level,
            reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> RiskModel {
        RiskModel::from_json(include_str!("../../../data/risk/export_risk_model.json"))
            .expect("model data")
    }

    fn routine() -> RiskFactors {
        RiskFactors {
            substance_class: Some("Class III".into()),
            quantity_kg: 1000.0,
            usual_quantity_kg: Some(800.0),
            importer_verified: true,
            end_use_consistent: Some(true),
            credit_rating: Some(90),
            ..RiskFactors::default()
        }
    }

    #[test]
    fn routine_shipment_is_low_risk_with_readable_reasons() {
        let a = model().assess(&routine());
        assert_eq!(a.level, RiskLevel::Low);
        assert_eq!(a.score, 5);
        assert_eq!(a.reasons.len(), 1);
        assert_eq!(a.reasons[0].code, "CLASS");
        assert!(a.reasons[0].text.contains("Class III"));
    }

    #[test]
    fn risky_shipment_is_high_and_every_reason_is_listed() {
        let f = RiskFactors {
            destination_on_specific_list: true,
            substance_class: Some("Class I (class unconfirmed)".into()),
            quantity_kg: 500.0,
            usual_quantity_kg: Some(25.0),
            importer_new: true,
            importer_verified: false,
            broker: true,
            transit_countries: 5,
            end_use_consistent: Some(false),
            earlier_refusals: 1,
            credit_rating: Some(40),
        };
        let a = model().assess(&f);
        assert_eq!(a.level, RiskLevel::High);
        let codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "DEST_SPECIFIC_LIST",
                "CLASS",
                "QTY_ABOVE_HISTORY",
                "IMPORTER_NEW",
                "IMPORTER_UNVERIFIED",
                "BROKER",
                "TRANSIT",
                "END_USE_INCONSISTENT",
                "EARLIER_REFUSALS",
                "CREDIT_RATING"
            ]
        );
        // transit is capped at its maximum
        assert_eq!(
            a.reasons
                .iter()
                .find(|r| r.code == "TRANSIT")
                .map(|r| r.points),
            Some(15)
        );
        assert_eq!(a.score, a.reasons.iter().map(|r| r.points).sum::<u32>());
    }

    #[test]
    fn thresholds_are_data() {
        let mut f = routine();
        f.importer_verified = false; // +20 -> 25: still low
        assert_eq!(model().assess(&f).level, RiskLevel::Low);
        f.broker = true; // +10 -> 35: medium
        assert_eq!(model().assess(&f).level, RiskLevel::Medium);
        let strict = RiskModel::from_json(
            &include_str!("../../../data/risk/export_risk_model.json")
                .replace("\"medium\": 30", "\"medium\": 10"),
        )
        .expect("model");
        assert_eq!(strict.assess(&routine()).level, RiskLevel::Low);
        let mut g = routine();
        g.importer_new = true;
        assert_eq!(
            strict.assess(&g).level,
            RiskLevel::Medium,
            "15 points reach a medium threshold of 10"
        );
    }
}
