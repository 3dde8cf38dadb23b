//! The export permit on one A4 page.

use crate::pen::{wrap, Pen, GREY_0, GREY_1, MARGIN, PAGE_H, PAGE_W, QR_SIDE};
use crate::{qr, Bilingual, DocumentError, Fonts, Label, Wording};
use control::{Party, SignedPermit};
use krilla::page::PageSettings;
use krilla::Document;
/// Where the values of the field table start.
const VALUE_X: f32 = MARGIN + 150.0;
/// The most lines one value may take (a longer one is cut with "…": a permit's fields
/// are short, and the signed permit in the QR code is the whole of it).
const MAX_LINES: usize = 6;

/// The permit as an A4 PDF: every field with its label in English and Chinese, the
/// verification code, the QR code of [`qr::qr_text`] (pointing at `verify_page`), the
/// signature and the key that made it.
pub fn permit_pdf(
    signed: &SignedPermit,
    verify_page: &str,
    wording: &dyn Wording,
    fonts: &Fonts,
) -> Result<Vec<u8>, DocumentError> {
    let qr_text = qr::qr_text(signed, verify_page);
    let (qr_width, modules) = qr::qr_modules(&qr_text)?;
    let p = &signed.permit;
    let mut document = Document::new();
    let title = wording.label(Label::Title);
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("{} {} / {}", title[0], p.number, title[1]))
            .creator("FentGuard".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| DocumentError::Pdf("A4 is not a page size".into()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut pen = Pen::new(&mut surface, fonts);

    // Title and number, left of the QR code.
    pen.text(MARGIN, 84.0, 22.0, GREY_0, &title[0]);
    pen.text(MARGIN, 112.0, 18.0, GREY_0, &title[1]);
    let number = wording.label(Label::Number);
    pen.text(MARGIN, 150.0, 9.0, GREY_1, &both(&number));
    pen.text(MARGIN, 170.0, 16.0, GREY_0, &p.number);
    let code = wording.label(Label::Code);
    pen.text(MARGIN, 196.0, 9.0, GREY_1, &both(&code));
    pen.text(MARGIN, 214.0, 13.0, GREY_0, &signed.verification_code());
    pen.qr(PAGE_W - MARGIN - QR_SIDE, MARGIN, qr_width, &modules);

    // The fields.
    let party = |x: &Party| vec![x.name.clone(), format!("{} ({})", x.address, x.country)];
    let dates = |d| {
        let [en, zh] = wording.date(d);
        vec![format!("{en} / {zh}")]
    };
    let mut rows: Vec<(Label, Vec<String>)> = vec![
        (Label::Issuer, vec![p.issuer.clone()]),
        (Label::Exporter, party(&p.exporter)),
        (Label::Importer, party(&p.importer)),
        (Label::Consignee, party(&p.consignee)),
        (Label::Substance, vec![p.substance.clone()]),
        (Label::Quantity, vec![format!("{}", p.quantity_kg)]),
        (Label::Destination, vec![p.destination.clone()]),
        (Label::ValidFrom, dates(p.valid_from)),
        (Label::ValidUntil, dates(p.valid_until)),
    ];
    // CAS number and HS code after the substance, when the permit carries them.
    let at = rows
        .iter()
        .position(|r| r.0 == Label::Substance)
        .map_or(rows.len(), |i| i + 1);
    let codes: Vec<(Label, Vec<String>)> = [(Label::Cas, &p.cas), (Label::HsCode, &p.hs_code)]
        .into_iter()
        .filter_map(|(l, v)| v.clone().map(|v| (l, vec![v])))
        .collect();
    rows.splice(at..at, codes);
    let mut y = 262.0;
    let value_width = PAGE_W - MARGIN - VALUE_X;
    for (label, values) in rows {
        let [en, zh] = wording.label(label);
        pen.text(MARGIN, y, 9.0, GREY_1, &en);
        pen.text(MARGIN, y + 12.0, 9.0, GREY_1, &zh);
        let mut line_y = y;
        for value in values {
            for line in wrap(&value, 11.0, value_width, MAX_LINES) {
                pen.text(VALUE_X, line_y, 11.0, GREY_0, &line);
                line_y += 15.0;
            }
        }
        y = (line_y + 10.0).max(y + 34.0);
        pen.rule(MARGIN, y - 16.0, PAGE_W - 2.0 * MARGIN);
    }

    // How to check it, and the signature.
    let note = wording.label(Label::ScanNote);
    let text_width = PAGE_W - 2.0 * MARGIN;
    y += 6.0;
    for text in &note {
        for line in wrap(text, 9.0, text_width, MAX_LINES) {
            pen.text(MARGIN, y, 9.0, GREY_0, &line);
            y += 13.0;
        }
        y += 4.0;
    }
    pen.text(MARGIN, y, 9.0, GREY_0, verify_page);
    y += 24.0;
    for (label, hex) in [
        (Label::Signature, &signed.signature),
        (Label::Key, &signed.key),
    ] {
        pen.text(MARGIN, y, 8.0, GREY_1, &both(&wording.label(label)));
        y += 12.0;
        for line in wrap(hex, 8.0, text_width, MAX_LINES) {
            pen.text(MARGIN, y, 8.0, GREY_0, &line);
            y += 11.0;
        }
        y += 8.0;
    }

    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

/// "Label / 标签".
fn both(label: &Bilingual) -> String {
    format!("{} / {}", label[0], label[1])
}
