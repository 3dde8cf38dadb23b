//! Catalogue changes: add, amend and withdraw with effective dates and sources; every
//! version kept so past dates answer as before; validation; `diff`.

use law::catalogue::{Catalogue, Change, ChangeAction};
use law::{Classifier, ExportChecker, NaiveDate};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

const HEAD: &str = "action,substance,list_id,category,effective,source,note,unconfirmed,name,synonyms,cas,smiles\n";

fn decision(c: &Classifier, s: &str, dest: &str, date: &str) -> String {
    ExportChecker::builtin()
        .expect("rules")
        .check(c, s, dest, None, d(date), None, "CN")
        .expect("answer")
        .decision
        .as_str()
        .to_string()
}

#[test]
fn withdraw_amend_and_add_keep_the_past() {
    let mut c = Classifier::builtin().expect("data");
    let changes = format!(
        "{HEAD}\
withdraw,NPP,CN-PRECURSORS,,2027-01-01,Announcement X (test),,false,,,,\n\
amend,4-piperidone,CN-PRECURSORS,Class II,2026-06-01,Announcement Y (test),class confirmed,false,,,,\n\
add_substance,test-chem,,,2026-01-01,Announcement Z (test),,false,Testochem,TC-1; 测试,50-00-0,C=O\n\
add,Testochem,CN-PRECURSORS,Class III,2026-03-01,Announcement Z (test),,false,,,,\n"
    );
    assert_eq!(c.apply_changes_csv(&changes).expect("valid"), 4);
    // withdrawal: before and after
    assert_eq!(decision(&c, "NPP", "DE", "2026-12-31"), "licence_required");
    assert_eq!(
        decision(&c, "NPP", "DE", "2027-01-01"),
        "no_licence_required"
    );
    // the US/MX/CA catalogue still applies to Mexico after the general withdrawal
    assert_eq!(decision(&c, "NPP", "MX", "2027-01-01"), "licence_required");
    // amendment: the old category before, the new one after
    let cat = c.catalogue();
    let id = cat.resolve("4-piperidone").expect("known").id.clone();
    let cats = |date: &str| -> Vec<String> {
        cat.listings_on(&id, d(date))
            .iter()
            .filter(|(l, _, _)| l.list_id == "CN-PRECURSORS")
            .map(|(l, _, _)| l.category.clone())
            .collect()
    };
    assert_eq!(cats("2026-05-31"), ["class unconfirmed"]);
    assert_eq!(cats("2026-06-01"), ["Class II"]);
    assert_eq!(
        cats("2025-07-01"),
        Vec::<String>::new(),
        "past dates answer as before"
    );
    // a new substance, found by name, synonym, Chinese name, CAS and structure
    assert_eq!(
        decision(&c, "Testochem", "DE", "2026-02-28"),
        "no_licence_required"
    );
    assert_eq!(decision(&c, "TC-1", "DE", "2026-03-01"), "licence_required");
    assert_eq!(decision(&c, "测试", "DE", "2026-03-01"), "licence_required");
    assert_eq!(
        decision(&c, "50-00-0", "DE", "2026-03-01"),
        "licence_required"
    );
    assert_eq!(decision(&c, "O=C", "DE", "2026-03-01"), "licence_required");
    // diff sees all three kinds
    let diff = c.catalogue().diff(d("2026-01-01"), d("2027-12-31"));
    let kinds: Vec<(String, String)> = diff
        .iter()
        .map(|x| (x.kind.clone(), x.substance.clone()))
        .collect();
    assert!(
        kinds.contains(&("amended".into(), "Piperidin-4-one".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("added".into(), "Testochem".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("withdrawn".into(), "N-Phenethyl-4-piperidone".into())),
        "{kinds:?}"
    );
    let amended = diff.iter().find(|x| x.kind == "amended").expect("amended");
    assert_eq!(
        amended.previous_category.as_deref(),
        Some("class unconfirmed")
    );
    assert_eq!(amended.category, "Class II");
}

#[test]
fn refused_changes_name_the_row_and_change_nothing() {
    let base = Classifier::builtin().expect("data");
    let cases = [
        (
            "add,NPP,CN-PRECURSORS,Class I,2026-01-01,X,,false,,,,",
            "overlapping",
        ),
        (
            "withdraw,toluene,CN-EXPORT-SPECIFIC-US-MX-CA,,2026-01-01,X,,false,,,,",
            "is not on",
        ),
        (
            "withdraw,4-AP,CN-PRECURSORS,,2024-09-01,X,,false,,,,",
            "starts on or after",
        ),
        (
            "add,NPP,NO-SUCH-LIST,Class I,2026-01-01,X,,false,,,,",
            "unknown list id",
        ),
        (
            "add,no-such-chemical,CN-PRECURSORS,Class I,2026-01-01,X,,false,,,,",
            "unknown substance",
        ),
        (
            "add,NPP,UN-TABLE-II,precursor,2026-01-01,,,false,,,,",
            "needs its source",
        ),
        (
            "add_substance,x1,,,2026-01-01,X,,false,X1,,50-00-1,C",
            "check digit",
        ),
        ("add_substance,x2,,,2026-01-01,X,,false,X2,,,C1CC", "SMILES"),
        (
            "add_substance,toluene,,,2026-01-01,X,,false,Toluene again,,,",
            "already exists",
        ),
        (
            "add_substance,x3,,,2026-01-01,X,,false,X3,,108-88-3,",
            "already on file",
        ),
        (
            "amend,NPP,CN-PRECURSORS,Class II,2026-13-01,X,,false,,,,",
            "changes row 2",
        ),
    ];
    for (row, want) in cases {
        let mut c = base.clone();
        let text =
            format!("{HEAD}add_substance,ok-chem,,,2026-01-01,X,,false,OK chem,,,CCO\n{row}\n");
        let e = c.apply_changes_csv(&text).expect_err(row).to_string();
        assert!(e.contains(want), "{row}: {e}");
        assert!(e.contains("changes row 2"), "{row}: {e}");
        // all or nothing: the valid first row was not applied either
        assert!(
            c.catalogue().resolve("ok-chem").is_none(),
            "{row}: partial application"
        );
    }
}

#[test]
fn changes_must_come_in_date_order() {
    let mut cat = Catalogue::builtin().expect("data");
    let change = |action, eff: &str| Change {
        action,
        substance: "NPP".into(),
        list_id: "CN-PRECURSORS".into(),
        category: "Class II".into(),
        effective: d(eff),
        source: "test".into(),
        note: String::new(),
        unconfirmed: false,
        name: String::new(),
        synonyms: String::new(),
        cas: String::new(),
        smiles: String::new(),
    };
    cat.apply(&change(ChangeAction::Amend, "2026-06-01"))
        .expect("amend");
    let e = cat
        .apply(&change(ChangeAction::Withdraw, "2026-01-01"))
        .expect_err("earlier than the amendment");
    assert!(e.contains("date order"), "{e}");
    cat.apply(&change(ChangeAction::Withdraw, "2026-09-01"))
        .expect("withdraw after");
    let versions: Vec<_> = cat
        .listings_of(&cat.resolve("NPP").expect("npp").id.clone())
        .into_iter()
        .filter(|l| l.list_id == "CN-PRECURSORS")
        .map(|l| (l.effective_from, l.effective_until))
        .collect();
    assert_eq!(
        versions,
        [
            (Some(d("2018-02-01")), Some(d("2026-06-01"))),
            (Some(d("2026-06-01")), Some(d("2026-09-01")))
        ]
    );
}

#[test]
fn salts_are_covered_only_where_the_list_says_so() {
    let subs = "id,name,synonyms,cas,smiles,inchikey,unconfirmed,source\nb,Basic amine,,,CCN,,,s\n";
    let lists = "list_id,jurisdiction,name,authority,instrument,destinations,incomplete,salts_covered,note,source\n\
L1,CN,Salts covered,a,i,,,yes,,s\nL2,CN,Salts not covered,a,i,,,,,s\n";
    let head = "substance,list_id,category,effective_from,effective_until,date_precision,salts_covered,unconfirmed,note,source\n";
    let listings = format!(
        "{head}b,L1,Class II,2020-01-01,,day,yes,,,s\nb,L2,Class III,2020-01-01,,day,,,,s\n"
    );
    let cat = Catalogue::from_csv(subs, lists, &listings).expect("catalogue");
    let c = Classifier::with_catalogue(cat).expect("classifier");
    let lists_for = |smi: &str| -> Vec<String> {
        let q = c.resolve(smi).expect("smiles");
        let r = c.classify(&q, law::Jurisdictions::All, d("2026-01-01"));
        let cn = r
            .verdicts
            .iter()
            .find(|v| v.jurisdiction == "CN")
            .expect("CN");
        cn.listings.iter().map(|l| l.list_id.clone()).collect()
    };
    assert_eq!(lists_for("CCN"), ["L1", "L2"]);
    assert_eq!(
        lists_for("CCN.Cl"),
        ["L1"],
        "the hydrochloride is covered only where salts are"
    );
    assert_eq!(lists_for("CC[NH3+].[Cl-]"), ["L1"]);
}
