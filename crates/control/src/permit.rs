//! Export permits, signed with Ed25519 so that anyone holding the authority's public key
//! can verify one offline, and their status on a date.

use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A party to a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Country (ISO 3166-1 alpha-2).
    pub country: String,
}

/// An export permit: one shipment of one substance to one consignee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permit {
    /// Unique number.
    pub number: String,
    /// Exporter.
    pub exporter: Party,
    /// Importer.
    pub importer: Party,
    /// Consignee.
    pub consignee: Party,
    /// Substance as named on the permit.
    pub substance: String,
    /// Quantity allowed, kg of base.
    pub quantity_kg: f64,
    /// Destination country.
    pub destination: String,
    /// First valid day.
    pub valid_from: NaiveDate,
    /// Last valid day.
    pub valid_until: NaiveDate,
    /// Issuing authority.
    pub issuer: String,
    /// The substance's CAS number, when on file (absent from permits signed before it
    /// was printed, so that their signatures still verify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cas: Option<String>,
    /// The substance's Harmonized System subheading, when on file (likewise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_code: Option<String>,
}

/// A permit with its signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedPermit {
    /// The permit.
    pub permit: Permit,
    /// Ed25519 signature over [`Permit::signing_bytes`], hex.
    pub signature: String,
    /// The signing key's public half, hex (which key to check against).
    pub key: String,
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// Not hex or wrong length.
    #[error("the signature or key is malformed")]
    Malformed,
    /// Signed by another key than the one trusted.
    #[error("signed by a key other than the authority's")]
    UnknownKey,
    /// The permit was altered or the signature forged.
    #[error("the signature does not match the permit (altered or forged)")]
    Invalid,
}

/// Verify `signature` (hex) by `key` (hex, the signer's public key as carried in the
/// document) over `bytes`, trusting only `trusted`.
pub(crate) fn verify_signature(
    bytes: &[u8],
    key: &str,
    signature: &str,
    trusted: &VerifyingKey,
) -> Result<(), SignatureError> {
    let key_bytes: [u8; 32] = hex::decode(key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::Malformed)?;
    if key_bytes != trusted.to_bytes() {
        return Err(SignatureError::UnknownKey);
    }
    let sig_bytes: [u8; 64] = hex::decode(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::Malformed)?;
    trusted
        .verify(bytes, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| SignatureError::Invalid)
}

impl Permit {
    /// The bytes that are signed: the permit as JSON with fields in declaration order
    /// (serde's struct order is fixed, so this is stable).
    pub fn signing_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Sign with the authority's key.
    pub fn sign(self, key: &SigningKey) -> SignedPermit {
        let sig = key.sign(&self.signing_bytes());
        SignedPermit {
            signature: hex::encode(sig.to_bytes()),
            key: hex::encode(key.verifying_key().to_bytes()),
            permit: self,
        }
    }
}

impl SignedPermit {
    /// The verification code printed on the permit (and carried in its QR code): the
    /// first 16 hex digits of the SHA-256 of its signature. Whoever holds the permit can
    /// show the full record to a verifier; the permit number alone (sequential, easy to
    /// guess) shows only validity, status and remaining quantity.
    pub fn verification_code(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.signature.as_bytes()))[..16].to_string()
    }

    /// Verify against the trusted public key.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<(), SignatureError> {
        verify_signature(
            &self.permit.signing_bytes(),
            &self.key,
            &self.signature,
            trusted,
        )
    }
}

/// A permit's status on a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PermitStatus {
    /// Usable; this much is left.
    Valid {
        /// Remaining kg.
        remaining_kg: f64,
    },
    /// Not valid yet.
    NotYetValid,
    /// Past its last day.
    Expired,
    /// Revoked by the authority.
    Revoked,
    /// Fully used (single shipment made, or quantity drawn down).
    Exhausted,
}

/// Status of a permit on `date`, given what was drawn down and whether it was revoked.
pub fn status(
    permit: &Permit,
    date: NaiveDate,
    drawn_kg: f64,
    revoked: bool,
    shipped: bool,
) -> PermitStatus {
    if revoked {
        return PermitStatus::Revoked;
    }
    if date < permit.valid_from {
        return PermitStatus::NotYetValid;
    }
    if date > permit.valid_until {
        return PermitStatus::Expired;
    }
    let remaining = permit.quantity_kg - drawn_kg;
    if shipped || remaining <= 1e-9 {
        return PermitStatus::Exhausted;
    }
    PermitStatus::Valid {
        remaining_kg: remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Permit {
        let p = |n: &str, c: &str| Party {
            name: n.into(),
            address: "1 Road".into(),
            country: c.into(),
        };
        Permit {
            number: "CN-EXP-2026-000001".into(),
            exporter: p("Jiangsu Chem Co.", "CN"),
            importer: p("Quimica SA", "MX"),
            consignee: p("Quimica SA Planta 2", "MX"),
            substance: "N-Phenethyl-4-piperidone".into(),
            quantity_kg: 25.0,
            destination: "MX".into(),
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("d"),
            valid_until: NaiveDate::from_ymd_opt(2026, 6, 30).expect("d"),
            issuer: "Ministry of Commerce".into(),
            cas: None,
            hs_code: None,
        }
    }

    #[test]
    fn permits_signed_before_codes_were_printed_still_verify() {
        // no CAS or HS code: the signed bytes are what they were before those fields
        let bytes = String::from_utf8(sample().signing_bytes()).expect("utf-8");
        assert!(
            !bytes.contains("cas") && !bytes.contains("hs_code"),
            "{bytes}"
        );
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let mut with_codes = sample();
        with_codes.cas = Some("39742-60-4".into());
        with_codes.hs_code = Some("2933.37".into());
        let signed = with_codes.sign(&key);
        assert!(signed.verify(&key.verifying_key()).is_ok());
        let mut altered = signed.clone();
        altered.permit.hs_code = Some("2933.39".into());
        assert!(
            altered.verify(&key.verifying_key()).is_err(),
            "the codes are signed too"
        );
    }

    #[test]
    fn signatures_verify_and_detect_tampering() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let signed = sample().sign(&key);
        assert_eq!(signed.verify(&key.verifying_key()), Ok(()));
        assert_eq!(
            signed.verify(&other.verifying_key()),
            Err(SignatureError::UnknownKey)
        );
        let mut forged = signed.clone();
        forged.permit.quantity_kg = 2500.0;
        assert_eq!(
            forged.verify(&key.verifying_key()),
            Err(SignatureError::Invalid)
        );
        let mut bad = signed.clone();
        bad.signature = "zz".into();
        assert_eq!(
            bad.verify(&key.verifying_key()),
            Err(SignatureError::Malformed)
        );
        // round trip through JSON keeps it verifiable (what a verifier downloads)
        let json = serde_json::to_string(&signed).expect("json");
        let back: SignedPermit = serde_json::from_str(&json).expect("parse");
        assert_eq!(back.verify(&key.verifying_key()), Ok(()));
    }

    #[test]
    fn status_on_dates() {
        let p = sample();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("d");
        assert_eq!(
            status(&p, d(1, 1), 0.0, false, false),
            PermitStatus::Valid { remaining_kg: 25.0 }
        );
        assert_eq!(
            status(&p, d(6, 30), 10.0, false, false),
            PermitStatus::Valid { remaining_kg: 15.0 }
        );
        assert_eq!(
            status(&p, d(7, 1), 0.0, false, false),
            PermitStatus::Expired
        );
        assert_eq!(
            status(
                &p,
                NaiveDate::from_ymd_opt(2025, 12, 31).expect("d"),
                0.0,
                false,
                false
            ),
            PermitStatus::NotYetValid
        );
        assert_eq!(
            status(&p, d(3, 1), 25.0, false, false),
            PermitStatus::Exhausted
        );
        assert_eq!(
            status(&p, d(3, 1), 5.0, false, true),
            PermitStatus::Exhausted
        );
        assert_eq!(status(&p, d(3, 1), 0.0, true, false), PermitStatus::Revoked);
    }
}
