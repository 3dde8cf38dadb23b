//! The same rules on structures that are not in the evaluation file, each worked out
//! from the documented reading (tests/data/fentanyl_cases_README.md), and the atom
//! indices of explanations.

use law::{Classifier, Jurisdictions};

/// A fixed date after every change in the catalogue, so results do not drift.
fn date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
}

/// (what it is, SMILES, CN result, CN conditions, US result, US conditions)
const CASES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "N-(pyridin-2-yl) in place of N-phenyl",
        "CCC(=O)N(c1ccccn1)C1CCN(CCc2ccccc2)CC1",
        "match",
        "2",
        "match",
        "D",
    ),
    (
        "N-(thiophen-3-yl)",
        "CCC(=O)N(c1ccsc1)C1CCN(CCc2ccccc2)CC1",
        "match",
        "2",
        "match",
        "D",
    ),
    (
        "N-cyclohexyl: not aromatic",
        "CCC(=O)N(C1CCCCC1)C1CCN(CCc2ccccc2)CC1",
        "no_match",
        "",
        "no_match",
        "",
    ),
    (
        "N-(1-naphthyl): fused",
        "CCC(=O)N(c1cccc2ccccc12)C1CCN(CCc2ccccc2)CC1",
        "no_match",
        "",
        "no_match",
        "",
    ),
    (
        "ethanesulfonyl: sulfonamide is open",
        "CCS(=O)(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "ambiguous",
        "",
        "ambiguous",
        "",
    ),
    (
        "formyl is an acyl",
        "O=CN(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "match",
        "1",
        "match",
        "E",
    ),
    (
        "Boc on the anilide N: alkoxycarbonyl",
        "CC(C)(C)OC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "match",
        "1",
        "match",
        "E",
    ),
    (
        "methylthioacetyl: any acyl",
        "CSCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
        "match",
        "1",
        "match",
        "E",
    ),
    (
        "3-allyl: alkenyl",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1CC=C",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "3-propargyl: alkynyl is not listed",
        "C#CCC1CN(CCc2ccccc2)CCC1N(C(=O)CC)c1ccccc1",
        "no_match",
        "",
        "no_match",
        "",
    ),
    (
        "4-ethoxycarbonyl: ester",
        "CCOC(=O)C1(N(C(=O)CC)c2ccccc2)CCN(CCc2ccccc2)CC1",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "4-hydroxymethyl: open",
        "OCC1(N(C(=O)CC)c2ccccc2)CCN(CCc2ccccc2)CC1",
        "ambiguous",
        "",
        "ambiguous",
        "",
    ),
    (
        "3-nitro",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1[N+](=O)[O-]",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "3-trifluoromethyl: haloalkyl",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C(F)(F)F",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "3-dimethylamino",
        "CN(C)C1CN(CCc2ccccc2)CCC1N(C(=O)CC)c1ccccc1",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "3-cyano: not listed",
        "N#CC1CN(CCc2ccccc2)CCC1N(C(=O)CC)c1ccccc1",
        "no_match",
        "",
        "no_match",
        "",
    ),
    (
        "3-oxo: not listed",
        "O=C1CN(CCc2ccccc2)CCC1N(C(=O)CC)c1ccccc1",
        "no_match",
        "",
        "no_match",
        "",
    ),
    (
        "2-methyl",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)C(C)C1",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "quaternary N-methyl: alkyl on the ring N",
        "CCC(=O)N(c1ccccc1)C1CC[N+](C)(CCc2ccccc2)CC1",
        "match",
        "3",
        "match",
        "C",
    ),
    (
        "4-methoxyphenethyl",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccc(OC)cc2)CC1",
        "match",
        "4",
        "match",
        "B",
    ),
    (
        "2-cyclohexylethyl: any monocycle",
        "CCC(=O)N(c1ccccc1)C1CCN(CCC2CCCCC2)CC1",
        "match",
        "4",
        "match",
        "A",
    ),
    (
        "2-(pyridin-2-yl)ethyl",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccn2)CC1",
        "match",
        "4",
        "match",
        "A",
    ),
    (
        "2-(2-naphthyl)ethyl: fused",
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccc3ccccc3c2)CC1",
        "match",
        "4",
        "no_match",
        "",
    ),
    (
        "4-acetylphenethyl: broad reading of (A)",
        "CC(=O)c1ccc(CCN2CCC(N(C(=O)CC)c3ccccc3)CC2)cc1",
        "match",
        "4",
        "match",
        "A",
    ),
    (
        "phenacyl: oxo on the linker",
        "CCC(=O)N(c1ccccc1)C1CCN(CC(=O)c2ccccc2)CC1",
        "match",
        "4",
        "no_match",
        "",
    ),
    (
        "N-acetyl in place of phenethyl",
        "CCC(=O)N(c1ccccc1)C1CCN(C(C)=O)CC1",
        "match",
        "4",
        "no_match",
        "",
    ),
    (
        "all four/five at once",
        "COCC1(N(C(=O)c2cccs2)c2ccccc2F)CCN(CCc2cccs2)CC1",
        "match",
        "1;2;3;4",
        "match",
        "A;C;D;E",
    ),
    (
        "fentanyl with explicit hydrogens, kekulé",
        "[H]C([H])([H])CC(=O)N(C1=CC=CC=C1)C1CCN(CCC2=CC=CC=C2)CC1",
        "no_match",
        "",
        "no_match",
        "",
    ),
];

fn split(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn further_cases() {
    let c = Classifier::builtin().expect("data");
    let mut failures = Vec::new();
    for (what, smi, cn, cn_c, us, us_c) in CASES {
        let q = c.resolve(smi).unwrap_or_else(|e| panic!("{what}: {e}"));
        let r = c.classify(&q, Jurisdictions::All, date());
        for (jur, want, want_c) in [("CN", cn, cn_c), ("US", us, us_c)] {
            let g = r
                .verdicts
                .iter()
                .find(|v| v.jurisdiction == jur)
                .and_then(|v| v.generic.clone())
                .expect("generic");
            if g.result.as_str() != *want || (*want == "match" && g.conditions != split(want_c)) {
                failures.push(format!(
                    "{what} [{jur}]: got {} {:?}, want {want} {want_c} | {:?}",
                    g.result, g.conditions, g.reasons
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn explanation_atoms_are_input_atoms_even_after_salt_removal() {
    let c = Classifier::builtin().expect("data");
    // C0 C1 C2 O3 N4 c5 c6 c7 c8 F9 c10 c11 C12 C13 C14 N15 (phenethyl 16-23) C24 C25
    let base = "CCC(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1";
    for (smi, shift) in [(base.to_string(), 0u32), (format!("Cl.{base}"), 1)] {
        let q = c.resolve(&smi).expect("input");
        let r = c.classify(&q, Jurisdictions::Cn, date());
        let g = r.verdicts[0].generic.as_ref().expect("generic");
        let s = |v: &[u32]| v.iter().map(|x| x + shift).collect::<Vec<u32>>();
        assert_eq!(g.atoms["condition_2"], s(&[5, 6, 7, 8, 9, 10, 11]), "{smi}");
        assert_eq!(g.atoms["anilide_n"], s(&[4]), "{smi}");
        let mut pip = g.atoms["piperidine"].clone();
        pip.sort_unstable();
        assert_eq!(pip, s(&[12, 13, 14, 15, 24, 25]), "{smi}");
        assert!(
            g.reasons
                .iter()
                .any(|r| r.contains("halo *F") && r.contains("condition 2")),
            "{:?}",
            g.reasons
        );
    }
}

#[test]
fn names_cas_and_unknowns() {
    let c = Classifier::builtin().expect("data");
    // Chinese name, any case/hyphenation, CAS with check digit
    for input in ["卡芬太尼", "CARFENTANIL", "car-fentanil", "59708-52-0"] {
        let q = c.resolve(input).expect(input);
        let r = c.classify(&q, Jurisdictions::All, date());
        assert_eq!(r.name.as_deref(), Some("Carfentanil"), "{input}");
        let cn = r
            .verdicts
            .iter()
            .find(|v| v.jurisdiction == "CN")
            .expect("CN");
        assert!(cn.controlled && !cn.listings.is_empty(), "{input}");
    }
    // a valid CAS number not on file is an answer: undetermined, structure unknown
    let q = c
        .resolve("79-11-8")
        .expect("chloroacetic acid CAS is valid");
    let r = c.classify(&q, Jurisdictions::All, date());
    assert_eq!(r.verdicts.len(), 2);
    for v in &r.verdicts {
        assert_eq!(v.status, law::Status::Undetermined, "{v:?}");
        assert!(
            v.undetermined_because[0].contains("structure unknown"),
            "{v:?}"
        );
    }
    // a structure that is nothing controlled
    let q = c.resolve("CCO ethanol").expect("smiles");
    let r = c.classify(&q, Jurisdictions::All, date());
    assert!(r
        .verdicts
        .iter()
        .all(|v| !v.controlled && v.status == law::Status::NotControlled));
}

/// A molfile reads the same whatever happened to its header lines on the way: its empty
/// title line trimmed away (a form field, a copy from a web page, a structure editor's
/// output), or lines before it; the title, when there is one, is its name.
#[test]
fn a_molfile_whose_empty_header_lines_were_trimmed_reads_the_same() {
    let c = Classifier::builtin().expect("data");
    let fentanyl = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1";
    let mol = chem::smiles::parse(fentanyl).expect("SMILES");
    let layout = chem::layout::layout(&mol).expect("layout");
    let full = chem::molfile::write_molfile(&mol, &layout, "").expect("molfile");
    let expected = chem::smiles::canonical_smiles(&mol);
    let body = full
        .split_once('\n')
        .expect("after the title")
        .1
        .to_string();
    for (what, text) in [
        ("as written", full.clone()),
        (
            "title line trimmed away",
            body.trim_start_matches('\n').to_string(),
        ),
        (
            "both blank lines trimmed too",
            full.trim_start().to_string(),
        ),
        ("a line before it", format!("junk before\n{full}")),
    ] {
        let answer = c
            .classify_text(&text, Jurisdictions::All, date())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            answer.parent_smiles.as_deref(),
            Some(expected.as_str()),
            "{what}"
        );
    }
    let titled = chem::molfile::write_molfile(&mol, &layout, "my fentanyl").expect("molfile");
    let answer = c
        .classify_text(&titled, Jurisdictions::All, date())
        .expect("titled");
    assert_eq!(answer.name.as_deref(), Some("my fentanyl"));
}
