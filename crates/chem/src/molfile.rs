//! MDL molfiles (V2000 and V3000) and SD files with their data fields.
//!
//! Coordinates are read but not kept (this crate works on graphs); stereo from wedges
//! and atom parities is not read yet. Aromatic bonds (type 4) are kekulized like
//! aromatic SMILES, so both give the same molecule.

use crate::element::Element;
use crate::limits::{LimitExceeded, Limits};
use crate::molecule::{Atom, Bond, BondOrder, Molecule, MoleculeBuilder};
use crate::perceive;
use std::io::BufRead;
use thiserror::Error;

/// Why a molfile could not be read; `line` is 1-based within the record (or the file,
/// for SD records).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("molfile error at line {line}: {message}")]
pub struct MolfileError {
    /// Line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// The size limit exceeded, when that is why.
    pub limit: Option<LimitExceeded>,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, MolfileError> {
    Err(MolfileError {
        line,
        message: message.into(),
        limit: None,
    })
}

/// Parse one molfile (the part up to and including `M  END`) within the default
/// [`Limits`].
pub fn parse_molfile(text: &str) -> Result<Molecule, MolfileError> {
    parse_molfile_within(text, &Limits::DEFAULT)
}

/// [`parse_molfile`] within other size limits.
pub fn parse_molfile_within(text: &str, limits: &Limits) -> Result<Molecule, MolfileError> {
    let lines: Vec<&str> = text.lines().collect();
    parse_lines(&lines, 0, limits)
}

/// Parse molfile lines; `offset` is added to line numbers in errors.
fn parse_lines(lines: &[&str], offset: usize, limits: &Limits) -> Result<Molecule, MolfileError> {
    let Some(counts) = lines.get(3) else {
        return err(
            offset + lines.len().max(1),
            "molfile ends before the counts line",
        );
    };
    if counts.contains("V3000") {
        return parse_v3000(lines, offset, limits);
    }
    let field = |s: &str, a: usize, b: usize| -> String {
        s.get(a..b.min(s.len())).unwrap_or("").trim().to_string()
    };
    let natoms: usize = field(counts, 0, 3)
        .parse()
        .or_else(|_| err(offset + 4, "atom count is not a number"))?;
    let nbonds: usize = field(counts, 3, 6)
        .parse()
        .or_else(|_| err(offset + 4, "bond count is not a number"))?;
    if lines.len() < 4 + natoms + nbonds {
        return err(
            offset + lines.len(),
            format!("expected {natoms} atom and {nbonds} bond lines"),
        );
    }
    let mut b = MoleculeBuilder::with_capacity(natoms, nbonds);
    for i in 0..natoms {
        let ln = lines[4 + i];
        let lno = offset + 5 + i;
        let sym = field(ln, 31, 34);
        let sym = if sym.is_empty() {
            ln.split_whitespace().nth(3).unwrap_or("").to_string()
        } else {
            sym
        };
        let el = element_of(&sym).ok_or_else(|| MolfileError {
            line: lno,
            message: format!("unknown element '{sym}'"),
            limit: None,
        })?;
        let mut atom = Atom::new(el);
        let ccc: i32 = field(ln, 36, 39).parse().unwrap_or(0);
        atom.charge = match ccc {
            1 => 3,
            2 => 2,
            3 => 1,
            5 => -1,
            6 => -2,
            7 => -3,
            _ => 0,
        };
        if ccc == 4 {
            atom.radicals = 1;
        }
        let dd: i32 = field(ln, 34, 36).parse().unwrap_or(0);
        if dd != 0 {
            let base = el.average_mass().round() as i32;
            atom.isotope = (base + dd).clamp(0, 999) as u16;
        }
        b.atoms.push(atom);
    }
    for i in 0..nbonds {
        let ln = lines[4 + natoms + i];
        let lno = offset + 5 + natoms + i;
        let f: Vec<i64> = [field(ln, 0, 3), field(ln, 3, 6), field(ln, 6, 9)]
            .iter()
            .map(|x| x.parse().unwrap_or(-1))
            .collect();
        let (a1, a2, t) = (f[0], f[1], f[2]);
        add_bond(&mut b, a1, a2, t, natoms, lno)?;
    }
    let mut charges_seen = false;
    for (k, ln) in lines.iter().enumerate().skip(4 + natoms + nbonds) {
        let lno = offset + k + 1;
        if ln.starts_with("M  END") {
            break;
        }
        let tag = ln.get(0..6).unwrap_or("");
        if matches!(tag, "M  CHG" | "M  ISO" | "M  RAD") {
            let nums: Vec<i64> = ln[6..]
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(i64::MIN))
                .collect();
            if nums.is_empty()
                || nums.contains(&i64::MIN)
                || nums.len() != 1 + 2 * nums[0].max(0) as usize
            {
                return err(lno, format!("malformed {} line", tag.trim()));
            }
            if tag == "M  CHG" && !charges_seen {
                // Per the format, any CHG line supersedes atom-block charges.
                charges_seen = true;
                for a in &mut b.atoms {
                    a.charge = 0;
                }
            }
            for pair in nums[1..].chunks(2) {
                let idx = pair[0];
                if idx < 1 || idx as usize > natoms {
                    return err(lno, format!("atom {idx} does not exist"));
                }
                let a = &mut b.atoms[idx as usize - 1];
                match tag {
                    "M  CHG" => a.charge = pair[1].clamp(-15, 15) as i8,
                    "M  ISO" => a.isotope = pair[1].clamp(0, 999) as u16,
                    _ => {
                        a.radicals = if pair[1] == 2 {
                            1
                        } else if pair[1] == 1 || pair[1] == 3 {
                            2
                        } else {
                            0
                        }
                    }
                }
            }
        }
    }
    finish(b, offset, limits)
}

fn element_of(sym: &str) -> Option<Element> {
    match sym {
        "D" | "T" => Some(Element::H),
        "A" | "Q" | "*" | "R" | "R#" | "L" => Some(Element::ANY),
        _ => Element::from_symbol(sym).or_else(|| Element::from_symbol_any_case(sym)),
    }
}

fn add_bond(
    b: &mut MoleculeBuilder,
    a1: i64,
    a2: i64,
    t: i64,
    natoms: usize,
    lno: usize,
) -> Result<(), MolfileError> {
    if a1 < 1 || a2 < 1 || a1 as usize > natoms || a2 as usize > natoms || a1 == a2 {
        return err(lno, format!("bond between atoms {a1} and {a2} is invalid"));
    }
    let (order, aromatic) = match t {
        1 => (BondOrder::Single, false),
        2 => (BondOrder::Double, false),
        3 => (BondOrder::Triple, false),
        4 => (BondOrder::Single, true),
        8..=10 => (BondOrder::Zero, false),
        _ => {
            return err(
                lno,
                format!("bond type {t} is not supported (query bonds are not structures)"),
            )
        }
    };
    let (a, c) = ((a1 - 1) as u32, (a2 - 1) as u32);
    if b.bonds
        .iter()
        .any(|x| (x.a == a && x.b == c) || (x.a == c && x.b == a))
    {
        return err(lno, format!("duplicate bond between atoms {a1} and {a2}"));
    }
    if aromatic {
        b.atoms[a as usize].aromatic = true;
        b.atoms[c as usize].aromatic = true;
    }
    b.bonds.push(Bond {
        a,
        b: c,
        order,
        aromatic,
    });
    Ok(())
}

fn finish(b: MoleculeBuilder, offset: usize, limits: &Limits) -> Result<Molecule, MolfileError> {
    perceive::finish_with(b, limits).map_err(|e| MolfileError {
        line: offset + 1,
        message: e.to_string(),
        limit: match e {
            perceive::PerceiveError::TooLarge(l) => Some(l),
            _ => None,
        },
    })
}

fn parse_v3000(lines: &[&str], offset: usize, limits: &Limits) -> Result<Molecule, MolfileError> {
    // Join continuation lines ("-" at the end) and keep the first line number of each.
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut cont = false;
    for (k, ln) in lines.iter().enumerate().skip(4) {
        let Some(body) = ln.strip_prefix("M  V30 ") else {
            if ln.starts_with("M  END") {
                break;
            }
            continue;
        };
        let (text, more) = match body.strip_suffix('-') {
            Some(t) => (t.to_string(), true),
            None => (body.to_string(), false),
        };
        if cont {
            if let Some(last) = joined.last_mut() {
                last.1.push_str(&text);
            }
        } else {
            joined.push((offset + k + 1, text));
        }
        cont = more;
    }
    let mut b = MoleculeBuilder::default();
    let mut section = "";
    let mut ids: Vec<(i64, u32)> = Vec::new();
    for (lno, text) in &joined {
        let t = text.trim();
        if let Some(s) = t.strip_prefix("BEGIN ") {
            section = match s.trim() {
                "ATOM" => "atom",
                "BOND" => "bond",
                _ => "other",
            };
            continue;
        }
        if t.starts_with("END ") {
            section = "";
            continue;
        }
        let mut parts = t.split_whitespace();
        match section {
            "atom" => {
                let id: i64 =
                    parts
                        .next()
                        .and_then(|x| x.parse().ok())
                        .ok_or_else(|| MolfileError {
                            line: *lno,
                            message: "atom line without an index".into(),
                            limit: None,
                        })?;
                let sym = parts.next().unwrap_or("");
                let el = element_of(sym).ok_or_else(|| MolfileError {
                    line: *lno,
                    message: format!("unknown element '{sym}'"),
                    limit: None,
                })?;
                let mut atom = Atom::new(el);
                for kv in parts.skip(4) {
                    if let Some((k, v)) = kv.split_once('=') {
                        let v: i64 = v.parse().unwrap_or(0);
                        match k {
                            "CHG" => atom.charge = v.clamp(-15, 15) as i8,
                            "MASS" => atom.isotope = v.clamp(0, 999) as u16,
                            "RAD" => {
                                atom.radicals = if v == 2 {
                                    1
                                } else if v == 1 || v == 3 {
                                    2
                                } else {
                                    0
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ids.push((id, b.atoms.len() as u32));
                b.atoms.push(atom);
            }
            "bond" => {
                let f: Vec<i64> = parts
                    .by_ref()
                    .take(4)
                    .map(|x| x.parse().unwrap_or(-1))
                    .collect();
                if f.len() < 4 {
                    return err(*lno, "bond line needs index, type and two atoms");
                }
                let pos = |id: i64| {
                    ids.iter()
                        .find(|(i, _)| *i == id)
                        .map(|(_, p)| *p as i64 + 1)
                        .unwrap_or(-1)
                };
                let n = b.atoms.len();
                add_bond(&mut b, pos(f[2]), pos(f[3]), f[1], n, *lno)?;
            }
            _ => {}
        }
    }
    if b.atoms.is_empty() {
        return err(offset + 4, "V3000 molfile has no atom block");
    }
    finish(b, offset, limits)
}

/// One record of an SD file.
#[derive(Debug)]
pub struct SdRecord {
    /// 1-based line number of the record's first line in the file.
    pub line: usize,
    /// The title (first line of the molfile).
    pub title: String,
    /// The molecule, or why it could not be read.
    pub molecule: Result<Molecule, MolfileError>,
    /// Data fields (`> <name>` and their values), in file order.
    pub data: Vec<(String, String)>,
}

/// Streams records from an SD file; a bad record is returned as an error value and
/// reading continues with the next one.
pub struct SdReader<R> {
    reader: R,
    line: usize,
    done: bool,
    limits: Limits,
}

impl<R: BufRead> SdReader<R> {
    /// Read from a buffered reader.
    pub fn new(reader: R) -> Self {
        SdReader {
            reader,
            line: 0,
            done: false,
            limits: Limits::DEFAULT,
        }
    }

    /// Read molecules within other size limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

impl<R: BufRead> Iterator for SdReader<R> {
    type Item = Result<SdRecord, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut lines: Vec<String> = Vec::new();
        let start = self.line + 1;
        // A line that is not UTF-8 spoils its record, not the rest of the file.
        let mut not_text: Option<usize> = None;
        loop {
            let mut bytes = Vec::new();
            match self.reader.read_until(b'\n', &mut bytes) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {
                    self.line += 1;
                    let buf = match String::from_utf8(bytes) {
                        Ok(t) => t,
                        Err(e) => {
                            not_text.get_or_insert(self.line);
                            String::from_utf8_lossy(e.as_bytes()).into_owned()
                        }
                    };
                    let l = buf.trim_end_matches(['\n', '\r']).to_string();
                    if l.starts_with("$$$$") {
                        break;
                    }
                    lines.push(l);
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        if lines.iter().all(|l| l.trim().is_empty()) {
            return None;
        }
        let end = lines
            .iter()
            .position(|l| l.starts_with("M  END"))
            .unwrap_or(lines.len());
        let refs: Vec<&str> = lines[..end.min(lines.len())]
            .iter()
            .map(|s| s.as_str())
            .chain(std::iter::once("M  END"))
            .collect();
        let molecule = match not_text {
            Some(line) => err(line, "not UTF-8 text"),
            None => parse_lines(&refs, start - 1, &self.limits),
        };
        let mut data = Vec::new();
        let mut k = end + 1;
        while k < lines.len() {
            let l = &lines[k];
            if let Some(rest) = l.strip_prefix('>') {
                let name = rest
                    .find('<')
                    .and_then(|s| {
                        rest[s + 1..]
                            .find('>')
                            .map(|e| rest[s + 1..s + 1 + e].to_string())
                    })
                    .unwrap_or_default();
                let mut value = Vec::new();
                k += 1;
                while k < lines.len() && !lines[k].is_empty() {
                    value.push(lines[k].clone());
                    k += 1;
                }
                data.push((name, value.join("\n")));
            }
            k += 1;
        }
        Some(Ok(SdRecord {
            line: start,
            title: lines.first().cloned().unwrap_or_default(),
            molecule,
            data,
        }))
    }
}

/// Writes `mol` as a V2000 molfile with the coordinates of `layout` (in ångström-like
/// units: bond length 1.5) and a wedge or hash on one bond of each tetrahedral centre
/// ([`crate::layout::wedges`]), so that other programs read its stereo back. Charges,
/// isotopes and radicals go in `M  CHG`, `M  ISO` and `M  RAD` lines. `None` for more
/// than 999 atoms or bonds (V2000's counts line holds three digits).
pub fn write_molfile(
    mol: &Molecule,
    layout: &crate::layout::Layout,
    title: &str,
) -> Option<String> {
    use std::fmt::Write as _;
    if mol.atom_count() > 999 || mol.bond_count() > 999 {
        return None;
    }
    let wedges = crate::layout::wedges(mol, layout);
    let mut s = String::new();
    let title: String = title.chars().filter(|c| !c.is_control()).take(80).collect();
    let _ = write!(
        s,
        "{title}\n  FentGuard          2D\n\n{:3}{:3}  0  0  0  0  0  0  0  0999 V2000\n",
        mol.atom_count(),
        mol.bond_count()
    );
    for (i, atom) in mol.atoms().iter().enumerate() {
        let p = layout.coords.get(i).copied().unwrap_or_default();
        let symbol = if atom.element == Element::ANY {
            "*"
        } else {
            atom.element.symbol()
        };
        let _ = writeln!(
            s,
            "{:10.4}{:10.4}{:10.4} {:<3} 0  0  0  0  0  0  0  0  0  0  0  0",
            p.x * 1.5,
            p.y * 1.5,
            0.0,
            symbol
        );
    }
    for (i, b) in mol.bonds().iter().enumerate() {
        let order = match b.order {
            BondOrder::Single => 1,
            BondOrder::Double => 2,
            BondOrder::Triple => 3,
            BondOrder::Quadruple | BondOrder::Zero => 8,
        };
        let (first, second, stereo) = match wedges.iter().find(|w| w.bond == i as u32) {
            Some(w) => (
                w.centre,
                b.other(w.centre),
                match w.kind {
                    crate::layout::WedgeKind::Up => 1,
                    crate::layout::WedgeKind::Down => 6,
                },
            ),
            // a double bond that could be cis or trans but is not said to be: "either",
            // so that no reader takes a configuration from the coordinates
            None if b.order == BondOrder::Double
                && !mol.rings().is_ring_bond(i as u32)
                && mol.degree(b.a) > 1
                && mol.degree(b.b) > 1
                && !mol.double_bond_stereo().iter().any(|d| d.bond == i as u32) =>
            {
                (b.a, b.b, 3)
            }
            None => (b.a, b.b, 0),
        };
        let _ = writeln!(s, "{:3}{:3}{:3}{:3}", first + 1, second + 1, order, stereo);
    }
    let mut properties = |tag: &str, values: Vec<(usize, i32)>| {
        for chunk in values.chunks(8) {
            let _ = write!(s, "{tag}{:3}", chunk.len());
            for (atom, v) in chunk {
                let _ = write!(s, " {:3} {:3}", atom + 1, v);
            }
            s.push('\n');
        }
    };
    let atoms = mol.atoms();
    properties(
        "M  CHG",
        atoms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.charge != 0)
            .map(|(i, a)| (i, a.charge as i32))
            .collect(),
    );
    properties(
        "M  ISO",
        atoms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.isotope != 0)
            .map(|(i, a)| (i, a.isotope as i32))
            .collect(),
    );
    properties(
        "M  RAD",
        atoms
            .iter()
            .enumerate()
            .filter(|(_, a)| a.radicals != 0)
            .map(|(i, a)| (i, if a.radicals == 1 { 2 } else { 3 }))
            .collect(),
    );
    s.push_str("M  END\n");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smiles::{canonical_smiles, parse};

    const PYRIDINIUM_V2000: &str = "\n  test\n\n  7  7  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 N   0  0  0  0  0  0  0  0  0  0  0  0
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  4  0
  2  3  4  0
  3  4  4  0
  4  5  4  0
  5  6  4  0
  6  1  4  0
  1  7  1  0
M  CHG  1   1   1
M  END
";

    #[test]
    fn v2000_aromatic_and_charge() {
        let m = parse_molfile(PYRIDINIUM_V2000).unwrap();
        assert_eq!(
            canonical_smiles(&m),
            canonical_smiles(&parse("C[n+]1ccccc1").unwrap())
        );
    }

    #[test]
    fn v3000_reads() {
        let text = "\n  test\n\n  0  0  0     0  0            999 V3000
M  V30 BEGIN CTAB
M  V30 COUNTS 3 2 0 0 0
M  V30 BEGIN ATOM
M  V30 1 C 0 0 0 0
M  V30 2 C 0 0 0 0
M  V30 3 O 0 0 0 0 CHG=-1
M  V30 END ATOM
M  V30 BEGIN BOND
M  V30 1 1 1 2
M  V30 2 1 2 -
M  V30 3
M  V30 END BOND
M  V30 END CTAB
M  END
";
        let m = parse_molfile(text).unwrap();
        assert_eq!(canonical_smiles(&m), "CC[O-]");
    }

    #[test]
    fn sd_records_and_bad_record() {
        let good = PYRIDINIUM_V2000.to_string() + "> <name>\nmethylpyridinium\n\n$$$$\n";
        let bad = "\n  x\n\n  1  1  0  0  0  0  0  0  0  0999 V2000\n    0.0 0.0 0.0 C   0  0\n  1  2  1  0\nM  END\n$$$$\n";
        let text = format!("{good}{bad}{good}");
        let recs: Vec<SdRecord> = SdReader::new(text.as_bytes()).map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 3);
        assert!(recs[0].molecule.is_ok());
        assert_eq!(
            recs[0].data,
            vec![("name".to_string(), "methylpyridinium".to_string())]
        );
        let e = recs[1].molecule.as_ref().unwrap_err();
        assert!(e.message.contains("invalid"), "{e}");
        assert_eq!(recs[1].line, 25);
        assert!(recs[2].molecule.is_ok());
    }
}
