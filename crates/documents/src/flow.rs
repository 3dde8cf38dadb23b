//! Documents that flow over as many A4 pages as they need: a title, headings, labelled
//! fields (labels in English and Chinese), text, lists, tables and structure drawings
//! with their legends. The caller says what the document holds ([`Block`]s, in its own
//! words); this module sets it: wraps text, breaks pages between pieces (a heading stays
//! with what follows it), numbers the pages and embeds the font as a subset. The
//! classification report and the pre-export notification are made this way.

use crate::drawing::{Colour, Drawing};
use crate::pen::{wrap, Pen, GREY_0, GREY_1, MARGIN, PAGE_H, PAGE_W};
use crate::{Bilingual, DocumentError, Fonts};
use krilla::page::PageSettings;
use krilla::Document;

/// A document's content.
#[derive(Clone, Debug)]
pub struct Flow {
    /// The PDF's title (its metadata).
    pub title: String,
    /// Printed at the foot of every page, before the page number.
    pub footer: String,
    /// What it says, in order.
    pub blocks: Vec<Block>,
}

/// One part of a document.
#[derive(Clone, Debug)]
pub enum Block {
    /// The document's title, in English then Chinese.
    Title(Bilingual),
    /// A heading (kept on the page of what follows it).
    Heading(String),
    /// A label in both languages and its value, one line or several.
    Field {
        /// The label.
        label: Bilingual,
        /// The value's lines (each wrapped further if long).
        values: Vec<String>,
    },
    /// A paragraph.
    Text(String),
    /// A paragraph in small grey type.
    Note(String),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// A structure drawing and its legend (colour, what it marks).
    Structure {
        /// The drawing.
        drawing: Drawing,
        /// Its legend.
        legend: Vec<(Colour, String)>,
    },
    /// A table: column headings, rows, and each column's share of the width (they sum
    /// to 1; a row with fewer cells leaves the rest empty).
    Table {
        /// Column headings.
        header: Vec<String>,
        /// Rows.
        rows: Vec<Vec<String>>,
        /// Column widths as shares of the text column.
        widths: Vec<f32>,
    },
    /// A thin line across the column.
    Rule,
}

const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
const TOP: f32 = MARGIN;
const BOTTOM: f32 = PAGE_H - MARGIN - 14.0;
const VALUE_X: f32 = 150.0;
const MAX_LINES: usize = 200;
/// Structure drawings are at most this many points per bond length.
const BOND: f32 = 22.0;

/// Something drawn at an offset from the top left of its piece.
enum Op<'a> {
    Text {
        x: f32,
        y: f32,
        size: f32,
        grey: (u8, u8, u8),
        text: String,
    },
    Drawing {
        drawing: &'a Drawing,
        x: f32,
        y: f32,
        scale: f32,
    },
    Swatch {
        x: f32,
        y: f32,
        colour: Colour,
    },
    Rule {
        y: f32,
    },
}

/// What is never split across pages.
struct Piece<'a> {
    height: f32,
    keep_with_next: bool,
    ops: Vec<Op<'a>>,
}

impl<'a> Piece<'a> {
    fn new(height: f32) -> Self {
        Piece {
            height,
            keep_with_next: false,
            ops: Vec::new(),
        }
    }

    /// Wrapped lines of `text` at `size` from (`x`, `y`) in `width`; the y after them.
    fn lines(
        &mut self,
        text: &str,
        x: f32,
        mut y: f32,
        size: f32,
        width: f32,
        grey: (u8, u8, u8),
    ) -> f32 {
        let leading = size * 1.35;
        for line in wrap(text, size, width, MAX_LINES) {
            y += leading;
            self.ops.push(Op::Text {
                x,
                y: y - leading * 0.25,
                size,
                grey,
                text: line,
            });
        }
        y
    }
}

fn pieces(blocks: &[Block]) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Title([en, zh]) => {
                let mut p = Piece::new(0.0);
                let y = p.lines(en, 0.0, 0.0, 20.0, WIDTH, GREY_0);
                let y = p.lines(zh, 0.0, y, 15.0, WIDTH, GREY_0);
                p.height = y + 12.0;
                out.push(p);
            }
            Block::Heading(text) => {
                let mut p = Piece::new(0.0);
                let y = p.lines(text, 0.0, 8.0, 13.0, WIDTH, GREY_0);
                p.height = y + 4.0;
                p.keep_with_next = true;
                out.push(p);
            }
            Block::Field {
                label: [en, zh],
                values,
            } => {
                let mut p = Piece::new(0.0);
                let l = p.lines(en, 0.0, 0.0, 8.5, VALUE_X - 8.0, GREY_1);
                let l = p.lines(zh, 0.0, l, 8.5, VALUE_X - 8.0, GREY_1);
                let mut v = 0.0;
                for value in values {
                    v = p.lines(value, VALUE_X, v, 10.0, WIDTH - VALUE_X, GREY_0);
                }
                p.height = l.max(v) + 6.0;
                out.push(p);
            }
            Block::Text(text) => {
                let mut p = Piece::new(0.0);
                p.height = p.lines(text, 0.0, 0.0, 10.0, WIDTH, GREY_0) + 4.0;
                out.push(p);
            }
            Block::Note(text) => {
                let mut p = Piece::new(0.0);
                p.height = p.lines(text, 0.0, 0.0, 8.5, WIDTH, GREY_1) + 4.0;
                out.push(p);
            }
            Block::Bullets(items) => {
                for item in items {
                    let mut p = Piece::new(0.0);
                    p.ops.push(Op::Text {
                        x: 2.0,
                        y: 10.0,
                        size: 10.0,
                        grey: GREY_0,
                        text: "•".into(),
                    });
                    p.height = p.lines(item, 14.0, 0.0, 10.0, WIDTH - 14.0, GREY_0) + 2.0;
                    out.push(p);
                }
            }
            Block::Structure { drawing, legend } => {
                let w = drawing.width.max(1.0) as f32;
                let h = drawing.height.max(1.0) as f32;
                let scale = BOND.min(WIDTH / w).min(360.0 / h);
                let mut p = Piece::new(0.0);
                p.ops.push(Op::Drawing {
                    drawing,
                    x: 0.0,
                    y: 0.0,
                    scale,
                });
                let mut y = h * scale + 6.0;
                for (colour, text) in legend {
                    p.ops.push(Op::Swatch {
                        x: 0.0,
                        y: y + 3.0,
                        colour: *colour,
                    });
                    y = p.lines(text, 14.0, y, 8.5, WIDTH - 14.0, GREY_0);
                }
                p.height = y + 8.0;
                out.push(p);
            }
            Block::Table {
                header,
                rows,
                widths,
            } => {
                let row = |cells: &[String], grey: (u8, u8, u8)| {
                    let mut p = Piece::new(0.0);
                    let (mut x, mut bottom) = (0.0, 0.0f32);
                    for (i, share) in widths.iter().enumerate() {
                        let w = share * WIDTH;
                        if let Some(text) = cells.get(i) {
                            bottom = bottom.max(p.lines(text, x, 2.0, 8.5, w - 6.0, grey));
                        }
                        x += w;
                    }
                    p.ops.push(Op::Rule { y: bottom + 4.0 });
                    p.height = bottom + 6.0;
                    p
                };
                let mut head = row(header, GREY_1);
                head.keep_with_next = true;
                out.push(head);
                out.extend(rows.iter().map(|r| row(r, GREY_0)));
            }
            Block::Rule => {
                let mut p = Piece::new(10.0);
                p.ops.push(Op::Rule { y: 4.0 });
                out.push(p);
            }
        }
    }
    out
}

/// Pages as lists of (piece, its top).
fn paginate<'p, 'a>(pieces: &'p [Piece<'a>]) -> Vec<Vec<(&'p Piece<'a>, f32)>> {
    let mut pages: Vec<Vec<(&Piece, f32)>> = vec![Vec::new()];
    let mut y = TOP;
    for (i, piece) in pieces.iter().enumerate() {
        // A heading and a table's header stay with what follows them (a chain of them
        // with the first piece that is not one), if the chain fits on a page at all.
        let mut needed = 0.0;
        for next in &pieces[i..] {
            needed += next.height;
            if !next.keep_with_next {
                break;
            }
        }
        let needed = needed.min(BOTTOM - TOP);
        let page_is_empty = pages.last().is_none_or(Vec::is_empty);
        if y + needed > BOTTOM && !page_is_empty {
            pages.push(Vec::new());
            y = TOP;
        }
        if let Some(page) = pages.last_mut() {
            page.push((piece, y));
        }
        y += piece.height;
    }
    pages
}

/// The document as a PDF.
pub fn flow_pdf(flow: &Flow, fonts: &Fonts) -> Result<Vec<u8>, DocumentError> {
    let pieces = pieces(&flow.blocks);
    let pages = paginate(&pieces);
    let mut document = Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(flow.title.clone())
            .creator("FentGuard".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| DocumentError::Pdf("A4 is not a page size".into()))?;
    let count = pages.len();
    for (n, page_pieces) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut pen = Pen::new(&mut surface, fonts);
        for (piece, top) in page_pieces {
            for op in &piece.ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        grey,
                        text,
                    } => pen.text(MARGIN + x, top + y, *size, *grey, text),
                    Op::Drawing {
                        drawing,
                        x,
                        y,
                        scale,
                    } => pen.drawing(drawing, MARGIN + x, top + y, *scale),
                    Op::Swatch { x, y, colour } => {
                        pen.swatch(MARGIN + x, top + y, 8.0, (colour.0, colour.1, colour.2))
                    }
                    Op::Rule { y } => pen.rule(MARGIN, top + y, WIDTH),
                }
            }
        }
        let footer = format!("{} · {} / {}", flow.footer, n + 1, count);
        for (i, line) in wrap(&footer, 7.5, WIDTH, 2).iter().enumerate() {
            pen.text(
                MARGIN,
                PAGE_H - MARGIN + 4.0 + 10.0 * i as f32,
                7.5,
                GREY_1,
                line,
            );
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: usize) -> Block {
        Block::Text(format!("paragraph {n} ").repeat(40))
    }

    #[test]
    fn long_documents_break_into_pages_and_keep_headings_with_their_text() {
        let mut blocks = vec![Block::Title(["Report".into(), "报告".into()])];
        for i in 0..40 {
            blocks.push(Block::Heading(format!("Section {i}")));
            if i % 3 == 0 {
                blocks.push(Block::Table {
                    header: vec!["List".into(), "Entry".into()],
                    rows: vec![vec!["a".into(), "b".into()]],
                    widths: vec![0.5, 0.5],
                });
            }
            blocks.push(text(i));
        }
        let pieces = pieces(&blocks);
        let pages = paginate(&pieces);
        assert!(pages.len() > 3, "{} pages", pages.len());
        for page in &pages {
            let (last, top) = page.last().expect("no empty page");
            assert!(!last.keep_with_next, "a heading ends a page");
            assert!(
                top + last.height <= BOTTOM + 1e-3 || page.len() == 1,
                "the page overflows"
            );
        }
        // nothing lost or repeated
        assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), pieces.len());
    }

    #[test]
    fn a_table_is_a_header_and_one_piece_per_row() {
        let blocks = vec![Block::Table {
            header: vec!["List".into(), "Entry".into()],
            rows: vec![vec!["a".into(), "b".into()], vec!["c".into()]],
            widths: vec![0.5, 0.5],
        }];
        let p = pieces(&blocks);
        assert_eq!(p.len(), 3);
        assert!(p[0].keep_with_next);
    }
}
