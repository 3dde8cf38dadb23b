//! Customs: a declaration is released against a valid permit whose parties, substance
//! and quantity match; otherwise it is held, with every reason.

use crate::permit::{status, PermitStatus, SignedPermit};
use chrono::NaiveDate;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

/// A customs declaration for an export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    /// Permit number quoted.
    pub permit_number: String,
    /// Exporter name.
    pub exporter: String,
    /// Importer name.
    pub importer: String,
    /// Substance declared.
    pub substance: String,
    /// Quantity declared, kg of base.
    pub quantity_kg: f64,
    /// Destination country.
    pub destination: String,
    /// Date of the declaration.
    pub date: NaiveDate,
}

/// What customs does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum CustomsOutcome {
    /// Release and draw this much down from the permit.
    Release {
        /// kg drawn down.
        draw_down_kg: f64,
    },
    /// Hold the goods.
    Hold {
        /// Every reason found.
        reasons: Vec<String>,
    },
}

/// A party's name as compared: white space collapsed, lower case.
pub fn normalise_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn same(a: &str, b: &str) -> bool {
    normalise_name(a) == normalise_name(b)
}

/// Check a declaration against a signed permit and its use so far.
pub fn check(
    d: &Declaration,
    permit: &SignedPermit,
    trusted: &VerifyingKey,
    drawn_kg: f64,
    revoked: bool,
    shipped: bool,
) -> CustomsOutcome {
    let mut reasons = Vec::new();
    let p = &permit.permit;
    if let Err(e) = permit.verify(trusted) {
        reasons.push(format!("permit signature: {e}"));
    }
    if d.permit_number != p.number {
        reasons.push(format!(
            "declaration quotes permit {}, not {}",
            d.permit_number, p.number
        ));
    }
    match status(p, d.date, drawn_kg, revoked, shipped) {
        PermitStatus::Valid { remaining_kg } => {
            if d.quantity_kg > remaining_kg + 1e-9 {
                reasons.push(format!(
                    "declared {} kg exceeds the {} kg remaining on the permit",
                    d.quantity_kg, remaining_kg
                ));
            }
        }
        other => reasons.push(format!("permit is not valid on {}: {:?}", d.date, other)),
    }
    if !same(&d.exporter, &p.exporter.name) {
        reasons.push(format!(
            "exporter '{}' differs from the permit's '{}'",
            d.exporter, p.exporter.name
        ));
    }
    if !same(&d.importer, &p.importer.name) {
        reasons.push(format!(
            "importer '{}' differs from the permit's '{}'",
            d.importer, p.importer.name
        ));
    }
    if !same(&d.substance, &p.substance) {
        reasons.push(format!(
            "substance '{}' differs from the permit's '{}'",
            d.substance, p.substance
        ));
    }
    if !d.destination.eq_ignore_ascii_case(&p.destination) {
        reasons.push(format!(
            "destination {} differs from the permit's {}",
            d.destination, p.destination
        ));
    }
    if d.quantity_kg <= 0.0 || !d.quantity_kg.is_finite() {
        reasons.push("declared quantity must be positive".into());
    }
    if reasons.is_empty() {
        CustomsOutcome::Release {
            draw_down_kg: d.quantity_kg,
        }
    } else {
        CustomsOutcome::Hold { reasons }
    }
}

/// Compare what left the country with what the importing authority says arrived; a
/// difference beyond `tolerance_percent` of the exported quantity is an alert message.
pub fn receipt_difference(
    exported_kg: f64,
    received_kg: f64,
    tolerance_percent: f64,
) -> Option<String> {
    let diff = received_kg - exported_kg;
    let allowed = exported_kg.abs() * tolerance_percent / 100.0;
    if diff.abs() <= allowed + 1e-9 {
        return None;
    }
    Some(format!(
        "the importing authority endorsed {received_kg} kg received, but {exported_kg} kg left the country ({} {:.6} kg; tolerance {tolerance_percent} %)",
        if diff < 0.0 { "missing" } else { "excess" },
        diff.abs()
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn receipt_difference_beyond_tolerance_alerts() {
        assert_eq!(super::receipt_difference(25.0, 25.0, 0.5), None);
        assert_eq!(super::receipt_difference(25.0, 24.9, 0.5), None);
        let m = super::receipt_difference(25.0, 20.0, 0.5).expect("alert");
        assert!(m.contains("missing 5.000000 kg"), "{m}");
        assert!(super::receipt_difference(25.0, 26.0, 0.5)
            .expect("alert")
            .contains("excess"));
    }

    use super::*;
    use crate::permit::{Party, Permit};
    use ed25519_dalek::SigningKey;

    fn setup() -> (SignedPermit, SigningKey, Declaration) {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let party = |n: &str, c: &str| Party {
            name: n.into(),
            address: "x".into(),
            country: c.into(),
        };
        let permit = Permit {
            number: "P-1".into(),
            exporter: party("Exporter Co", "CN"),
            importer: party("Importer SA", "MX"),
            consignee: party("Importer SA", "MX"),
            substance: "NPP".into(),
            quantity_kg: 25.0,
            destination: "MX".into(),
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("d"),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 31).expect("d"),
            issuer: "MOFCOM".into(),
            cas: None,
            hs_code: None,
        }
        .sign(&key);
        let decl = Declaration {
            permit_number: "P-1".into(),
            exporter: "exporter  co".into(),
            importer: "Importer SA".into(),
            substance: "NPP".into(),
            quantity_kg: 25.0,
            destination: "mx".into(),
            date: NaiveDate::from_ymd_opt(2026, 5, 1).expect("d"),
        };
        (permit, key, decl)
    }

    #[test]
    fn release_when_everything_matches() {
        let (p, k, d) = setup();
        assert_eq!(
            check(&d, &p, &k.verifying_key(), 0.0, false, false),
            CustomsOutcome::Release { draw_down_kg: 25.0 }
        );
    }

    #[test]
    fn hold_lists_every_reason() {
        let (p, k, mut d) = setup();
        d.quantity_kg = 30.0;
        d.importer = "Someone Else".into();
        d.destination = "US".into();
        let CustomsOutcome::Hold { reasons } = check(&d, &p, &k.verifying_key(), 0.0, false, false)
        else {
            panic!("must hold")
        };
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        let (p, k, d) = setup();
        assert!(
            matches!(
                check(&d, &p, &k.verifying_key(), 0.0, false, true),
                CustomsOutcome::Hold { .. }
            ),
            "single shipment already made"
        );
        assert!(
            matches!(
                check(&d, &p, &k.verifying_key(), 0.0, true, false),
                CustomsOutcome::Hold { .. }
            ),
            "revoked"
        );
        let mut forged = p.clone();
        forged.permit.quantity_kg = 1000.0;
        let CustomsOutcome::Hold { reasons } =
            check(&d, &forged, &k.verifying_key(), 0.0, false, false)
        else {
            panic!("forged permit must hold")
        };
        assert!(reasons[0].contains("signature"), "{reasons:?}");
    }
}
