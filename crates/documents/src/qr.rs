//! The permit's QR code: the address of its verification page (number and code in the
//! query, which a phone opens) with the whole signed permit in the fragment (which a
//! browser never sends), so an officer without a network can check the permit with the
//! authority's public key alone.

use crate::DocumentError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use control::SignedPermit;
use thiserror::Error;

/// What precedes the signed permit in the fragment (names the encoding, so that a later
/// one can be told apart).
const FRAGMENT_TAG: &str = "fgp1=";

/// The most characters a QR text is read from: a QR code holds at most 2,953 bytes.
const MAX_TEXT: usize = 4096;

/// Why a scanned text is not a permit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QrError {
    /// Too long to have come from a permit's QR code.
    #[error("the text is {0} bytes, longer than a permit's QR code holds")]
    TooLong(usize),
    /// No signed permit in it (not a FentGuard permit's QR code, or a page address only).
    #[error("the text carries no signed permit (expected '#{FRAGMENT_TAG}…' after the address)")]
    NoPermit,
    /// The signed permit is not valid base64url or JSON of a signed permit.
    #[error("the signed permit in the text is damaged: {0}")]
    Damaged(String),
    /// The address names another permit than the one signed.
    #[error("the address names permit {in_address} but the signed permit is {signed}")]
    NumberMismatch {
        /// The number in the address's query.
        in_address: String,
        /// The number in the signed permit.
        signed: String,
    },
}

/// The text of a permit's QR code: `{verify_page}?number=…&code=…#fgp1=<signed permit,
/// JSON, base64url>`.
pub fn qr_text(signed: &SignedPermit, verify_page: &str) -> String {
    let query = serde_urlencoded::to_string([
        ("number", signed.permit.number.as_str()),
        ("code", signed.verification_code().as_str()),
    ])
    .unwrap_or_default();
    let json = serde_json::to_vec(signed).unwrap_or_default();
    format!(
        "{verify_page}?{query}#{FRAGMENT_TAG}{}",
        URL_SAFE_NO_PAD.encode(json)
    )
}

/// The signed permit a scanned QR text carries. It is not yet verified: check it with
/// `SignedPermit::verify` against the authority's public key.
pub fn permit_from_qr(text: &str) -> Result<SignedPermit, QrError> {
    let text = text.trim();
    if text.len() > MAX_TEXT {
        return Err(QrError::TooLong(text.len()));
    }
    let (address, fragment) = text.split_once('#').ok_or(QrError::NoPermit)?;
    let encoded = fragment
        .strip_prefix(FRAGMENT_TAG)
        .ok_or(QrError::NoPermit)?;
    let json = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|e| QrError::Damaged(e.to_string()))?;
    let signed: SignedPermit =
        serde_json::from_slice(&json).map_err(|e| QrError::Damaged(e.to_string()))?;
    // The address a phone opens must be this permit's, or the page shown would not be.
    if let Some((_, query)) = address.split_once('?') {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        if let Some((_, n)) = pairs.iter().find(|(k, _)| k == "number") {
            if n != &signed.permit.number {
                return Err(QrError::NumberMismatch {
                    in_address: n.clone(),
                    signed: signed.permit.number.clone(),
                });
            }
        }
    }
    Ok(signed)
}

/// The permit number and verification code a scanned QR text (or the verification
/// page's address) names in its query, so that a page can look the permit up from what a
/// scanner types into its box; `None` when the text is not such an address (a number
/// typed by hand).
pub fn permit_reference(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim();
    if text.len() > MAX_TEXT {
        return None;
    }
    let address = text.split('#').next()?;
    let (_, query) = address.split_once('?')?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let number = pairs
        .iter()
        .find(|(k, _)| k == "number")?
        .1
        .trim()
        .to_string();
    let code = pairs
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, c)| c.trim().to_string())
        .filter(|c| !c.is_empty());
    (!number.is_empty()).then_some((number, code))
}

/// The QR code of `text` as rows of modules (`true` dark), `width` × `width`, without
/// the quiet zone. Error correction M (15 % of the code may be damaged).
pub fn qr_modules(text: &str) -> Result<(usize, Vec<bool>), DocumentError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| DocumentError::Qr(e.to_string()))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok((width, dark))
}
