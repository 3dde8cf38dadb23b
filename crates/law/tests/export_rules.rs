//! Export rules: each rule with dates on both sides of every change, mixtures on both
//! sides of each threshold, salts, unknown substances, and bad input.

use law::{Classifier, ExportAnswer, ExportChecker, ExportError, NaiveDate};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

struct T {
    c: Classifier,
    x: ExportChecker,
}

impl T {
    fn new() -> T {
        T {
            c: Classifier::builtin().expect("classifier"),
            x: ExportChecker::builtin().expect("rules"),
        }
    }

    fn ask(
        &self,
        substance: &str,
        dest: &str,
        date: &str,
        qty: Option<&str>,
        mix: Option<&str>,
    ) -> ExportAnswer {
        self.x
            .check(&self.c, substance, dest, qty, d(date), mix, "CN")
            .unwrap_or_else(|e| panic!("{substance} -> {dest} on {date}: {e}"))
    }

    fn regimes(&self, substance: &str, dest: &str, date: &str) -> (String, Vec<String>) {
        let a = self.ask(substance, dest, date, None, None);
        (
            a.decision.as_str().to_string(),
            a.regimes.into_iter().map(|r| r.id).collect(),
        )
    }
}

#[test]
fn npp_to_mexico_around_10_november_2025() {
    let t = T::new();
    let a = t.ask("NPP", "MX", "2025-12-01", Some("25kg"), None);
    assert_eq!(a.decision.as_str(), "licence_required");
    let ids: Vec<&str> = a.regimes.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["cn-precursor-export-licence", "cn-specific-country-licence"]
    );
    let general = &a.regimes[0];
    assert_eq!(general.authority, "Ministry of Commerce");
    assert_eq!(general.review_days, Some(20));
    assert!(general
        .documents
        .iter()
        .any(|x| x.contains("certificate of lawful use")));
    assert!(general
        .verification
        .as_deref()
        .unwrap_or("")
        .contains("pre-export notification"));
    assert!(
        a.warnings.iter().any(|w| w.contains("incomplete")),
        "{:?}",
        a.warnings
    );
    assert_eq!(
        a.quantity.as_ref().map(|q| q.base_equivalent_kg),
        Some(25.0)
    );
    // the day before the specific-country catalogue: general licence only
    assert_eq!(
        t.regimes("NPP", "MX", "2025-11-09").1,
        ["cn-precursor-export-licence"]
    );
    assert_eq!(t.regimes("NPP", "MX", "2025-11-10").1.len(), 2);
    // other destinations: no specific-country licence
    assert_eq!(
        t.regimes("NPP", "DE", "2025-12-01").1,
        ["cn-precursor-export-licence"]
    );
    assert_eq!(t.regimes("4-ANPP", "CA", "2025-12-01").1.len(), 2);
    // before China listed NPP (2018-02-01)
    assert_eq!(
        t.regimes("NPP", "DE", "2018-01-31").0,
        "no_licence_required"
    );
    assert_eq!(t.regimes("NPP", "DE", "2018-02-01").0, "licence_required");
}

#[test]
fn four_piperidone_and_four_ap_listing_dates() {
    let t = T::new();
    assert_eq!(
        t.regimes("4-piperidone", "DE", "2025-07-01").0,
        "no_licence_required"
    );
    assert_eq!(
        t.regimes("4-piperidone", "DE", "2025-07-19").0,
        "no_licence_required"
    );
    assert_eq!(
        t.regimes("4-piperidone", "DE", "2025-07-20").0,
        "licence_required"
    );
    let a = t.ask("4-piperidone", "DE", "2025-08-01", None, None);
    assert_eq!(a.decision.as_str(), "licence_required");
    assert!(
        a.warnings.iter().any(|w| w.contains("UNCERTAIN")),
        "the class and date are unconfirmed: {:?}",
        a.warnings
    );
    for s in ["4-AP", "1-boc-4-AP", "norfentanyl"] {
        assert_eq!(
            t.regimes(s, "IN", "2024-08-31").0,
            "no_licence_required",
            "{s}"
        );
        assert_eq!(
            t.regimes(s, "IN", "2024-09-01").0,
            "licence_required",
            "{s}"
        );
    }
}

#[test]
fn mixtures_on_both_sides_of_each_threshold() {
    let t = T::new();
    let mix = |s: &str, m: &str| t.ask(s, "DE", "2026-01-01", Some("1t"), Some(m));
    let a = mix("toluene", "toluene=35,water=65");
    assert_eq!(a.decision.as_str(), "no_licence_required");
    assert_eq!(
        a.quantity.as_ref().map(|q| q.base_equivalent_kg),
        Some(350.0)
    );
    assert_eq!(
        mix("toluene", "toluene=40,water=60").decision.as_str(),
        "no_licence_required",
        "40 % is not over 40 %"
    );
    assert_eq!(
        mix("toluene", "toluene=45,water=55").decision.as_str(),
        "licence_required"
    );
    assert_eq!(
        mix("acetone", "acetone=41,ethanol=59").decision.as_str(),
        "licence_required"
    );
    assert_eq!(
        mix("108-88-3", "toluene=45,water=55").decision.as_str(),
        "licence_required",
        "component matched by CAS vs name"
    );
    assert_eq!(
        mix("hydrochloric acid", "hydrochloric acid=10,water=90")
            .decision
            .as_str(),
        "no_licence_required"
    );
    assert_eq!(
        mix("hydrochloric acid", "hydrochloric acid=10.5,water=89.5")
            .decision
            .as_str(),
        "licence_required"
    );
    // any amount of another listed precursor
    let a = mix("NPP", "NPP=0.5,toluene=99.5");
    assert_eq!(a.decision.as_str(), "licence_required");
    assert_eq!(a.mixture.as_ref().map(|m| m.over_percent), Some(0.0));
}

#[test]
fn salts_narcotics_and_class_wide_control() {
    let t = T::new();
    let a = t.ask("fentanyl citrate", "CL", "2026-01-01", Some("100g"), None);
    assert_eq!(a.decision.as_str(), "licence_required");
    assert_eq!(a.regimes[0].id, "cn-narcotic-export-permit");
    assert!(a.regimes[0]
        .documents
        .iter()
        .any(|x| x.contains("import certificate")));
    let f = a.quantity.as_ref().map(|q| q.factor).unwrap_or(0.0);
    // C22H28N2O (336.5) / (336.5 + C6H8O7 192.1)
    assert!(
        (f - 336.479 / (336.479 + 192.123)).abs() < 1e-3,
        "factor {f}"
    );
    // a salt given as a structure
    let a = t.ask(
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.Cl",
        "CL",
        "2026-01-01",
        Some("1kg"),
        None,
    );
    let f = a.quantity.as_ref().map(|q| q.factor).unwrap_or(0.0);
    assert!(
        (f - 336.479 / (336.479 + 36.458)).abs() < 1e-3,
        "factor {f}"
    );
    // named medical fentanyls: permit, not the non-medical prohibition
    for s in ["sufentanil", "remifentanil", "alfentanil"] {
        assert_eq!(
            t.regimes(s, "CL", "2026-01-01"),
            (
                "licence_required".into(),
                vec!["cn-narcotic-export-permit".into()]
            ),
            "{s}"
        );
    }
    // an unnamed analogue: prohibited from 2019-05-01 by the class definition
    let pcf = "CCC(=O)N(c1ccc(Cl)cc1)C1CCN(CCc2ccccc2)CC1";
    assert_eq!(t.regimes(pcf, "US", "2019-04-30").0, "no_licence_required");
    assert_eq!(t.regimes(pcf, "US", "2019-05-01").0, "prohibited");
    // named on the supplementary list
    assert_eq!(t.regimes("carfentanil", "DE", "2026-01-01").0, "prohibited");
}

#[test]
fn unknown_substances_are_never_no_licence_required_and_bad_input_a_clear_error() {
    let t = T::new();
    // a name that names nothing is an error with the closest names, never an answer
    let e =
        t.x.check(&t.c, "fentanil", "MX", None, d("2026-01-01"), None, "CN")
            .expect_err("an unknown name is refused");
    match &e {
        ExportError::Input(i) => assert_eq!(i.did_you_mean()[0], "Fentanyl", "{e}"),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("did you mean: Fentanyl"), "{e}");
    assert!(t
        .x
        .check(&t.c, "unobtainium", "DE", None, d("2026-01-01"), None, "CN")
        .is_err());
    // a valid CAS number not on file: undetermined (structure unknown)
    let a = t.ask("79-11-8", "MX", "2026-01-01", None, None);
    assert_eq!(a.decision.as_str(), "undetermined");
    assert!(
        a.reasons.iter().any(|r| r.contains("structure unknown")),
        "{:?}",
        a.reasons
    );
    // an analogue the texts leave open (a urea in place of the propionyl): undetermined
    let a = t.ask(
        "O=C(N(C1=CC=CC=C1)C2CCN(CCC3=CC=CC=C3)CC2)N(C)C",
        "DE",
        "2026-01-01",
        None,
        None,
    );
    assert_eq!(a.decision.as_str(), "undetermined", "{:?}", a.reasons);
    let a = t.ask("CCO", "DE", "2026-01-01", None, None);
    assert_eq!(a.decision.as_str(), "no_licence_required");
    let err = |s: &str, dest: &str, q: Option<&str>, m: Option<&str>, from: &str| {
        t.x.check(&t.c, s, dest, q, d("2026-01-01"), m, from)
            .expect_err("must fail")
    };
    assert!(matches!(
        err("NPP", "XX", None, None, "CN"),
        ExportError::UnknownCountry(_)
    ));
    assert!(matches!(
        err("NPP", "Mexico", None, None, "CN"),
        ExportError::UnknownCountry(_)
    ));
    assert!(matches!(
        err("NPP", "MX", Some("25"), None, "CN"),
        ExportError::BadQuantity(..)
    ));
    assert!(matches!(
        err("NPP", "MX", Some("-1kg"), None, "CN"),
        ExportError::BadQuantity(..)
    ));
    assert!(matches!(
        err("toluene", "DE", None, Some("toluene=70,water=70"), "CN"),
        ExportError::BadMixture(..)
    ));
    assert!(matches!(
        err("toluene", "DE", None, Some("acetone=50,water=50"), "CN"),
        ExportError::BadMixture(..)
    ));
    assert!(matches!(
        err("toluene", "DE", None, Some("toluene:50"), "CN"),
        ExportError::BadMixture(..)
    ));
    assert!(matches!(
        err("NPP", "MX", None, None, "US"),
        ExportError::NoRules(..)
    ));
    assert!(matches!(
        err("437-38-8", "MX", None, None, "CN"),
        ExportError::Input(_)
    ));
}
