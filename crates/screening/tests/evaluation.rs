//! The screening's evaluation: hand-written listings and messages (English and Chinese,
//! offers and hard negatives: `tests/data/texts.jsonl`) and generated ones covering each
//! obfuscation (`tests/data/generated.jsonl`, from `scripts/gen_screening_cases.py`).
//! Every substance a case expects must be found; precision and recall of `flag` must be
//! at least 0.95 on each file; no text labelled `clear` may be flagged.

use screening::{Decision, Screener};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
struct Case {
    id: String,
    text: String,
    expect: String,
    substances: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

fn screener() -> Screener {
    let classifier = law::Classifier::builtin().expect("law");
    Screener::builtin(Arc::new(classifier)).expect("screening data")
}

fn decision(s: &str) -> Decision {
    match s {
        "flag" => Decision::Flag,
        "review" => Decision::Review,
        "clear" => Decision::Clear,
        other => panic!("unknown label {other}"),
    }
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    n: usize,
    agree: usize,
}

fn evaluate(file: &str, text: &str) {
    let s = screener();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
    let mut by_kind: BTreeMap<String, Counts> = BTreeMap::new();
    let mut all = Counts::default();
    let mut problems = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let c: Case = serde_json::from_str(line).expect("case");
        let r = s.screen(&c.id, &c.text, date).expect("screen");
        let want = decision(&c.expect);
        for sub in &c.substances {
            if !r.hits.iter().any(|h| h.substance.as_deref() == Some(sub)) {
                problems.push(format!("{}: {sub} not found in {:?}", c.id, c.text));
            }
        }
        for h in &r.hits {
            assert_eq!(&c.text[h.start..h.end], h.text, "{}: offsets", c.id);
        }
        if want == Decision::Clear && r.decision == Decision::Flag {
            problems.push(format!("{}: a harmless text flagged: {:?}", c.id, c.text));
        }
        let kind = c.kind.clone().or(c.lang.clone()).unwrap_or_default();
        for k in [by_kind.entry(kind).or_default(), &mut all] {
            k.n += 1;
            k.agree += usize::from(r.decision == want);
            match (want == Decision::Flag, r.decision == Decision::Flag) {
                (true, true) => k.tp += 1,
                (false, true) => k.fp += 1,
                (true, false) => k.fn_ += 1,
                _ => {}
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    println!("{file}: kind, cases, decision agrees, flag precision, flag recall");
    for (k, c) in by_kind.iter().chain([(&"all".to_string(), &all)]) {
        println!(
            "  {k:<18} {:>4} {:>5.3} {:>5.3} {:>5.3}",
            c.n,
            ratio(c.agree, c.n),
            ratio(c.tp, c.tp + c.fp),
            ratio(c.tp, c.tp + c.fn_)
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let (p, r) = (
        ratio(all.tp, all.tp + all.fp),
        ratio(all.tp, all.tp + all.fn_),
    );
    assert!(
        p >= 0.95 && r >= 0.95,
        "{file}: flag precision {p:.3}, recall {r:.3}"
    );
    assert!(all.n >= 80, "{file}: only {} cases", all.n);
}

#[test]
fn hand_written_listings() {
    evaluate("texts.jsonl", include_str!("data/texts.jsonl"));
}

#[test]
fn generated_listings_cover_every_obfuscation() {
    let text = include_str!("data/generated.jsonl");
    let kinds: std::collections::BTreeSet<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["kind"].as_str().map(String::from))
        .collect();
    for k in [
        "leetspeak",
        "spacing",
        "punctuation",
        "zero_width",
        "confusable",
        "full_width",
        "case",
        "misspelling",
        "cas",
        "chinese",
    ] {
        assert!(kinds.contains(k), "no generated case of {k}");
    }
    evaluate("generated.jsonl", text);
}
