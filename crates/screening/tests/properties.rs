//! Properties of the screening on any text: it never panics, every offset it gives is a
//! character boundary of the text and spans what it says, and folding keeps the order of
//! the original.

use proptest::prelude::*;
use screening::fold::{fold, View};
use screening::Screener;
use std::sync::{Arc, OnceLock};

fn screener() -> &'static Screener {
    static S: OnceLock<Screener> = OnceLock::new();
    S.get_or_init(|| {
        Screener::builtin(Arc::new(law::Classifier::builtin().expect("law"))).expect("data")
    })
}

/// Texts mixing what the screening looks for with look-alikes and separators.
fn texty() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "fentanyl",
        "f3nt4nyl",
        "ＦＥＮ",
        "fеn",
        "\u{200b}",
        " ",
        "-",
        ".",
        "4-ANPP",
        "NPP",
        "437-38-7",
        "437 38 7",
        "１２",
        "芬太尼",
        "现货",
        "CC(=O)N",
        "c1ccccc1",
        "(",
        ")",
        "@chem",
        "$120/kg",
        "99%",
        "ZCMDXDQUYIWEKB-UHFFFAOYSA-N",
        "é",
        "ß",
        "İ",
        "\u{301}",
    ]);
    prop::collection::vec(
        prop_oneof![
            pieces.prop_map(String::from),
            any::<char>().prop_map(String::from)
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn offsets_are_boundaries_and_spans(text in texty()) {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let r = screener().screen("p", &text, date).expect("screen");
        for h in &r.hits {
            prop_assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end));
            prop_assert!(h.start < h.end);
            prop_assert_eq!(&text[h.start..h.end], h.text.as_str());
        }
        for s in &r.signals {
            prop_assert_eq!(&text[s.start..s.end], s.text.as_str());
        }
        prop_assert!((0.0..=1.0).contains(&r.score));
    }

    #[test]
    fn folding_keeps_order(text in texty()) {
        for view in [View::Plain, View::Leet] {
            let f = fold(&text, view);
            prop_assert_eq!(f.start.len(), f.text.len());
            prop_assert!(f.start.windows(2).all(|w| w[0] <= w[1]));
            for (s, e) in f.start.iter().zip(&f.end) {
                prop_assert!(s < e && (*e as usize) <= text.len());
                prop_assert!(text.is_char_boundary(*s as usize) && text.is_char_boundary(*e as usize));
            }
        }
    }
}

#[test]
fn a_text_too_long_is_refused_not_cut() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
    let long = "a".repeat(screening::MAX_TEXT + 1);
    let e = screener().screen("big", &long, date).expect_err("refused");
    assert!(e.to_string().contains("big"), "{e}");
}

#[test]
fn structures_beyond_the_limit_are_said_not_judged() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
    let text = vec!["CCN(CC)C(=O)c1ccccc1"; screening::MAX_STRUCTURES + 3].join(" ");
    let r = screener().screen("many", &text, date).expect("screen");
    assert!(
        r.reasons.iter().any(|x| x.contains("were not judged")),
        "{:?}",
        r.reasons
    );
}

#[test]
fn every_list_of_the_catalogue_is_weighed() {
    // Screener::builtin refuses data that leaves a list out; a list added to the
    // catalogue without a weight fails here.
    let s = screener();
    let known: Vec<&String> = s
        .scoring()
        .drug_lists
        .drugs
        .iter()
        .chain(&s.scoring().drug_lists.precursors)
        .collect();
    for l in law::Classifier::builtin().expect("law").catalogue().lists() {
        assert!(known.contains(&&l.list_id), "{}", l.list_id);
    }
}
