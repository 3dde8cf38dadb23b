//! The fail-safe guard: generated analogues, salts, mixtures, isotopologues,
//! stereoisomers, re-spellings and decoys (`data/differential.csv.gz`, written by
//! `scripts/gen_differential.py`, expected verdicts argued in
//! `data/differential_README.md`), and the invariants that must hold on all of them.

use law::classify::Classification;
use law::{Classifier, ExportChecker, ExportDecision, Jurisdictions, NaiveDate, Outcome, Status};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;

#[derive(Debug, serde::Deserialize)]
struct Row {
    id: String,
    kind: String,
    smiles: String,
    of: String,
    map: String,
    cn: String,
    us: String,
    us_conditions: String,
    note: String,
}

fn rows() -> Vec<Row> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/differential.csv.gz"
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("fixture"))
        .read_to_string(&mut text)
        .expect("gzip");
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<Row>, _>>()
        .expect("fixture rows")
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("date")
}

/// Every row classified once (the tests below share it).
struct Suite {
    c: Classifier,
    rows: Vec<Row>,
    answers: Vec<Classification>,
    by_id: HashMap<String, usize>,
}

fn suite() -> &'static Suite {
    static S: std::sync::OnceLock<Suite> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let c = Classifier::builtin().expect("data");
        let rows = rows();
        let answers = rows
            .iter()
            .map(|r| {
                c.classify_text(&r.smiles, Jurisdictions::All, date())
                    .unwrap_or_else(|e| panic!("{} ({}): {e}", r.id, r.note))
            })
            .collect();
        let by_id = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Suite {
            c,
            rows,
            answers,
            by_id,
        }
    })
}

fn expected(word: &str) -> (Outcome, bool) {
    match word {
        "yes" => (Outcome::Match, false),
        "AMBIGUOUS" => (Outcome::Ambiguous, false),
        "parent" => (Outcome::NoMatch, true),
        _ => (Outcome::NoMatch, false),
    }
}

#[test]
fn the_fixture_is_large_and_covers_every_class() {
    let s = suite();
    assert!(s.rows.len() >= 10_000, "{} rows", s.rows.len());
    for kind in [
        "single",
        "pair",
        "salt_small",
        "salt_large",
        "cation",
        "mixture",
        "isotopologue",
        "stereoisomer",
        "decoy",
        "respelling_random",
        "respelling_kekule",
        "respelling_explicit_h",
        "respelling_molfile",
    ] {
        assert!(s.rows.iter().any(|r| r.kind == kind), "no {kind} rows");
    }
}

#[test]
fn generated_verdicts_follow_the_legal_texts() {
    let s = suite();
    let mut wrong = Vec::new();
    for (r, a) in s.rows.iter().zip(&s.answers) {
        for (jur, want) in [("CN", &r.cn), ("US", &r.us)] {
            let (outcome, reference) = expected(want);
            let v = a.verdict(jur).expect("verdict");
            let g = v.generic.as_ref().expect("generic");
            let mut ok = g.result == outcome;
            if reference {
                ok &= g
                    .reasons
                    .iter()
                    .any(|x| x.contains("identical to fentanyl"));
            }
            if jur == "US" && outcome == Outcome::Match && !r.us_conditions.is_empty() {
                let want_c: Vec<&str> = r.us_conditions.split(';').collect();
                ok &= g.conditions == want_c;
            }
            if !ok {
                wrong.push(format!(
                    "{} {} [{jur}] want {want} {}, got {} {:?}: {} | {:?}",
                    r.id, r.kind, r.us_conditions, g.result, g.conditions, r.note, g.reasons
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(40)].join("\n")
    );
}

/// The base row a derived row was made from.
fn base_of<'a>(s: &'a Suite, r: &Row) -> Option<(&'a Row, &'a Classification)> {
    s.by_id.get(&r.of).map(|&i| (&s.rows[i], &s.answers[i]))
}

#[test]
fn the_verdict_does_not_depend_on_atom_order_or_spelling() {
    let s = suite();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (r, a) in s.rows.iter().zip(&s.answers) {
        if !r.kind.starts_with("respelling") {
            continue;
        }
        let (_, base) = base_of(s, r).expect("base row");
        let map: Vec<u32> = r
            .map
            .split_whitespace()
            .map(|x| x.parse().expect("map"))
            .collect();
        let to_base =
            |atoms: &[u32]| -> BTreeSet<u32> { atoms.iter().map(|&x| map[x as usize]).collect() };
        // Atoms that only symmetry tells apart (the two methyls of an N,N-dimethyl) can
        // be named either way; the sets must then agree up to symmetry: the same
        // multiset of symmetry classes of the base.
        let (base_row, _) = base_of(s, r).expect("base row");
        let classes = chem::canon::rank(&parse(&base_row.smiles)).classes;
        let up_to_symmetry = |variant: &[u32], base: &[u32]| {
            let mut a: Vec<u32> = variant
                .iter()
                .map(|&x| classes[map[x as usize] as usize])
                .collect();
            let mut b: Vec<u32> = base.iter().map(|&x| classes[x as usize]).collect();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        };
        for (v, b) in a.verdicts.iter().zip(&base.verdicts) {
            let (g, h) = (
                v.generic.as_ref().expect("g"),
                b.generic.as_ref().expect("h"),
            );
            let same_text = v.status == b.status
                && g.result == h.result
                && g.conditions == h.conditions
                && g.reasons == h.reasons
                && g.flags == h.flags;
            let same_atoms = g.atoms.len() == h.atoms.len()
                && g.atoms.iter().all(|(k, atoms)| {
                    h.atoms.get(k).is_some_and(|want| {
                        to_base(atoms) == want.iter().copied().collect()
                            || up_to_symmetry(atoms, want)
                    })
                });
            if !same_text || !same_atoms {
                wrong.push(format!(
                    "{} ({}) of {} [{}]: {:?} {:?} vs {:?} {:?}",
                    r.id, r.kind, r.of, v.jurisdiction, g.reasons, g.atoms, h.reasons, h.atoms
                ));
            }
        }
        checked += 1;
    }
    assert!(checked > 4_000, "{checked} re-spellings");
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
}

#[test]
fn salts_mixtures_and_labels_never_weaken_a_verdict_and_name_the_component() {
    let s = suite();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (r, a) in s.rows.iter().zip(&s.answers) {
        if r.of.is_empty() || r.kind.starts_with("respelling") {
            continue;
        }
        let (_, base) = base_of(s, r).expect("base row");
        for b in &base.verdicts {
            let v = a.verdict(&b.jurisdiction).expect("verdict");
            if v.status < b.status {
                wrong.push(format!(
                    "{} ({}, {}) [{}]: {} but the base is {}",
                    r.id, r.kind, r.note, b.jurisdiction, v.status, b.status
                ));
            }
            // the verdict is carried by the base's component
            if b.status != Status::NotControlled && !r.kind.starts_with("decoy") {
                let carried = v.component.and_then(|i| a.components.get(i));
                if carried.map(|c| &c.smiles) != base.parent_smiles.as_ref() {
                    wrong.push(format!(
                        "{} ({}) [{}]: carried by {:?}, not the base {:?}",
                        r.id,
                        r.note,
                        b.jurisdiction,
                        carried.map(|c| &c.smiles),
                        base.parent_smiles
                    ));
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 5_000, "{checked} derived rows");
    assert!(
        wrong.is_empty(),
        "{} weakened:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
}

/// A fixture structure as FentGuard reads it (SMILES or molfile).
fn parse(text: &str) -> chem::Molecule {
    if text.contains("M  END") {
        chem::molfile::parse_molfile(text).expect("molfile")
    } else {
        chem::smiles::parse(text).expect("smiles")
    }
}

#[test]
fn the_screening_prefilter_agrees_with_the_unfiltered_path() {
    let s = suite();
    let mut wrong = Vec::new();
    for (r, full) in s.rows.iter().zip(&s.answers) {
        let mol = parse(&r.smiles);
        let unfiltered = s.c.classify_structure(&mol, None, None, date());
        let screened = s.c.screen(&mol, date());
        let hit = unfiltered.worst() != Status::NotControlled;
        if screened.is_some() != hit || screened.as_ref().is_some_and(|x| *x != unfiltered) {
            wrong.push(format!(
                "{} ({}): screen {:?}",
                r.id,
                r.kind,
                screened.is_some()
            ));
        }
        // and the same verdicts as classify on the text (a molfile's title is its name)
        if full.verdicts != unfiltered.verdicts {
            wrong.push(format!("{} ({}): classify_text differs", r.id, r.kind));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}",
        wrong[..wrong.len().min(20)].join("\n")
    );
}

#[test]
fn export_check_agrees_with_classify_and_is_never_no_licence_for_what_is_not_judged() {
    let s = suite();
    let x = ExportChecker::builtin().expect("rules");
    let mut wrong = Vec::new();
    // every fifth row: export-check classifies again, and MX is on the specific-country
    // list, so a controlled substance always needs a licence or is prohibited
    for (r, a) in s.rows.iter().zip(&s.answers).step_by(5) {
        let ans = x
            .check(&s.c, &r.smiles, "MX", Some("1 kg"), date(), None, "CN")
            .unwrap_or_else(|e| panic!("{}: {e}", r.id));
        let cn = a.verdict("CN").expect("CN").status;
        let ok = match cn {
            Status::Controlled => matches!(
                ans.decision,
                ExportDecision::LicenceRequired | ExportDecision::Prohibited
            ),
            Status::Undetermined => ans.decision != ExportDecision::NoLicenceRequired,
            Status::NotControlled => ans.decision == ExportDecision::NoLicenceRequired,
        };
        let q = ans.quantity.as_ref().expect("quantity");
        let base_ok = q.base_equivalent_kg > 0.0 && q.base_equivalent_kg <= 1.0 + 1e-9;
        if !ok || !base_ok || ans.parent_smiles != a.parent_smiles {
            wrong.push(format!(
                "{} ({}): CN {cn}, export {} ({} kg base), parent {:?} vs {:?}",
                r.id,
                r.note,
                ans.decision,
                q.base_equivalent_kg,
                ans.parent_smiles,
                a.parent_smiles
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}",
        wrong[..wrong.len().min(20)].join("\n")
    );
}

#[test]
fn a_salt_declares_less_base_than_its_mass_and_the_base_is_the_controlled_component() {
    let c = Classifier::builtin().expect("data");
    let x = ExportChecker::builtin().expect("rules");
    // fentanyl pamoate 2:1: the pamoate (388 g/mol) outweighs one fentanyl (336 g/mol)
    let pamoate = "CCC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1.CCC(=O)N(c1ccccc1)C1CC[NH+](CCc2ccccc2)CC1.[O-]C(=O)c1cc2ccccc2c(Cc2c(O)c(C([O-])=O)cc3ccccc23)c1O";
    let a = x
        .check(&c, pamoate, "CL", Some("1 kg"), date(), None, "CN")
        .expect("answer");
    assert_eq!(
        a.decision,
        ExportDecision::LicenceRequired,
        "{:?}",
        a.reasons
    );
    let q = a.quantity.expect("quantity");
    // 2 x 336.5 / (2 x 336.5 + 386.4) = 0.635
    assert!((q.base_equivalent_kg - 0.635).abs() < 0.002, "{q:?}");
    let cl = c
        .classify_text(pamoate, Jurisdictions::All, date())
        .expect("classify");
    for v in &cl.verdicts {
        assert_eq!(v.status, Status::Controlled, "{v:?}");
        let comp = &cl.components[v.component.expect("component")];
        assert_eq!(comp.smiles, "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1");
        assert_eq!(comp.atoms.first(), Some(&0));
    }
}

/// Beyond the size limits a structure is refused with an error naming the limit, never
/// judged; a molecule with more fentanyl cores than are judged is undetermined, never
/// "not controlled"; the limits can be raised.
#[test]
fn structures_beyond_the_limits_are_refused_or_undetermined_never_not_controlled() {
    let c = Classifier::builtin().expect("data");
    let huge = "C1CCCCC1".repeat(5000);
    match c.classify_text(&huge, Jurisdictions::All, date()) {
        Err(law::InputError::TooLarge(l)) => assert_eq!(l.limit, chem::Limit::Atoms),
        other => panic!("expected a size refusal, got {other:?}"),
    }
    let e = c
        .classify_text(&huge, Jurisdictions::All, date())
        .unwrap_err();
    assert!(e.to_string().contains("max_atoms"), "{e}");
    let export = ExportChecker::builtin().expect("data");
    assert!(export.identify(&c, &huge, date()).is_err());
    // 12 anilidopiperidine cores on one chain: more than are judged in one molecule
    let core = "C1CC(N(c2ccccc2)C(=O)CC)CCN1";
    let many = format!("{core}{}", format!("C({core})").repeat(11));
    let cl = c
        .classify_text(&many, Jurisdictions::All, date())
        .expect("read");
    for v in &cl.verdicts {
        assert_eq!(v.status, Status::Undetermined, "{v:?}");
    }
    let few = format!("{core}C({core})");
    let cl = c
        .classify_text(&few, Jurisdictions::Cn, date())
        .expect("read");
    assert_eq!(
        cl.verdicts[0].status,
        Status::Controlled,
        "{:?}",
        cl.verdicts
    );
    let mut raised = Classifier::builtin().expect("data");
    raised.set_limits(chem::Limits {
        max_atoms: 2_000,
        ..chem::Limits::DEFAULT
    });
    let chain = "C".repeat(1_500);
    assert!(c.classify_text(&chain, Jurisdictions::All, date()).is_err());
    let cl = raised
        .classify_text(&chain, Jurisdictions::All, date())
        .expect("within the raised limit");
    assert!(cl
        .verdicts
        .iter()
        .all(|v| v.status == Status::NotControlled));
}
