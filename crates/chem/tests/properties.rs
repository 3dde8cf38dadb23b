//! Property tests: readers never panic on arbitrary input, and what we write reads back
//! to the same canonical form.

use chem::smiles::{canonical_smiles, parse};
use proptest::prelude::*;

const ALPHABET: &[&str] = &[
    "C", "c", "N", "n", "O", "o", "S", "s", "F", "Cl", "Br", "(", ")", "1", "2", "%10", "=", "#",
    "/", "\\", "[nH]", "[C@H]", "[C@@H]", "[N+]", "[O-]", "[2H]", ".", ":", "-", "[", "]", "@",
    "*",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn smiles_reader_never_panics(s in "\\PC{0,40}") {
        let _ = parse(&s);
    }

    #[test]
    fn smiles_reader_never_panics_on_smiles_like_text(parts in proptest::collection::vec(0..ALPHABET.len(), 0..30)) {
        let s: String = parts.iter().map(|&i| ALPHABET[i]).collect();
        if let Ok(m) = parse(&s) {
            // Whatever parses must write a SMILES that reads back to the same canonical form.
            let c = canonical_smiles(&m);
            let m2 = parse(&c).map_err(|e| TestCaseError::fail(format!("{s} -> {c}: {e}")))?;
            prop_assert_eq!(canonical_smiles(&m2), c);
        }
    }

    #[test]
    fn smarts_reader_never_panics(s in "\\PC{0,30}") {
        let _ = chem::smarts::parse(&s);
    }

    #[test]
    fn molfile_reader_never_panics(lines in proptest::collection::vec("[ 0-9A-Za-z.\\-]{0,50}", 0..14)) {
        let text = lines.join("\n");
        let _ = chem::molfile::parse_molfile(&text);
        let _ = chem::molfile::SdReader::new(text.as_bytes()).count();
    }
}

#[test]
fn errors_name_position_and_cause() {
    let e = parse("CC(C").unwrap_err();
    assert_eq!(e.position, 2);
    assert!(e.to_string().contains("never closed"), "{e}");
    let e = parse("C1CC").unwrap_err();
    assert!(e.to_string().contains("ring bond 1"), "{e}");
    let e = parse("c1cccc1").unwrap_err();
    assert!(e.to_string().contains("kekulize"), "{e}");
    let e = parse("C(C)(C)(C)(C)C").unwrap_err();
    assert!(e.to_string().contains("valence 5"), "{e}");
    let e = parse("C[Xy]").unwrap_err();
    assert_eq!(e.position, 2);
    assert!(parse("").is_err());
}

/// Input depth never reaches the thread's stack: long ring chains, long aromatic
/// chains, deep branches and long chains are read, perceived, standardised and written
/// on a 1 MiB stack (a tokio worker has 2 MiB). 1,500 fused-by-bond cyclohexanes
/// overflowed the recursive writer at this size.
#[test]
fn deep_inputs_do_not_overflow_a_small_stack() {
    let inputs = [
        "C1CCCCC1".repeat(1500),
        "c1ccccc1".repeat(1000),
        format!("{}C{}", "C(".repeat(3000), ")".repeat(3000)),
        "C".repeat(6000),
    ];
    let worker = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for smi in &inputs {
                let m = chem::smiles::parse_within(smi, &chem::Limits::NONE).expect("valid SMILES");
                let parts = chem::standardise::standardise_components(&m);
                let out = chem::smiles::canonical_smiles(&parts[0].parent);
                let again = chem::smiles::parse_within(&out, &chem::Limits::NONE).expect("re-read");
                assert_eq!(again.atom_count(), m.atom_count(), "{}", &smi[..20]);
            }
        })
        .expect("thread");
    worker.join().expect("no stack overflow, no panic");
}

/// Canonical SMILES reads back to itself, including for the cases the fuzzer found
/// (`fuzz/regressions/smiles/`): an under-valent bracket atom such as `[N+]` with two
/// bonds and no H, or `[O+]` in `O1N(C)[O+]1`, has unpaired electrons, so its ring is not
/// aromatic and no `[n+]` or `[o+]` is written that the kekulizer cannot read.
#[test]
fn canonical_smiles_reads_back_to_itself() {
    let regressions =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/smiles");
    let mut cases: Vec<String> = [
        "C1=CC=C[N+]1",
        "C1=C[N+]C=C1",
        "c1cc[nH+]cc1",
        "C[n+]1ccccc1",
        "c1ccc[cH-]1",
        "c1cc[o+]cc1",
        "[c]1ccccc1",
        "[CH+]1C=CC=CC=C1",
    ]
    .map(String::from)
    .to_vec();
    for f in std::fs::read_dir(&regressions).expect("fuzz/regressions/smiles") {
        let text = std::fs::read_to_string(f.expect("entry").path()).expect("read");
        cases.push(text.trim_end_matches('\n').to_string());
    }
    assert!(cases.len() > 8, "the fuzzer's regressions are read");
    for input in &cases {
        let mol = chem::smiles::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let canonical = chem::smiles::canonical_smiles(&mol);
        let again = chem::smiles::parse(&canonical)
            .unwrap_or_else(|e| panic!("{input} -> {canonical} does not read back: {e}"));
        assert_eq!(chem::smiles::canonical_smiles(&again), canonical, "{input}");
    }
    // as RDKit: the ring of an under-valent [N+], [O+], [N] or [Si] is not aromatic;
    // the phenyl radical is
    for input in [
        "C1=C[N+]C=C1",
        "O1N(C)[O+]1",
        "[N]1C=CC=C1",
        "[Si]1=CC=CC=C1",
    ] {
        let c = chem::smiles::canonical_smiles(&chem::smiles::parse(input).expect("parse"));
        assert!(!c.chars().any(|ch| "cnos".contains(ch)), "{input} -> {c}");
    }
    let c = chem::smiles::canonical_smiles(&chem::smiles::parse("[C]1=CC=CC=C1").expect("parse"));
    assert_eq!(c, "[c]1ccccc1");
}
