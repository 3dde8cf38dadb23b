//! The printed permit: its QR code, read by a QR decoder (rqrr, not the encoder that
//! made it), gives back the signed permit, which verifies with the authority's public key
//! alone; an altered one does not. The PDF is made in the font that covers Chinese.

use chrono::NaiveDate;
use control::{Party, Permit, SignedPermit};
use documents::{
    permit_from_qr, permit_reference, qr_modules, qr_text, Bilingual, Fonts, Label, QrError,
    Wording,
};
use ed25519_dalek::SigningKey;

fn party(name: &str, address: &str, country: &str) -> Party {
    Party {
        name: name.into(),
        address: address.into(),
        country: country.into(),
    }
}

fn signed(key: &SigningKey) -> SignedPermit {
    Permit {
        number: "CN-EXP-2026-000042".into(),
        exporter: party(
            "江苏化工有限公司 Jiangsu Chemical Co., Ltd.",
            "南京市玄武区中山路 1 号, Nanjing",
            "CN",
        ),
        importer: party("Química Industrial SA de CV", "Av. Reforma 100, CDMX", "MX"),
        consignee: party(
            "Química Industrial Planta 2",
            "Carretera 57 km 12, SLP",
            "MX",
        ),
        substance: "N-Phenethyl-4-piperidone (NPP), CAS 39742-60-4".into(),
        quantity_kg: 25.5,
        destination: "MX".into(),
        valid_from: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        valid_until: NaiveDate::from_ymd_opt(2027, 5, 31).expect("date"),
        issuer: "National Narcotics Control Commission (CN)".into(),
        cas: None,
        hs_code: None,
    }
    .sign(key)
}

/// Render the modules as a greyscale image (4 px a module, quiet zone of 4) and read it
/// with rqrr.
fn decode(width: usize, modules: &[bool]) -> String {
    let px = 4;
    let side = (width + 8) * px;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (col, row) = ((x / px).wrapping_sub(4), (y / px).wrapping_sub(4));
        if col < width && row < width && modules[row * width + col] {
            0
        } else {
            255
        }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code is found");
    let (_meta, text) = grids[0].decode().expect("the QR code decodes");
    text
}

#[test]
fn the_qr_code_decodes_to_a_permit_that_verifies_offline() {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let permit = signed(&key);
    let text = qr_text(&permit, "https://fentguard.example.gov.cn/verify");
    let (width, modules) = qr_modules(&text).expect("fits in a QR code");
    let scanned = decode(width, &modules);
    assert_eq!(scanned, text);
    assert!(scanned
        .starts_with("https://fentguard.example.gov.cn/verify?number=CN-EXP-2026-000042&code="));
    let read = permit_from_qr(&scanned).expect("a permit");
    assert_eq!(read, permit);
    read.verify(&key.verifying_key())
        .expect("verifies with the authority's public key");
    // Another authority's key does not vouch for it.
    let other = SigningKey::from_bytes(&[7u8; 32]);
    assert!(read.verify(&other.verifying_key()).is_err());
    // What a scanner types into a page's box names the permit and its code.
    assert_eq!(
        permit_reference(&scanned),
        Some((
            permit.permit.number.clone(),
            Some(permit.verification_code())
        ))
    );
    assert_eq!(
        permit_reference("CN-EXP-2026-000042"),
        None,
        "a number typed by hand"
    );
    assert_eq!(
        permit_reference("https://x/verify?code=1"),
        None,
        "no number"
    );
}

#[test]
fn an_altered_qr_text_is_not_a_genuine_permit() {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let permit = signed(&key);
    // The quantity raised inside the signed part, signature kept: does not verify.
    let mut forged = permit.clone();
    forged.permit.quantity_kg = 255.0;
    let text = qr_text(&forged, "https://x/verify");
    let read = permit_from_qr(&text).expect("well formed");
    assert!(read.verify(&key.verifying_key()).is_err());
    // The address pointing at another permit's page.
    let text = qr_text(&permit, "https://x/verify").replace("000042&", "000043&");
    assert!(matches!(
        permit_from_qr(&text),
        Err(QrError::NumberMismatch { .. })
    ));
    // Not a permit's QR code at all, or damaged.
    assert_eq!(
        permit_from_qr("https://x/verify?number=1"),
        Err(QrError::NoPermit)
    );
    assert!(matches!(
        permit_from_qr("https://x/verify#fgp1=!!!"),
        Err(QrError::Damaged(_))
    ));
    assert!(matches!(
        permit_from_qr(&"a".repeat(10_000)),
        Err(QrError::TooLong(_))
    ));
}

struct Both;

impl Wording for Both {
    fn label(&self, label: Label) -> Bilingual {
        [format!("en:{}", label.id()), format!("中文:{}", label.id())]
    }
    fn date(&self, d: NaiveDate) -> Bilingual {
        [d.to_string(), d.format("%Y年%m月%d日").to_string()]
    }
}

/// Needs a font that covers Chinese (Debian: fonts-noto-cjk). Without one the document
/// is refused, never printed with missing glyphs: CI installs the font, so there this
/// test makes the PDF.
#[test]
fn the_permit_prints_as_one_a4_page_with_the_font_embedded() {
    let fonts = match Fonts::find() {
        Ok(f) => f,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have a font for printing: {e}"
            );
            eprintln!("skipped: {e}");
            return;
        }
    };
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let pdf =
        documents::permit_pdf(&signed(&key), "https://x/verify", &Both, &fonts).expect("a PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert_eq!(
        text.matches("/Type /Page\n").count()
            + text.matches("/Type /Page/").count()
            + text.matches("/Type /Page ").count(),
        1,
        "one page"
    );
    assert!(text.contains("/MediaBox [0 0 595.28 841.89]"), "A4");
    assert!(text.contains("/FontFile"), "the font is embedded");
    // A subset: far smaller than the 20 MB collection it came from.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
}
