//! `fentguard verify-permit`: check a printed permit offline, from the text of its QR
//! code and the issuing authority's public key; no server, no network.

use anyhow::{bail, Context, Result};
use ed25519_dalek::VerifyingKey;
use std::io::Read;
use std::process::ExitCode;

/// Verify the signed permit a QR text carries against `public_key` (hex). Prints the
/// permit when genuine (exit 0); says why not otherwise (exit 1).
pub fn verify(public_key: &str, text: Option<String>) -> Result<ExitCode> {
    let bytes: [u8; 32] = hex::decode(public_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("--public-key must be the authority's Ed25519 public key: 64 hex digits")?;
    let key = VerifyingKey::from_bytes(&bytes).context("--public-key is not an Ed25519 key")?;
    let text = match text {
        Some(t) => t,
        None => {
            let mut t = String::new();
            // A QR code holds under 3 kB; read no more than a little over that.
            std::io::stdin()
                .take(8192)
                .read_to_string(&mut t)
                .context("reading the QR text from standard input")?;
            t
        }
    };
    // zbarimg prefixes its type ("QR-Code:") unless told --raw.
    let text = text.trim().trim_start_matches("QR-Code:");
    let signed = match documents::permit_from_qr(text) {
        Ok(s) => s,
        Err(e) => bail!("not a permit: {e}"),
    };
    let p = &signed.permit;
    match signed.verify(&key) {
        Ok(()) => {
            say!("genuine: permit {} signed by the authority's key", p.number);
            say!("  issued by    {}", p.issuer);
            say!(
                "  exporter     {} ({})",
                p.exporter.name,
                p.exporter.country
            );
            say!(
                "  importer     {} ({})",
                p.importer.name,
                p.importer.country
            );
            say!(
                "  consignee    {} ({})",
                p.consignee.name,
                p.consignee.country
            );
            say!("  substance    {}", p.substance);
            if let Some(cas) = &p.cas {
                say!("  CAS number   {cas}");
            }
            if let Some(hs) = &p.hs_code {
                say!("  HS code      {hs}");
            }
            say!("  quantity     {} kg to {}", p.quantity_kg, p.destination);
            say!("  valid        {} to {}", p.valid_from, p.valid_until);
            say!("whether it is still valid today (revoked, used up) only the issuing authority's verification page can say");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("NOT GENUINE: permit {} as printed: {e}", p.number);
            Ok(ExitCode::from(1))
        }
    }
}
