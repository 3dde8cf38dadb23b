//! The export permit on one A4 page.

use crate::{qr, Bilingual, DocumentError, Fonts, Label, Wording};
use control::{Party, SignedPermit};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::TextDirection;
use krilla::Document;

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
/// The QR code's side, quiet zone included (about 60 mm).
const QR_SIDE: f32 = 170.0;
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
    let mut pen = Pen {
        surface: &mut surface,
        fonts,
    };

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
    let rows: Vec<(Label, Vec<String>)> = vec![
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
        pen.rule(y - 16.0);
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

const GREY_0: (u8, u8, u8) = (0, 0, 0);
const GREY_1: (u8, u8, u8) = (90, 90, 90);

/// Draws on the page in the document's font.
struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    fonts: &'a Fonts,
}

impl Pen<'_, '_> {
    fn fill(&mut self, (r, g, b): (u8, u8, u8)) {
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(r, g, b).into(),
            opacity: NormalizedF32::ONE,
            rule: FillRule::NonZero,
        }));
    }

    /// One line of text with its baseline at `y`.
    fn text(&mut self, x: f32, y: f32, size: f32, colour: (u8, u8, u8), text: &str) {
        self.fill(colour);
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.fonts.face.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// A thin line across the text column.
    fn rule(&mut self, y: f32) {
        if let Some(r) = Rect::from_xywh(MARGIN, y, PAGE_W - 2.0 * MARGIN, 0.4) {
            self.fill((200, 200, 200));
            let mut b = PathBuilder::new();
            b.push_rect(r);
            if let Some(path) = b.finish() {
                self.surface.draw_path(&path);
            }
        }
    }

    /// The QR code at (`x`, `y`), `QR_SIDE` wide with a quiet zone of four modules, the
    /// dark modules as one filled path.
    fn qr(&mut self, x: f32, y: f32, width: usize, modules: &[bool]) {
        let cell = QR_SIDE / (width + 8) as f32;
        let (x0, y0) = (x + 4.0 * cell, y + 4.0 * cell);
        let mut b = PathBuilder::new();
        for (i, _) in modules.iter().enumerate().filter(|(_, dark)| **dark) {
            let (row, col) = (i / width, i % width);
            // A hair wider than the cell, so neighbouring modules leave no seam.
            if let Some(r) = Rect::from_xywh(
                x0 + col as f32 * cell,
                y0 + row as f32 * cell,
                cell + 0.05,
                cell + 0.05,
            ) {
                b.push_rect(r);
            }
        }
        self.fill(GREY_0);
        if let Some(path) = b.finish() {
            self.surface.draw_path(&path);
        }
    }
}

/// The width of `c` in ems, over-estimated so that a wrapped line never overflows:
/// Latin letters and digits are narrower than an em, CJK ideographs an em.
fn char_em(c: char) -> f32 {
    if c.is_ascii() {
        0.62
    } else {
        1.0
    }
}

/// `text` in lines no wider than `width` at `size`, broken at spaces where possible
/// (anywhere in a word too long for a line, as in hex or in Chinese), at most `max`
/// lines, the last cut with "…" when more would be needed.
pub(crate) fn wrap(text: &str, size: f32, width: f32, max: usize) -> Vec<String> {
    let fits = |s: &str| s.chars().map(char_em).sum::<f32>() * size <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone, cut where it no longer fits.
        for c in word.chars() {
            line.push(c);
            if !fits(&line) {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_breaks_at_spaces_cuts_long_words_and_marks_what_is_left_out() {
        // 10 pt in 63 pt: 10 ASCII characters a line.
        assert_eq!(wrap("ab cd ef", 10.0, 63.0, 5), vec!["ab cd ef"]);
        assert_eq!(
            wrap("abcdef ghijkl", 10.0, 63.0, 5),
            vec!["abcdef", "ghijkl"]
        );
        assert_eq!(
            wrap("0123456789abcdef", 10.0, 63.0, 5),
            vec!["0123456789", "abcdef"]
        );
        // Chinese: an em each, six to a line.
        assert_eq!(wrap("江苏化工有限公司出口", 10.0, 63.0, 5).len(), 2);
        let cut = wrap(&"x".repeat(100), 10.0, 63.0, 3);
        assert_eq!(cut.len(), 3);
        assert!(cut[2].ends_with('…'));
        assert_eq!(wrap("", 10.0, 63.0, 3), vec![""]);
    }
}
