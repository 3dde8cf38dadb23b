//! Drawing on a PDF page in the document's font: text, rules, QR codes, structure
//! drawings; and wrapping text to a width. Shared by every document.

use crate::drawing::{span_width, Drawing, Shape, Span};
use crate::Fonts;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule, LineCap, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::TextDirection;

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN: f32 = 56.0;
/// The QR code's side, quiet zone included (about 60 mm).
pub(crate) const QR_SIDE: f32 = 170.0;

pub(crate) const GREY_0: (u8, u8, u8) = (0, 0, 0);
pub(crate) const GREY_1: (u8, u8, u8) = (90, 90, 90);

/// Draws on the page in the document's font.
pub(crate) struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    fonts: &'a Fonts,
}

impl<'a, 'b> Pen<'a, 'b> {
    /// A pen for `surface`, writing in `fonts`.
    pub(crate) fn new(surface: &'a mut Surface<'b>, fonts: &'a Fonts) -> Self {
        Pen { surface, fonts }
    }

    fn fill(&mut self, (r, g, b): (u8, u8, u8)) {
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(r, g, b).into(),
            opacity: NormalizedF32::ONE,
            rule: FillRule::NonZero,
        }));
    }

    /// One line of text with its baseline at `y`.
    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, colour: (u8, u8, u8), text: &str) {
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

    /// A thin horizontal line `width` long from (`x`, `y`).
    pub(crate) fn rule(&mut self, x: f32, y: f32, width: f32) {
        if let Some(r) = Rect::from_xywh(x, y, width, 0.4) {
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
    pub(crate) fn qr(&mut self, x: f32, y: f32, width: usize, modules: &[bool]) {
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

    /// A structure drawing with its top left at (`x`, `y`), `scale` points per bond
    /// length: the same shapes as the SVG of [`Drawing::svg`].
    pub(crate) fn drawing(&mut self, d: &Drawing, x: f32, y: f32, scale: f32) {
        let at =
            |p: chem::layout::Point| Point::from_xy(x + p.x as f32 * scale, y + p.y as f32 * scale);
        for shape in &d.shapes {
            match shape {
                Shape::Line {
                    from,
                    to,
                    width,
                    colour,
                    dashed,
                } => {
                    let mut b = PathBuilder::new();
                    b.move_to(at(*from).x, at(*from).y);
                    b.line_to(at(*to).x, at(*to).y);
                    let Some(path) = b.finish() else { continue };
                    self.surface.set_fill(None);
                    self.surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
                        width: *width as f32 * scale,
                        line_cap: LineCap::Round,
                        dash: dashed.then(|| StrokeDash {
                            array: vec![0.1 * scale, 0.1 * scale],
                            offset: 0.0,
                        }),
                        ..Stroke::default()
                    }));
                    self.surface.draw_path(&path);
                    self.surface.set_stroke(None);
                }
                Shape::Polygon { points, colour } => {
                    let mut b = PathBuilder::new();
                    for (i, p) in points.iter().enumerate() {
                        let q = at(*p);
                        if i == 0 {
                            b.move_to(q.x, q.y);
                        } else {
                            b.line_to(q.x, q.y);
                        }
                    }
                    b.close();
                    if let Some(path) = b.finish() {
                        self.fill((colour.0, colour.1, colour.2));
                        self.surface.draw_path(&path);
                    }
                }
                Shape::Disc {
                    centre,
                    radius,
                    colour,
                } => {
                    let c = at(*centre);
                    let (r, mut b) = (*radius as f32 * scale, PathBuilder::new());
                    // a circle as four cubic Béziers (k = 4(√2 − 1)/3)
                    let k = 0.552_284_8 * r;
                    b.move_to(c.x + r, c.y);
                    b.cubic_to(c.x + r, c.y + k, c.x + k, c.y + r, c.x, c.y + r);
                    b.cubic_to(c.x - k, c.y + r, c.x - r, c.y + k, c.x - r, c.y);
                    b.cubic_to(c.x - r, c.y - k, c.x - k, c.y - r, c.x, c.y - r);
                    b.cubic_to(c.x + k, c.y - r, c.x + r, c.y - k, c.x + r, c.y);
                    b.close();
                    if let Some(path) = b.finish() {
                        self.fill((colour.0, colour.1, colour.2));
                        self.surface.draw_path(&path);
                    }
                }
                Shape::Label {
                    at: p,
                    anchor_span,
                    spans,
                    colour,
                } => {
                    let size = 0.46 * scale;
                    let before: f64 = spans[..*anchor_span].iter().map(span_width).sum();
                    let symbol = spans.get(*anchor_span).map(span_width).unwrap_or(0.0);
                    let q = at(*p);
                    let mut cx = q.x - (before + symbol / 2.0) as f32 * size;
                    let base = q.y + size * 0.36;
                    for span in spans {
                        let (text, s, dy) = match span {
                            Span::Text(t) => (t, size, 0.0),
                            Span::Sub(t) => (t, size * 0.7, size * 0.25),
                            Span::Super(t) => (t, size * 0.7, -size * 0.4),
                        };
                        self.text(cx, base + dy, s, (colour.0, colour.1, colour.2), text);
                        cx += span_width(span) as f32 * size;
                    }
                }
                Shape::Number { at: p, text } => {
                    let size = 0.3 * scale;
                    let q = at(*p);
                    let w = 0.62 * text.chars().count() as f32 * size;
                    self.text(q.x - w / 2.0, q.y + size * 0.36, size, (90, 90, 90), text);
                }
            }
        }
    }

    /// A filled rectangle (a legend's swatch).
    pub(crate) fn swatch(&mut self, x: f32, y: f32, side: f32, colour: (u8, u8, u8)) {
        if let Some(r) = Rect::from_xywh(x, y, side, side) {
            self.fill(colour);
            let mut b = PathBuilder::new();
            b.push_rect(r);
            if let Some(path) = b.finish() {
                self.surface.draw_path(&path);
            }
        }
    }
}

/// The width of `c` in ems, over-estimated so that a wrapped line never overflows:
/// Latin letters and digits are narrower than an em, CJK ideographs an em.
pub(crate) fn char_em(c: char) -> f32 {
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
