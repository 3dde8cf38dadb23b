//! Property tests of the one input reader: any text is resolved or refused, never a
//! panic; a refusal of a near-miss name suggests the name; the suggestion cost is bounded.

use law::{Classifier, InputError, Jurisdictions, NaiveDate};
use proptest::prelude::*;

fn classifier() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(|| Classifier::builtin().expect("data"))
}

fn near_text() -> impl Strategy<Value = String> {
    // names, salts, CAS- and InChIKey-like shapes, SMILES pieces and molfile lines
    let token = prop_oneof![
        Just("fentanyl".to_string()),
        Just(" citrate".to_string()),
        Just("hydrochloride".to_string()),
        Just("-".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("M  END".to_string()),
        Just("  3  2  0  0  0  0  0  0  0  0999 V2000".to_string()),
        Just("437-38-7".to_string()),
        Just("PJMPHNIQZUBGLI-UHFFFAOYSA-N".to_string()),
        Just("CCC(=O)N".to_string()),
        Just("c1ccccc1".to_string()),
        Just(".".to_string()),
        Just("[2H]".to_string()),
        "[A-Za-z0-9()=#@+\\[\\]-]{0,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(token, 0..12).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_resolved_or_refused(text in near_text()) {
        let c = classifier();
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        match c.resolve(&text) {
            Ok(q) => {
                let a = c.classify(&q, Jurisdictions::All, date);
                prop_assert!(!a.verdicts.is_empty());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn one_typo_in_a_name_on_file_is_suggested(pos in 0usize..6, ch in "[a-z]") {
        let c = classifier();
        let name = "carfentanil";
        let mut typo: Vec<char> = name.chars().collect();
        typo[pos + 2] = ch.chars().next().expect("char");
        let typo: String = typo.into_iter().collect();
        prop_assume!(c.catalogue().by_name(&typo).is_none());
        match c.resolve(&typo) {
            Err(e @ InputError::Unrecognised { .. }) => {
                prop_assert!(e.did_you_mean().iter().any(|n| n == "Carfentanil"), "{e}");
            }
            other => prop_assert!(false, "{typo}: {other:?}"),
        }
    }
}

#[test]
fn suggestions_for_long_text_cost_nothing() {
    let c = classifier();
    let long = "fentanyl".repeat(10_000);
    let e = c.resolve(&long).expect_err("not a name");
    assert!(e.did_you_mean().is_empty());
}
