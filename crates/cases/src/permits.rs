//! Permits at the border: anyone verifies a permit by its number (and, with the code
//! printed on it, reads the whole signed permit); those entitled read its record; customs
//! lodges a declaration against it (released and drawn down, or held with every reason)
//! and confirms the exit. The same use cases for the API and the pages.

use crate::{new_id, same_secret, CaseError, Code, Services};
use chrono::NaiveDate;
use control::{may, CustomsOutcome, Declaration, Operation, Principal, SignedPermit};
use serde::Serialize;
use store::{Alert, DeclarationRecord, PermitRecord};

/// Where a permit stands for a verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Usable now.
    Valid,
    /// Its first day has not come.
    NotYetValid,
    /// Past its last day.
    Expired,
    /// Revoked by the authority.
    Revoked,
    /// Used up (its single shipment made, or its quantity drawn down).
    Exhausted,
    /// The signature does not verify against the authority's key: not a genuine permit.
    InvalidSignature,
}

/// A permit as a verifier sees it.
pub struct Verification {
    /// Number.
    pub number: String,
    /// Where it stands.
    pub standing: Standing,
    /// kg left, when valid.
    pub remaining_kg: Option<f64>,
    /// Whether the signature verifies against the authority's key.
    pub signature_valid: bool,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// Last valid day.
    pub valid_until: NaiveDate,
    /// The whole signed permit (parties, substance, quantity), given the right code.
    pub signed: Option<SignedPermit>,
}

async fn record(s: &Services, number: &str) -> Result<PermitRecord, CaseError> {
    s.store
        .get_permit(number.trim())
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("no permit numbered {}", number.trim())))
}

/// Verify a permit; no sign-in needed. With `code` (printed on the permit and in its QR
/// code) the whole signed permit is given; a wrong code is refused, never answered with
/// less.
pub async fn verify(
    s: &Services,
    number: &str,
    code: Option<&str>,
) -> Result<Verification, CaseError> {
    let rec = record(s, number).await?;
    let full = match code.map(str::trim) {
        None | Some("") => false,
        Some(code) => {
            if !same_secret(&code.to_ascii_lowercase(), &rec.signed.verification_code()) {
                return Err(CaseError::Denied(control::Denied(format!(
                    "the verification code does not match permit {}",
                    number.trim()
                ))));
            }
            true
        }
    };
    let today = s.clock.now().date_naive();
    let signature_valid = rec.signed.verify(&s.key_for(&rec.signed)).is_ok();
    let p = &rec.signed.permit;
    let status = control::permit::status(p, today, rec.drawn_kg, rec.revoked, rec.shipped);
    let (standing, remaining_kg) = match (status, signature_valid) {
        (_, false) => (Standing::InvalidSignature, None),
        (control::PermitStatus::Valid { remaining_kg }, true) => {
            (Standing::Valid, Some(remaining_kg))
        }
        (control::PermitStatus::NotYetValid, true) => (Standing::NotYetValid, None),
        (control::PermitStatus::Expired, true) => (Standing::Expired, None),
        (control::PermitStatus::Revoked, true) => (Standing::Revoked, None),
        (control::PermitStatus::Exhausted, true) => (Standing::Exhausted, None),
    };
    Ok(Verification {
        number: p.number.clone(),
        standing,
        remaining_kg,
        signature_valid,
        valid_from: p.valid_from,
        valid_until: p.valid_until,
        signed: full.then(|| rec.signed.clone()),
    })
}

/// The full permit record, for those entitled to it (customs, the authority's officers,
/// its exporter, the destination's authority).
pub async fn read(s: &Services, p: &Principal, number: &str) -> Result<PermitRecord, CaseError> {
    let rec = record(s, number).await?;
    may(
        p,
        &Operation::ReadPermit {
            exporter: &rec.exporter_org,
            destination: &rec.signed.permit.destination,
        },
    )?;
    Ok(rec)
}

/// A lodged declaration and what is left on its permit.
pub struct Lodged {
    /// The declaration as stored, with its outcome.
    pub record: DeclarationRecord,
    /// kg left on the permit after it (`None`: no such permit).
    pub remaining_kg: Option<f64>,
}

/// Customs lodges a declaration: released and drawn down when the permit is genuine,
/// valid and everything matches; otherwise held, with every reason. Stored either way.
pub async fn declare(
    s: &Services,
    p: &Principal,
    mut declaration: Declaration,
) -> Result<Lodged, CaseError> {
    may(p, &Operation::Customs)?;
    let now = s.clock.now();
    declaration.permit_number = declaration.permit_number.trim().to_string();
    let mut tx = s.store.write().await?;
    // Read the permit inside the transaction: two declarations cannot both draw the
    // same remaining quantity.
    let rec = tx.get_permit(&declaration.permit_number).await?;
    let (outcome, remaining_kg) = match &rec {
        None => (
            CustomsOutcome::Hold {
                reasons: vec![format!("no permit numbered {}", declaration.permit_number)],
            },
            None,
        ),
        Some(r) => {
            let o = control::customs::check(
                &declaration,
                &r.signed,
                &s.key_for(&r.signed),
                r.drawn_kg,
                r.revoked,
                r.shipped,
            );
            let drawn = match &o {
                CustomsOutcome::Release { draw_down_kg } => r.drawn_kg + draw_down_kg,
                CustomsOutcome::Hold { .. } => r.drawn_kg,
            };
            (o, Some(r.signed.permit.quantity_kg - drawn))
        }
    };
    let id = new_id("decl")?;
    let record = DeclarationRecord {
        id: id.clone(),
        declaration,
        outcome: outcome.clone(),
        exited: false,
        lodged_by: p.user.clone(),
        at: now,
    };
    if let (Some(mut r), CustomsOutcome::Release { draw_down_kg }) = (rec, &outcome) {
        let before = serde_json::json!({"drawn_kg": r.drawn_kg});
        r.drawn_kg += draw_down_kg;
        tx.update_permit_use(&r).await?;
        tx.audit(
            now,
            &p.user,
            "permit.draw_down",
            &format!("permit/{}", r.signed.permit.number),
            before,
            serde_json::json!({"drawn_kg": r.drawn_kg, "declaration": id}),
        )
        .await?;
    }
    tx.put_declaration(&record).await?;
    tx.audit(
        now,
        &p.user,
        "customs.declare",
        &format!("declaration/{id}"),
        serde_json::Value::Null,
        serde_json::to_value(&record).unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    Ok(Lodged {
        record,
        remaining_kg,
    })
}

/// A declaration customs may see.
pub async fn declaration(
    s: &Services,
    p: &Principal,
    id: &str,
) -> Result<DeclarationRecord, CaseError> {
    may(p, &Operation::Customs)?;
    s.store
        .declaration(id)
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("no customs declaration {id}")))
}

/// An exit confirmed.
pub struct Exited {
    /// The declaration.
    pub declaration: String,
    /// Its permit.
    pub permit: String,
    /// kg that have left under the permit.
    pub exited_kg: f64,
}

/// Customs confirms the released goods left the country (the single shipment is made).
pub async fn confirm_exit(s: &Services, p: &Principal, id: &str) -> Result<Exited, CaseError> {
    let mut d = declaration(s, p, id).await?;
    let CustomsOutcome::Release { draw_down_kg } = d.outcome else {
        return Err(CaseError::conflict(
            Code::WrongState,
            format!("declaration {id} was held: goods on hold cannot exit"),
        ));
    };
    if d.exited {
        return Err(CaseError::conflict(
            Code::WrongState,
            format!("exit of declaration {id} was already confirmed"),
        ));
    }
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let mut r = tx
        .get_permit(&d.declaration.permit_number)
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("no permit {}", d.declaration.permit_number)))?;
    let before = serde_json::json!({"shipped": r.shipped, "exited_kg": r.exited_kg});
    r.shipped = true;
    r.exited_kg += draw_down_kg;
    d.exited = true;
    tx.update_permit_use(&r).await?;
    tx.put_declaration(&d).await?;
    tx.audit(
        now,
        &p.user,
        "customs.exit",
        &format!("permit/{}", r.signed.permit.number),
        before,
        serde_json::json!({"shipped": true, "exited_kg": r.exited_kg, "declaration": id}),
    )
    .await?;
    tx.commit().await?;
    Ok(Exited {
        declaration: d.id,
        permit: r.signed.permit.number,
        exited_kg: r.exited_kg,
    })
}

/// The importing authority's endorsement of what arrived.
pub struct Receipt {
    /// kg that left under the permit.
    pub exited_kg: f64,
    /// The alert raised when the quantities differ beyond the tolerance (a claim of the
    /// importing authority about the exporter, weighing once the exporting country's
    /// authority confirms it), published to subscribers once committed.
    pub alert: Option<Alert>,
}

/// Open a permit for the importing country's authority to endorse what arrived. Front
/// ends open it before they read the endorsement, so a stranger is refused first.
pub async fn open_for_receipt(
    s: &Services,
    p: &Principal,
    number: &str,
) -> Result<PermitRecord, CaseError> {
    let rec = record(s, number).await?;
    may(
        p,
        &Operation::EndorseReceipt {
            destination: &rec.signed.permit.destination,
        },
    )?;
    Ok(rec)
}

/// The importing country's authority endorses the quantity received under a permit;
/// `rec` comes from [`open_for_receipt`].
pub async fn endorse_receipt(
    s: &Services,
    p: &Principal,
    rec: PermitRecord,
    received_kg: f64,
) -> Result<Receipt, CaseError> {
    if !(received_kg.is_finite() && received_kg >= 0.0) {
        return Err(CaseError::refused(
            Code::InvalidInput,
            "received_kg: must be a number of kg, zero or more",
        ));
    }
    let number = rec.signed.permit.number.as_str();
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let mut r = tx
        .get_permit(number)
        .await?
        .ok_or_else(|| CaseError::NotFound(format!("no permit {number}")))?;
    if !r.shipped {
        return Err(CaseError::conflict(
            Code::WrongState,
            format!("no exit has been confirmed under permit {number}"),
        ));
    }
    if r.received_kg.is_some() {
        return Err(CaseError::conflict(
            Code::WrongState,
            format!("receipt under permit {number} was already endorsed"),
        ));
    }
    r.received_kg = Some(received_kg);
    tx.update_permit_use(&r).await?;
    tx.audit(
        now,
        &p.user,
        "permit.endorse_receipt",
        &format!("permit/{number}"),
        serde_json::json!({"received_kg": null}),
        serde_json::json!({"received_kg": received_kg, "exited_kg": r.exited_kg}),
    )
    .await?;
    let alert = match control::customs::receipt_difference(
        r.exited_kg,
        received_kg,
        s.rules.workflow.receipt_tolerance_percent,
    ) {
        Some(message) => {
            let a = Alert {
                id: new_id("alert")?,
                at: now,
                kind: "receipt_difference".into(),
                subject: format!("permit/{number}"),
                message,
                org: p.org.clone(),
                event_id: None,
                rule: None,
                concerns: Some(r.exporter_org.clone()),
                confirmed: None,
            };
            tx.insert_alert(&a).await?;
            tx.audit(
                now,
                &p.user,
                "alert.raise",
                &format!("alert/{}", a.id),
                serde_json::Value::Null,
                serde_json::to_value(&a).unwrap_or_default(),
            )
            .await?;
            Some(a)
        }
        None => None,
    };
    tx.commit().await?;
    s.publish_alerts(alert.iter());
    Ok(Receipt {
        exited_kg: r.exited_kg,
        alert,
    })
}
