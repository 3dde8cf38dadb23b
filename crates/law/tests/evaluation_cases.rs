//! Every row of the evaluation set (copied from the seed `eval/fentanyl/cases.csv`) must
//! get the labelled verdict under both definitions, with the labelled conditions.

use law::{Classifier, Jurisdictions};

/// A fixed date after every change in the catalogue, so results do not drift.
fn date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    smiles: String,
    cn: String,
    cn_conditions: String,
    us: String,
    us_mods: String,
}

fn expected(label: &str) -> &'static str {
    match label {
        "yes" => "match",
        "no" | "parent" => "no_match",
        "AMBIGUOUS" => "ambiguous",
        other => panic!("unknown label {other}"),
    }
}

fn conds(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .split(';')
        .map(|x| x.trim().trim_end_matches('?').to_string())
        .filter(|x| !x.is_empty())
        .collect();
    v.sort();
    v
}

#[test]
fn all_evaluation_cases_pass() {
    let classifier = Classifier::builtin().expect("builtin data");
    let mut r = csv::Reader::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fentanyl_cases.csv"
    ))
    .expect("cases");
    let mut failures = Vec::new();
    let mut n = 0;
    for case in r.deserialize::<Case>() {
        let case = case.expect("row");
        n += 1;
        let q = classifier
            .resolve(&case.smiles)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let c = classifier.classify(&q, Jurisdictions::All, date());
        for (jur, label, want_conds) in [
            ("CN", &case.cn, &case.cn_conditions),
            ("US", &case.us, &case.us_mods),
        ] {
            let v = c
                .verdicts
                .iter()
                .find(|v| v.jurisdiction == jur)
                .expect("verdict");
            let g = v.generic.as_ref().expect("generic");
            let want = expected(label);
            let mut problems = Vec::new();
            if g.result.as_str() != want {
                problems.push(format!("result {} (want {want})", g.result));
            }
            // Conditions are compared for clear verdicts ('B?' style labels mark open reads).
            if want == "match" && conds(want_conds) != g.conditions {
                problems.push(format!(
                    "conditions {:?} (want {:?})",
                    g.conditions,
                    conds(want_conds)
                ));
            }
            if label == "parent" && (!v.controlled || v.listings.is_empty()) {
                problems.push("fentanyl itself must be controlled through its listing".into());
            }
            if want != "no_match" && g.reasons.is_empty() {
                problems.push("no reasons given".into());
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{} [{jur}]: {} | reasons: {:?}",
                    case.name,
                    problems.join("; "),
                    g.reasons
                ));
            }
        }
    }
    assert!(n >= 180, "only {n} cases read");
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        2 * n,
        failures.join("\n")
    );
}
