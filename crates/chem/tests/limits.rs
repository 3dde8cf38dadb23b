//! Size limits: every reader refuses a structure beyond them, naming the limit, before
//! any perception that costs more than linear time; structures at the limits are read.

use chem::{Limit, Limits};

fn refused_by(smiles: &str) -> Option<Limit> {
    match chem::smiles::parse(smiles) {
        Ok(_) => None,
        Err(e) => Some(e.limit_exceeded().expect("refused for its size").limit),
    }
}

/// A ladder of `rings` fused four-membered rings (the 2.5 KB input that took 15 s).
fn ladder(rings: usize) -> String {
    let n = 2 * rings + 2;
    let mut s = String::new();
    for p in 0..n {
        s.push('C');
        if p >= 3 && (p - 3) % 2 == 0 {
            s.push_str(&(1 + ((p - 3) / 2) % 2).to_string());
        }
        if p % 2 == 0 && p + 3 < n {
            s.push_str(&(1 + (p / 2) % 2).to_string());
        }
    }
    s
}

/// A ring of `2 * k` atoms with a three-membered ring fused on every other bond: one hub
/// ring sharing a bond with `k` others, the most fused combinations per ring.
fn hub(k: usize) -> String {
    format!("C2(C1)C1{}2", "C(C1)C1".repeat(k - 1))
}

#[test]
fn heavy_atoms() {
    assert_eq!(refused_by(&"C".repeat(1000)), None);
    assert_eq!(refused_by(&"C".repeat(1001)), Some(Limit::Atoms));
    // explicit hydrogens are folded before counting
    assert_eq!(refused_by(&"C([H])([H])".repeat(1000)), None);
    let e = chem::smiles::parse(&"C".repeat(7000)).unwrap_err();
    assert_eq!(e.position, 1000, "points at the first atom past the limit");
    assert!(e.to_string().contains("max_atoms"), "{e}");
    assert!(e.to_string().contains("7000 heavy atoms"), "{e}");
}

#[test]
fn rings() {
    assert_eq!(refused_by(&"C1CC1".repeat(100)), None);
    assert_eq!(refused_by(&"C1CC1".repeat(101)), Some(Limit::Rings));
    // disconnected rings count too
    assert_eq!(refused_by(&["C1CC1"; 101].join(".")), Some(Limit::Rings));
}

#[test]
fn ring_systems() {
    assert_eq!(refused_by(&ladder(40)), None);
    assert_eq!(refused_by(&ladder(41)), Some(Limit::RingSystemRings));
    assert_eq!(refused_by(&ladder(450)), Some(Limit::Rings));
    // two fused macrocycles: one system of 2n + 3 atoms
    let bicycle = |n: usize| format!("C12{}C1{}C2", "C".repeat(n), "C".repeat(n));
    assert_eq!(refused_by(&bicycle(120)), None);
    assert_eq!(refused_by(&bicycle(124)), Some(Limit::RingSystemAtoms));
    // one large ring is not a fused system
    assert_eq!(refused_by(&format!("C1{}C1", "C".repeat(900))), None);
}

#[test]
fn aromatic_combinations() {
    assert_eq!(refused_by(&hub(8)), None);
    assert_eq!(refused_by(&hub(30)), Some(Limit::AromaticCombinations));
    // real fused systems stay far below: C60 fullerene, coronene, a steroid
    for smi in [
        "c12c3c4c5c1c1c6c7c2c2c8c3c3c9c4c4c%10c5c5c1c1c6c6c%11c7c2c2c7c8c3c3c8c9c4c4c9c%10c5c5c1c1c6c6c%11c2c2c7c3c3c8c4c4c9c5c1c1c6c2c3c41",
        "c1cc2ccc3ccc4ccc5ccc6ccc1c7c2c3c4c5c67",
        "CC12CCC3C(CCC4=CC(=O)CCC34C)C1CCC2O",
    ] {
        assert_eq!(refused_by(smi), None, "{smi}");
    }
}

#[test]
fn limits_can_be_raised_or_lowered() {
    let big = "C".repeat(1500);
    assert!(chem::smiles::parse(&big).is_err());
    let more = Limits {
        max_atoms: 2000,
        ..Limits::DEFAULT
    };
    assert_eq!(
        chem::smiles::parse_within(&big, &more).map(|m| m.atom_count()),
        Ok(1500)
    );
    let fewer = Limits {
        max_atoms: 10,
        ..Limits::DEFAULT
    };
    let e = chem::smiles::parse_within("CCCCCCCCCCC", &fewer).unwrap_err();
    assert_eq!(e.limit_exceeded().map(|l| (l.max, l.found)), Some((10, 11)));
}

#[test]
fn molfiles_and_sd_records_are_bounded_too() {
    // a V2000 chain of 12 carbons against a limit of 10 atoms
    let n = 12;
    let mut text = format!(
        "chain\n  test\n\n{n:>3}{:>3}  0  0  0  0  0  0  0  0999 V2000\n",
        n - 1
    );
    for _ in 0..n {
        text.push_str("    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n");
    }
    for i in 1..n {
        text.push_str(&format!("{i:>3}{:>3}  1  0\n", i + 1));
    }
    text.push_str("M  END\n");
    let fewer = Limits {
        max_atoms: 10,
        ..Limits::DEFAULT
    };
    assert!(chem::molfile::parse_molfile(&text).is_ok());
    let e = chem::molfile::parse_molfile_within(&text, &fewer).unwrap_err();
    assert_eq!(e.limit.clone().map(|l| l.limit), Some(Limit::Atoms), "{e}");
    assert!(e.to_string().contains("max_atoms"), "{e}");
    let sd = format!("{text}$$$$\n");
    let rec = chem::molfile::SdReader::new(sd.as_bytes())
        .with_limits(fewer)
        .next()
        .expect("one record")
        .expect("read");
    assert!(rec.molecule.is_err());
}
