//! SMARTS reader for the subset catalogue patterns need: atoms (`*`, `a`, `A`, element
//! symbols aliphatic and aromatic, `#n`, `D`, `X`, `H`, `R`, `r`, `x`, `v`, charges,
//! isotopes, recursive `$(...)`), the logical operators `!`, `&`, `,`, `;`, bonds
//! (`-`, `=`, `#`, `:`, `~`, `@`, `/`, `\` read as single, with `!`, `&`, `,`, `;`),
//! branches, ring closures and `.`. Chirality and component grouping are not supported
//! and are reported as errors rather than silently ignored.

use crate::element::Element;
use crate::substruct::{AtomExpr, BondExpr, Query, QueryBond};
use thiserror::Error;

/// Why a SMARTS pattern could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("SMARTS error at position {position}: {message}")]
pub struct SmartsError {
    /// Byte offset.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse a SMARTS pattern.
pub fn parse(smarts: &str) -> Result<Query, SmartsError> {
    let mut p = P {
        s: smarts.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let q = p.pattern()?;
    if p.pos != p.s.len() {
        return p.err("unexpected character");
    }
    Ok(q)
}

/// Deepest nesting of recursive SMARTS (`$(...)`) read: the parser and the matcher
/// recurse once per level, so the input must not choose the depth.
pub const MAX_RECURSION: usize = 16;

struct P<'a> {
    s: &'a [u8],
    pos: usize,
    /// `$(` levels open.
    depth: usize,
}

impl P<'_> {
    fn err<T>(&self, m: &str) -> Result<T, SmartsError> {
        Err(SmartsError {
            position: self.pos,
            message: m.to_string(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn pattern(&mut self) -> Result<Query, SmartsError> {
        let mut q = Query::default();
        let mut prev: Option<u32> = None;
        let mut stack: Vec<u32> = Vec::new();
        let mut pending: Option<BondExpr> = None;
        let mut rings: Vec<Option<(u32, Option<BondExpr>)>> = vec![None; 100];
        while let Some(c) = self.peek() {
            match c {
                b')' => {
                    if stack.is_empty() {
                        break;
                    }
                    prev = stack.pop();
                    self.pos += 1;
                }
                b'(' => {
                    match prev {
                        Some(p) => stack.push(p),
                        None => return self.err("branch before any atom"),
                    }
                    self.pos += 1;
                }
                b'.' => {
                    prev = None;
                    self.pos += 1;
                }
                b'0'..=b'9' | b'%' => {
                    let Some(p) = prev else {
                        return self.err("ring closure before any atom");
                    };
                    let n = if c == b'%' {
                        let d = self.s.get(self.pos + 1..self.pos + 3);
                        match d {
                            Some(&[a @ b'0'..=b'9', b @ b'0'..=b'9']) => {
                                self.pos += 3;
                                ((a - b'0') * 10 + (b - b'0')) as usize
                            }
                            _ => return self.err("'%' needs two digits"),
                        }
                    } else {
                        self.pos += 1;
                        (c - b'0') as usize
                    };
                    match rings[n].take() {
                        None => rings[n] = Some((p, pending.take())),
                        Some((o, e)) => {
                            let expr = pending.take().or(e).unwrap_or(BondExpr::Implicit);
                            q.bonds.push(QueryBond { a: o, b: p, expr });
                        }
                    }
                }
                b'-' | b'=' | b'#' | b':' | b'~' | b'@' | b'!' | b'/' | b'\\' => {
                    pending = Some(self.bond_expr()?);
                }
                _ => {
                    let atom = self.atom()?;
                    let idx = q.atoms.len() as u32;
                    q.atoms.push(atom);
                    if let Some(p) = prev {
                        q.bonds.push(QueryBond {
                            a: p,
                            b: idx,
                            expr: pending.take().unwrap_or(BondExpr::Implicit),
                        });
                    } else if pending.is_some() {
                        return self.err("bond before any atom");
                    }
                    prev = Some(idx);
                }
            }
        }
        if pending.is_some() {
            return self.err("dangling bond");
        }
        if !stack.is_empty() {
            return self.err("unclosed branch");
        }
        if rings.iter().any(|r| r.is_some()) {
            return self.err("unclosed ring bond");
        }
        if q.atoms.is_empty() {
            return self.err("empty pattern");
        }
        Ok(q)
    }

    fn bond_primitive(&mut self) -> Result<BondExpr, SmartsError> {
        let c = self.peek();
        let e = match c {
            Some(b'-') | Some(b'/') | Some(b'\\') => BondExpr::Single,
            Some(b'=') => BondExpr::Double,
            Some(b'#') => BondExpr::Triple,
            Some(b':') => BondExpr::Aromatic,
            Some(b'~') => BondExpr::Any,
            Some(b'@') => BondExpr::Ring,
            Some(b'!') => {
                // a run of '!' read in a loop, never by recursion (input depth)
                let mut nots = 0usize;
                while self.peek() == Some(b'!') {
                    self.pos += 1;
                    nots += 1;
                }
                let e = self.bond_primitive()?;
                return Ok(if nots % 2 == 1 {
                    BondExpr::Not(Box::new(e))
                } else {
                    e
                });
            }
            _ => return self.err("expected a bond"),
        };
        self.pos += 1;
        Ok(e)
    }

    fn bond_expr(&mut self) -> Result<BondExpr, SmartsError> {
        // low ';' > ',' > high '&' / juxtaposition
        let mut low = Vec::new();
        loop {
            let mut ors = Vec::new();
            loop {
                let mut ands = vec![self.bond_primitive()?];
                loop {
                    match self.peek() {
                        Some(b'&') => {
                            self.pos += 1;
                            ands.push(self.bond_primitive()?);
                        }
                        Some(b'-' | b'=' | b'#' | b':' | b'~' | b'@' | b'!' | b'/' | b'\\') => {
                            ands.push(self.bond_primitive()?)
                        }
                        _ => break,
                    }
                }
                ors.push(one_or(ands, BondExpr::And));
                if self.peek() == Some(b',') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            low.push(one_or(ors, BondExpr::Or));
            if self.peek() == Some(b';') {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(one_or(low, BondExpr::And))
    }

    fn atom(&mut self) -> Result<AtomExpr, SmartsError> {
        let c = self.s[self.pos];
        if c == b'[' {
            self.pos += 1;
            let e = self.atom_expr()?;
            if self.peek() != Some(b']') {
                return self.err("expected ']'");
            }
            self.pos += 1;
            return Ok(e);
        }
        let two = self.s.get(self.pos..self.pos + 2);
        if two == Some(b"Cl") {
            self.pos += 2;
            return Ok(aliphatic(17));
        }
        if two == Some(b"Br") {
            self.pos += 2;
            return Ok(aliphatic(35));
        }
        let e = match c {
            b'*' => AtomExpr::Any,
            b'a' => AtomExpr::Aromatic(true),
            b'A' => AtomExpr::Aromatic(false),
            b'B' => aliphatic(5),
            b'C' => aliphatic(6),
            b'N' => aliphatic(7),
            b'O' => aliphatic(8),
            b'P' => aliphatic(15),
            b'S' => aliphatic(16),
            b'F' => aliphatic(9),
            b'I' => aliphatic(53),
            b'b' => aromatic(5),
            b'c' => aromatic(6),
            b'n' => aromatic(7),
            b'o' => aromatic(8),
            b'p' => aromatic(15),
            b's' => aromatic(16),
            _ => return self.err("unexpected character"),
        };
        self.pos += 1;
        Ok(e)
    }

    fn atom_expr(&mut self) -> Result<AtomExpr, SmartsError> {
        let mut low = Vec::new();
        loop {
            let mut ors = Vec::new();
            loop {
                let mut ands = vec![self.atom_primitive()?];
                loop {
                    match self.peek() {
                        Some(b'&') => {
                            self.pos += 1;
                            ands.push(self.atom_primitive()?);
                        }
                        Some(b',' | b';' | b']') | None => break,
                        Some(_) => ands.push(self.atom_primitive()?),
                    }
                }
                ors.push(one_or(ands, AtomExpr::And));
                if self.peek() == Some(b',') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            low.push(one_or(ors, AtomExpr::Or));
            if self.peek() == Some(b';') {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(one_or(low, AtomExpr::And))
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) && self.pos - start < 4 {
            self.pos += 1;
        }
        if start == self.pos {
            None
        } else {
            std::str::from_utf8(&self.s[start..self.pos])
                .ok()?
                .parse()
                .ok()
        }
    }

    fn atom_primitive(&mut self) -> Result<AtomExpr, SmartsError> {
        let Some(c) = self.peek() else {
            return self.err("unexpected end in atom");
        };
        match c {
            b'!' => {
                // a run of '!' read in a loop, never by recursion (input depth)
                let mut nots = 0usize;
                while self.peek() == Some(b'!') {
                    self.pos += 1;
                    nots += 1;
                }
                let e = self.atom_primitive()?;
                Ok(if nots % 2 == 1 {
                    AtomExpr::Not(Box::new(e))
                } else {
                    e
                })
            }
            b'0'..=b'9' => {
                let n = self.number().unwrap_or(0);
                Ok(AtomExpr::Isotope(n as u16))
            }
            b'*' => {
                self.pos += 1;
                Ok(AtomExpr::Any)
            }
            b'$' => {
                self.pos += 1;
                if self.peek() != Some(b'(') {
                    return self.err("expected '(' after '$'");
                }
                self.pos += 1;
                if self.depth >= MAX_RECURSION {
                    return self.err("recursive SMARTS nested too deep");
                }
                self.depth += 1;
                let inner = self.pattern()?;
                self.depth -= 1;
                if self.peek() != Some(b')') {
                    return self.err("expected ')' closing recursive SMARTS");
                }
                self.pos += 1;
                Ok(AtomExpr::Recursive(Box::new(inner)))
            }
            b'#' => {
                self.pos += 1;
                match self.number() {
                    Some(n) if n <= 118 => Ok(AtomExpr::Element(n as u8)),
                    _ => self.err("'#' needs an atomic number"),
                }
            }
            b'+' | b'-' => {
                self.pos += 1;
                let sign: i32 = if c == b'+' { 1 } else { -1 };
                let mut q = sign;
                if let Some(n) = self.number() {
                    q = sign * n as i32;
                } else {
                    while self.peek() == Some(c) {
                        self.pos += 1;
                        q += sign;
                    }
                }
                Ok(AtomExpr::Charge(q.clamp(-15, 15) as i8))
            }
            b'@' => self.err("chirality in SMARTS is not supported"),
            b'D' | b'X' | b'H' | b'R' | b'r' | b'x' | b'v' | b'h' => {
                // 'H' followed by a lowercase letter is never an element here except Hf, Hg, He, Ho, Hs
                if c == b'H' {
                    if let Some(n2) = self.s.get(self.pos + 1).filter(|x| x.is_ascii_lowercase()) {
                        if let Some(el) =
                            Element::from_symbol(std::str::from_utf8(&[b'H', *n2]).unwrap_or(""))
                        {
                            self.pos += 2;
                            return Ok(aliphatic(el.number()));
                        }
                    }
                }
                if c == b'D'
                    && self
                        .s
                        .get(self.pos + 1)
                        .is_some_and(|x| *x == b'b' || *x == b'y' || *x == b's')
                {
                    return self.element();
                }
                if c == b'R'
                    && self
                        .s
                        .get(self.pos + 1)
                        .is_some_and(|x| x.is_ascii_lowercase())
                {
                    return self.element();
                }
                self.pos += 1;
                let n = self.number();
                Ok(match (c, n) {
                    (b'D', n) => AtomExpr::Degree(n.unwrap_or(1) as u8),
                    (b'X', n) => AtomExpr::Connectivity(n.unwrap_or(1) as u8),
                    (b'H', n) => AtomExpr::Hydrogens(n.unwrap_or(1) as u8),
                    (b'h', n) => AtomExpr::Hydrogens(n.unwrap_or(1) as u8),
                    (b'R', None) => AtomExpr::InRing,
                    (b'R', Some(0)) => AtomExpr::Not(Box::new(AtomExpr::InRing)),
                    (b'R', Some(k)) => AtomExpr::RingCount(k as u8),
                    (b'r', None) => AtomExpr::InRing,
                    (b'r', Some(k)) => AtomExpr::RingSize(k as u8),
                    (b'x', n) => AtomExpr::RingConnectivity(n.unwrap_or(1) as u8),
                    (_, n) => AtomExpr::Valence(n.unwrap_or(1) as u8),
                })
            }
            b'a' if self.s.get(self.pos + 1).is_none_or(|x| *x != b's') => {
                self.pos += 1;
                Ok(AtomExpr::Aromatic(true))
            }
            b'A' if !self
                .s
                .get(self.pos + 1)
                .is_some_and(|x| x.is_ascii_lowercase()) =>
            {
                self.pos += 1;
                Ok(AtomExpr::Aromatic(false))
            }
            _ => self.element(),
        }
    }

    fn element(&mut self) -> Result<AtomExpr, SmartsError> {
        let rest = &self.s[self.pos..];
        for (sym, z) in [(&b"se"[..], 34u8), (b"as", 33), (b"te", 52)] {
            if rest.starts_with(sym) {
                self.pos += 2;
                return Ok(aromatic(z));
            }
        }
        match rest.first() {
            Some(c @ (b'b' | b'c' | b'n' | b'o' | b'p' | b's')) => {
                self.pos += 1;
                let z = match c {
                    b'b' => 5,
                    b'c' => 6,
                    b'n' => 7,
                    b'o' => 8,
                    b'p' => 15,
                    _ => 16,
                };
                Ok(aromatic(z))
            }
            Some(c) if c.is_ascii_uppercase() => {
                if let Some(c2) = rest.get(1).filter(|x| x.is_ascii_lowercase()) {
                    if let Some(el) =
                        Element::from_symbol(std::str::from_utf8(&[*c, *c2]).unwrap_or(""))
                    {
                        self.pos += 2;
                        return Ok(AtomExpr::Element(el.number()));
                    }
                }
                match Element::from_symbol(std::str::from_utf8(&[*c]).unwrap_or("")) {
                    Some(el) => {
                        self.pos += 1;
                        Ok(AtomExpr::Element(el.number()))
                    }
                    None => self.err("unknown element"),
                }
            }
            _ => self.err("unexpected character in atom"),
        }
    }
}

fn aliphatic(z: u8) -> AtomExpr {
    AtomExpr::And(vec![AtomExpr::Element(z), AtomExpr::Aromatic(false)])
}

fn aromatic(z: u8) -> AtomExpr {
    AtomExpr::And(vec![AtomExpr::Element(z), AtomExpr::Aromatic(true)])
}

fn one_or<T>(mut v: Vec<T>, wrap: fn(Vec<T>) -> T) -> T {
    if v.len() == 1 {
        v.pop().unwrap_or_else(|| wrap(Vec::new()))
    } else {
        wrap(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smiles;

    fn count(pattern: &str, smi: &str) -> usize {
        parse(pattern)
            .unwrap()
            .matches(&smiles::parse(smi).unwrap())
            .unwrap()
            .len()
    }

    #[test]
    fn basic_patterns() {
        assert_eq!(count("c1ccccc1", "c1ccccc1-c1ccccc1"), 2);
        assert_eq!(
            count(
                "[#7;R1]1CCC(-[N;!R])CC1",
                "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
            ),
            1
        );
        assert_eq!(count("C(=O)[OX2H1]", "CC(=O)O"), 1);
        assert_eq!(count("[CX3](=O)[OX2H0]", "CC(=O)O"), 0);
        assert_eq!(count("[$(C=O)]", "CC(=O)C"), 1);
        assert_eq!(count("[Cl,Br]", "ClCCBr"), 2);
        assert_eq!(count("[!#6]", "CCO"), 1);
        assert_eq!(count("C~C", "C=C"), 1);
        assert_eq!(count("C-C", "C=C"), 0);
        assert_eq!(count("[r5]", "C1CCCC1C"), 5);
        assert_eq!(count("[+]", "C[N+](C)(C)C"), 1);
        assert_eq!(count("[NH2]", "CN"), 1);
        // a monomorphism, not an induced subgraph: a chain matches inside a ring
        assert_eq!(count("CCCCCC", "C1CCCCC1"), 1);
    }

    /// Found by `fuzz/fuzz_targets/smarts.rs`: many disconnected wildcards made the
    /// backtracking search run for minutes on fentanyl. It now stops with an error (never
    /// a "no match"), and a query that matches still says so at once.
    #[test]
    fn a_costly_search_stops_with_an_error() {
        let fentanyl = smiles::parse("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1").unwrap();
        let costly = parse("*c*.*c*.a.*a.*.***S~*c*.c").unwrap();
        assert_eq!(
            costly.is_match(&fentanyl),
            Err(crate::substruct::SearchTooCostly(
                crate::substruct::MAX_SEARCH_STEPS
            ))
        );
        assert!(costly.matches(&fentanyl).is_err());
        assert_eq!(parse("*.*.*.*.*").unwrap().is_match(&fentanyl), Ok(true));
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse("C(C").unwrap_err();
        assert!(e.message.contains("unclosed branch"));
        assert!(parse("[C@H]").is_err());
        assert!(parse("C1CC").is_err());
        assert!(parse("[Qq]").is_err());
        // found by fuzzing: deep input never overflows the stack
        let nots = format!("[{}C]", "!".repeat(50_000));
        assert_eq!(count(&nots, "CCO"), 2);
        let deep = format!("{}C{}", "[$(".repeat(1000), ")]".repeat(1000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested too deep"), "{e:?}");
        assert_eq!(
            count(&format!("{}C{}", "[$(".repeat(5), ")]".repeat(5)), "CCO"),
            2
        );
    }
}
