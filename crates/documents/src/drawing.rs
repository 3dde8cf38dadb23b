//! A structure drawing: atoms, bonds, wedges and highlighted regions as plain shapes,
//! made once from a molecule and its layout and then written as SVG (pages) or painted
//! into a PDF (reports), so that both show the same picture.
//!
//! Coordinates are in bond lengths with y downwards (as pages and PDFs count); the writer
//! scales them.

use chem::layout::{wedges, Layout, Point, WedgeKind};
use chem::{BondOrder, Element, Molecule};
use std::fmt::Write as _;

/// A colour, 0-255 per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// As CSS and SVG write it.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// The colours regions are highlighted in, in order: light tints told apart also by
/// readers with the common colour-vision deficiencies (after Okabe and Ito).
pub const REGION_COLOURS: [Colour; 8] = [
    Colour(0xf6, 0xc1, 0x77), // orange
    Colour(0x9e, 0xd3, 0xf0), // sky blue
    Colour(0x8f, 0xd9, 0xbf), // bluish green
    Colour(0xf2, 0xe9, 0x8a), // yellow
    Colour(0xe8, 0xb3, 0xd0), // reddish purple
    Colour(0x9c, 0xb8, 0xe0), // blue
    Colour(0xf0, 0xa9, 0x8a), // vermillion
    Colour(0xcf, 0xcf, 0xcf), // grey
];

/// The colour of the unmodified core (what every member of the class shares).
pub const CORE_COLOUR: Colour = Colour(0xe4, 0xe4, 0xe4);

/// A set of atoms to highlight in one colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Highlight {
    /// Atom indices of the molecule.
    pub atoms: Vec<u32>,
    /// Its colour.
    pub colour: Colour,
}

/// A named region of a verdict (its atoms) with the colour it is drawn in.
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    /// The verdict's name for it (`piperidine`, `anilide_n`, `condition_1`, …).
    pub key: String,
    /// Its atoms and colour.
    pub highlight: Highlight,
}

/// The regions the core is made of: drawn in [`CORE_COLOUR`], under the others.
pub const CORE_REGIONS: [&str; 2] = ["piperidine", "anilide_n"];

/// Colours for a verdict's named atom sets: the core's regions grey and first (so that a
/// modification drawn over them shows), every other region its own colour, in the
/// verdict's order.
pub fn regions<'a>(atoms: impl IntoIterator<Item = (&'a String, &'a Vec<u32>)>) -> Vec<Region> {
    let (mut core, mut rest) = (Vec::new(), Vec::new());
    for (key, atoms) in atoms {
        if CORE_REGIONS.contains(&key.as_str()) {
            core.push((key, atoms));
        } else {
            rest.push((key, atoms));
        }
    }
    let core = core.into_iter().map(|(k, a)| (k, a, CORE_COLOUR));
    let rest = rest
        .into_iter()
        .enumerate()
        .map(|(i, (k, a))| (k, a, REGION_COLOURS[i % REGION_COLOURS.len()]));
    core.chain(rest)
        .map(|(key, atoms, colour)| Region {
            key: key.clone(),
            highlight: Highlight {
                atoms: atoms.clone(),
                colour,
            },
        })
        .collect()
}

/// Part of an atom label.
#[derive(Clone, Debug, PartialEq)]
pub enum Span {
    /// Plain text (element symbols).
    Text(String),
    /// A subscript (hydrogen count).
    Sub(String),
    /// A superscript (charge, isotope).
    Super(String),
}

/// One shape of a drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A straight stroke.
    Line {
        /// Start.
        from: Point,
        /// End.
        to: Point,
        /// Width, in bond lengths.
        width: f64,
        /// Colour.
        colour: Colour,
        /// Drawn as dashes (a zero-order bond).
        dashed: bool,
    },
    /// A filled polygon (a wedge).
    Polygon {
        /// Corners.
        points: Vec<Point>,
        /// Colour.
        colour: Colour,
    },
    /// A filled disc (a highlighted atom).
    Disc {
        /// Centre.
        centre: Point,
        /// Radius, in bond lengths.
        radius: f64,
        /// Colour.
        colour: Colour,
    },
    /// An atom's label, centred on the atom's symbol.
    Label {
        /// Where the atom is.
        at: Point,
        /// Index of the span the atom's symbol is in (the label is centred on it).
        anchor_span: usize,
        /// The label.
        spans: Vec<Span>,
        /// Colour.
        colour: Colour,
    },
    /// A small number beside an atom (its number in the input, 1-based).
    Number {
        /// Where.
        at: Point,
        /// The number.
        text: String,
    },
}

/// A structure drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawing {
    /// Shapes, back to front.
    pub shapes: Vec<Shape>,
    /// Width, in bond lengths.
    pub width: f64,
    /// Height, in bond lengths.
    pub height: f64,
}

const INK: Colour = Colour(0x11, 0x11, 0x11);
const LINE: f64 = 0.055;
const MARGIN: f64 = 0.9;
/// How far a bond stops short of a labelled atom.
const LABEL_GAP: f64 = 0.3;

fn element_colour(e: Element) -> Colour {
    match e {
        Element::N => Colour(0x1f, 0x3f, 0xbf),
        Element::O => Colour(0xb0, 0x1c, 0x1c),
        Element::S => Colour(0x80, 0x60, 0x00),
        Element::F | Element::CL => Colour(0x10, 0x70, 0x30),
        _ => INK,
    }
}

/// Options of a drawing.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Regions to highlight (earlier ones under later ones).
    pub highlights: Vec<Highlight>,
    /// Number every atom (1-based, the input's numbering), as the reasons cite them.
    pub numbers: bool,
}

/// Draws `mol` as laid out in `layout`.
pub fn draw(mol: &Molecule, layout: &Layout, options: &Options) -> Drawing {
    let n = mol.atom_count();
    let (mut min, mut max) = (
        Point::new(f64::INFINITY, f64::INFINITY),
        Point::new(f64::NEG_INFINITY, f64::NEG_INFINITY),
    );
    for p in &layout.coords {
        min = Point::new(min.x.min(p.x), min.y.min(p.y));
        max = Point::new(max.x.max(p.x), max.y.max(p.y));
    }
    if n == 0 {
        min = Point::default();
        max = Point::default();
    }
    // y downwards, everything inside the margin
    let at: Vec<Point> = layout
        .coords
        .iter()
        .map(|p| Point::new(p.x - min.x + MARGIN, max.y - p.y + MARGIN))
        .collect();
    let mut shapes = Vec::new();
    for h in &options.highlights {
        for b in mol.bonds() {
            if h.atoms.contains(&b.a) && h.atoms.contains(&b.b) {
                shapes.push(Shape::Line {
                    from: at[b.a as usize],
                    to: at[b.b as usize],
                    width: 0.42,
                    colour: h.colour,
                    dashed: false,
                });
            }
        }
        for &a in &h.atoms {
            if let Some(&p) = at.get(a as usize) {
                shapes.push(Shape::Disc {
                    centre: p,
                    radius: 0.3,
                    colour: h.colour,
                });
            }
        }
    }
    let labels: Vec<Option<(Vec<Span>, usize)>> =
        (0..n as u32).map(|a| label(mol, a, &at)).collect();
    let ring_centre = ring_centres(mol, &at);
    let stereo = wedges(mol, layout);
    for (i, b) in mol.bonds().iter().enumerate() {
        let (mut p, mut q) = (at[b.a as usize], at[b.b as usize]);
        let dir = (q - p).unit();
        if labels[b.a as usize].is_some() {
            p = p + dir * LABEL_GAP;
        }
        if labels[b.b as usize].is_some() {
            q = q - dir * LABEL_GAP;
        }
        if let Some(w) = stereo.iter().find(|w| w.bond == i as u32) {
            let (narrow, wide) = if w.centre == b.a { (p, q) } else { (q, p) };
            shapes.extend(wedge(narrow, wide, w.kind));
            continue;
        }
        let line = |from: Point, to: Point| Shape::Line {
            from,
            to,
            width: LINE,
            colour: INK,
            dashed: false,
        };
        match b.order {
            BondOrder::Single => shapes.push(line(p, q)),
            BondOrder::Zero => shapes.push(Shape::Line {
                from: p,
                to: q,
                width: LINE,
                colour: INK,
                dashed: true,
            }),
            BondOrder::Double => {
                let normal = dir.perp();
                match ring_centre[i] {
                    // In a ring: the second line inside it, a little shorter.
                    Some(c) => {
                        let side = if normal.dot(c - p) >= 0.0 { 1.0 } else { -1.0 };
                        let off = normal * (0.17 * side);
                        shapes.push(line(p, q));
                        shapes.push(line(p + off + dir * 0.12, q + off - dir * 0.12));
                    }
                    None => {
                        let off = normal * 0.085;
                        shapes.push(line(p + off, q + off));
                        shapes.push(line(p - off, q - off));
                    }
                }
            }
            BondOrder::Triple | BondOrder::Quadruple => {
                let off = dir.perp() * 0.13;
                shapes.push(line(p, q));
                shapes.push(line(p + off, q + off));
                shapes.push(line(p - off, q - off));
            }
        }
    }
    for (a, l) in labels.into_iter().enumerate() {
        if let Some((spans, anchor_span)) = l {
            shapes.push(Shape::Label {
                at: at[a],
                anchor_span,
                spans,
                colour: element_colour(mol.atom(a as u32).element),
            });
        }
    }
    if options.numbers {
        for (a, &p) in at.iter().enumerate() {
            // beside the atom, away from its bonds
            let away = mol
                .neighbours(a as u32)
                .iter()
                .fold(Point::default(), |s, nb| {
                    s + (p - at[nb.atom as usize]).unit()
                });
            let away = if away.norm() < 1e-6 {
                Point::new(0.0, -1.0)
            } else {
                away.unit()
            };
            shapes.push(Shape::Number {
                at: p + away * 0.42,
                text: (a + 1).to_string(),
            });
        }
    }
    Drawing {
        shapes,
        width: (max.x - min.x).max(0.0) + 2.0 * MARGIN,
        height: (max.y - min.y).max(0.0) + 2.0 * MARGIN,
    }
}

/// The label of an atom that gets one (not a plain carbon): symbol, hydrogens, charge.
fn label(mol: &Molecule, a: u32, at: &[Point]) -> Option<(Vec<Span>, usize)> {
    let atom = mol.atom(a);
    let degree = mol.degree(a);
    let plain_carbon =
        atom.element == Element::C && atom.charge == 0 && atom.isotope == 0 && atom.radicals == 0;
    if plain_carbon && degree > 0 {
        return None;
    }
    let symbol = if atom.element == Element::ANY {
        "*".to_string()
    } else {
        atom.element.symbol().to_string()
    };
    let mut head = Vec::new();
    if atom.isotope > 0 {
        head.push(Span::Super(atom.isotope.to_string()));
    }
    let h = atom.hydrogens;
    let hydrogens: Vec<Span> = match h {
        0 => vec![],
        1 => vec![Span::Text("H".into())],
        n => vec![Span::Text("H".into()), Span::Sub(n.to_string())],
    };
    let charge = match atom.charge {
        0 => None,
        1 => Some("+".to_string()),
        -1 => Some("\u{2212}".to_string()),
        c if c > 0 => Some(format!("{c}+")),
        c => Some(format!("{}\u{2212}", -c)),
    };
    // Hydrogens on the side away from the bonds: before the symbol when the bonds go right.
    // A lone halide or chalcogen is written with its hydrogens first: HCl, H2O, H2S.
    let hydrogens_first = degree == 0
        && matches!(
            atom.element.symbol(),
            "O" | "S" | "Se" | "Te" | "F" | "Cl" | "Br" | "I"
        );
    let rightwards = hydrogens_first
        || mol
            .neighbours(a)
            .iter()
            .map(|nb| at[nb.atom as usize].x - at[a as usize].x)
            .sum::<f64>()
            > 0.3;
    let mut spans = head;
    let anchor;
    if rightwards && !hydrogens.is_empty() {
        spans.extend(hydrogens);
        anchor = spans.len();
        spans.push(Span::Text(symbol));
    } else {
        anchor = spans.len();
        spans.push(Span::Text(symbol));
        spans.extend(hydrogens);
    }
    if let Some(c) = charge {
        spans.push(Span::Super(c));
    }
    Some((spans, anchor))
}

/// For each bond in a ring, the centre of its smallest ring (where a second line goes).
fn ring_centres(mol: &Molecule, at: &[Point]) -> Vec<Option<Point>> {
    let mut out: Vec<Option<(usize, Point)>> = vec![None; mol.bond_count()];
    let info = mol.rings();
    for (r, bonds) in info.ring_bonds().iter().enumerate() {
        let atoms = &info.rings()[r];
        let centre = atoms
            .iter()
            .fold(Point::default(), |s, &a| s + at[a as usize])
            * (1.0 / atoms.len().max(1) as f64);
        // Prefer aromatic rings, then small ones, for a bond shared by two rings.
        let aromatic = atoms.iter().all(|&a| mol.atom(a).aromatic);
        let rank = if aromatic {
            atoms.len()
        } else {
            atoms.len() + 100
        };
        for &b in bonds {
            if out[b as usize].is_none_or(|(best, _)| rank < best) {
                out[b as usize] = Some((rank, centre));
            }
        }
    }
    out.into_iter().map(|x| x.map(|(_, c)| c)).collect()
}

fn wedge(narrow: Point, wide: Point, kind: WedgeKind) -> Vec<Shape> {
    let dir = wide - narrow;
    let half = dir.unit().perp() * 0.13;
    match kind {
        WedgeKind::Up => vec![Shape::Polygon {
            points: vec![narrow, wide + half, wide - half],
            colour: INK,
        }],
        WedgeKind::Down => (1..=7)
            .map(|i| {
                let t = i as f64 / 7.0;
                let c = narrow + dir * t;
                Shape::Line {
                    from: c + half * t,
                    to: c - half * t,
                    width: LINE * 0.8,
                    colour: INK,
                    dashed: false,
                }
            })
            .collect(),
    }
}

/// Pixels (SVG user units) per bond length.
pub const SVG_SCALE: f64 = 32.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Drawing {
    /// The drawing as an SVG element (for a page: no styles, presentation attributes only,
    /// so a strict Content-Security-Policy allows it), titled `title` for screen readers.
    pub fn svg(&self, title: &str) -> String {
        let k = SVG_SCALE;
        let f = |v: f64| format!("{:.1}", v * k);
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" class="structure" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img"><title>{t}</title><rect width="{w}" height="{h}" fill="#ffffff"/>"##,
            w = f(self.width),
            h = f(self.height),
            t = esc(title)
        );
        for shape in &self.shapes {
            match shape {
                Shape::Line {
                    from,
                    to,
                    width,
                    colour,
                    dashed,
                } => {
                    let _ = write!(
                        s,
                        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}" stroke-linecap="round"{}/>"#,
                        f(from.x),
                        f(from.y),
                        f(to.x),
                        f(to.y),
                        colour.hex(),
                        f(*width),
                        if *dashed {
                            r#" stroke-dasharray="3 3""#
                        } else {
                            ""
                        }
                    );
                }
                Shape::Polygon { points, colour } => {
                    let pts: Vec<String> = points
                        .iter()
                        .map(|p| format!("{},{}", f(p.x), f(p.y)))
                        .collect();
                    let _ = write!(
                        s,
                        r#"<polygon points="{}" fill="{}"/>"#,
                        pts.join(" "),
                        colour.hex()
                    );
                }
                Shape::Disc {
                    centre,
                    radius,
                    colour,
                } => {
                    let _ = write!(
                        s,
                        r#"<circle cx="{}" cy="{}" r="{}" fill="{}"/>"#,
                        f(centre.x),
                        f(centre.y),
                        f(*radius),
                        colour.hex()
                    );
                }
                Shape::Label {
                    at,
                    anchor_span,
                    spans,
                    colour,
                } => {
                    // The symbol centred on the atom: the spans before it go to its left.
                    let size = 0.46 * k;
                    let before: f64 = spans[..*anchor_span].iter().map(span_width).sum();
                    let symbol = spans.get(*anchor_span).map(span_width).unwrap_or(0.0);
                    let x = at.x * k - (before + symbol / 2.0) * size;
                    let _ = write!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" font-family="DejaVu Sans, Arial, sans-serif" font-size="{:.1}" fill="{}">"#,
                        x,
                        at.y * k + size * 0.36,
                        size,
                        colour.hex()
                    );
                    for span in spans {
                        match span {
                            Span::Text(t) => {
                                let _ = write!(s, "<tspan>{}</tspan>", esc(t));
                            }
                            Span::Sub(t) => {
                                let _ = write!(
                                    s,
                                    r#"<tspan dy="{:.1}" font-size="{:.1}">{}</tspan><tspan dy="{:.1}"></tspan>"#,
                                    size * 0.25,
                                    size * 0.7,
                                    esc(t),
                                    -size * 0.25
                                );
                            }
                            Span::Super(t) => {
                                let _ = write!(
                                    s,
                                    r#"<tspan dy="{:.1}" font-size="{:.1}">{}</tspan><tspan dy="{:.1}"></tspan>"#,
                                    -size * 0.4,
                                    size * 0.7,
                                    esc(t),
                                    size * 0.4
                                );
                            }
                        }
                    }
                    s.push_str("</text>");
                }
                Shape::Number { at, text } => {
                    let size = 0.3 * k;
                    let _ = write!(
                        s,
                        r##"<text x="{:.1}" y="{:.1}" font-family="DejaVu Sans, Arial, sans-serif" font-size="{:.1}" fill="#5a5a5a" text-anchor="middle">{}</text>"##,
                        at.x * k,
                        at.y * k + size * 0.36,
                        size,
                        esc(text)
                    );
                }
            }
        }
        s.push_str("</svg>");
        s
    }
}

/// Width of a span in font sizes (an estimate good enough to centre a symbol).
pub(crate) fn span_width(span: &Span) -> f64 {
    let chars = |t: &str| t.chars().count() as f64;
    match span {
        Span::Text(t) => 0.62 * chars(t),
        Span::Sub(t) | Span::Super(t) => 0.45 * chars(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fentanyl_is_drawn_with_labels_double_bonds_and_highlights() {
        let mol = chem::smiles::parse("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1").expect("SMILES");
        let layout = chem::layout::layout(&mol).expect("layout");
        let d = draw(
            &mol,
            &layout,
            &Options {
                highlights: vec![Highlight {
                    atoms: vec![0, 1, 2],
                    colour: REGION_COLOURS[0],
                }],
                numbers: true,
            },
        );
        let svg = d.svg("fentanyl");
        // N twice and O once, each labelled; 3 + 3 + 1 double bonds drawn as two lines
        assert_eq!(svg.matches("<tspan>N</tspan>").count(), 2, "{svg}");
        assert_eq!(svg.matches("<tspan>O</tspan>").count(), 1);
        let lines = d
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Line { width, .. } if *width == LINE))
            .count();
        assert_eq!(lines, mol.bond_count() + 7);
        // the acyl region: 3 discs and 2 bond bands in its colour
        let tinted = d
            .shapes
            .iter()
            .filter(|s| match s {
                Shape::Disc { colour, .. } | Shape::Line { colour, .. } => {
                    *colour == REGION_COLOURS[0]
                }
                _ => false,
            })
            .count();
        assert_eq!(tinted, 5);
        assert_eq!(
            d.shapes
                .iter()
                .filter(|s| matches!(s, Shape::Number { .. }))
                .count(),
            mol.atom_count()
        );
        assert!(
            !svg.contains("style"),
            "no style attribute: the pages' CSP forbids them"
        );
    }

    #[test]
    fn stereocentres_get_a_wedge_and_labels_their_hydrogens_and_charges() {
        let mol = chem::smiles::parse("N[C@@H](C)C(=O)[O-]").expect("SMILES");
        let layout = chem::layout::layout(&mol).expect("layout");
        let d = draw(&mol, &layout, &Options::default());
        let filled = d
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Polygon { .. }))
            .count();
        let hashes = d
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Line { width, .. } if *width < LINE))
            .count();
        assert!(
            (filled, hashes) == (1, 0) || (filled, hashes) == (0, 7),
            "one wedge: {filled} filled, {hashes} hash lines"
        );
        let labels: Vec<&Vec<Span>> = d
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Label { spans, .. } => Some(spans),
                _ => None,
            })
            .collect();
        assert!(labels
            .iter()
            .any(|l| l.contains(&Span::Sub("2".into())) && l.contains(&Span::Text("N".into()))));
        assert!(labels
            .iter()
            .any(|l| l.contains(&Span::Super("\u{2212}".into()))));
    }

    #[test]
    fn a_lone_ion_puts_its_hydrogen_first_where_chemists_do() {
        let mol = chem::smiles::parse("Cl").expect("SMILES");
        let layout = chem::layout::layout(&mol).expect("layout");
        let d = draw(&mol, &layout, &Options::default());
        assert!(d.svg("HCl").contains("<tspan>H</tspan><tspan>Cl</tspan>"));
    }
}
