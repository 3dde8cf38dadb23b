//! The storage layer against both real databases: SQLite (a temp file) and PostgreSQL
//! (a fresh database per test, `store::testing::fresh_postgres`). PostgreSQL must be
//! running: CI starts it.

use chrono::{TimeZone, Utc};
use store::{
    ApplicationFilter, ApplicationKeys, ApplicationListing, ApplicationOrder, ApplicationRow,
    NewApplication, PageRequest, Store, StoreError,
};

async fn fresh_pg(name: &str) -> String {
    store::testing::fresh_postgres(name).await
}

fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!(
        "sqlite://{}",
        dir.path().join(format!("{name}.db")).display()
    )
}

fn at(s: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("t")
        + chrono::Duration::seconds(s)
}

/// Append `n` audit entries of decisions (application/0, /1, ...).
async fn append_decisions(s: &Store, n: i64) {
    for i in 0..n {
        s.append_audit(
            at(i),
            "officer-1",
            "application.decide",
            &format!("application/{i}"),
            serde_json::Value::Null,
            serde_json::json!({"i": i}),
        )
        .await
        .expect("append");
    }
}

async fn audit_chain_detects_tampering(url: &str) {
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    append_decisions(&s, 4).await;
    assert_eq!(s.verify_audit().await.expect("read"), Ok(4));
    // connecting again (a restart) migrates nothing and keeps the chain
    let s2 = Store::connect(url, store::testing::seal())
        .await
        .expect("reconnect");
    assert_eq!(s2.verify_audit().await.expect("read"), Ok(4));
    // an edit made behind the application's back
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .execute(&raw(url).await)
        .await
        .expect("tamper");
    assert_eq!(s.verify_audit().await.expect("read").unwrap_err().seq, 2);
    sqlx::query("UPDATE audit_log SET actor = 'officer-1' WHERE seq = 2")
        .execute(&raw(url).await)
        .await
        .expect("restore");
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&raw(url).await)
        .await
        .expect("delete");
    assert_eq!(s.verify_audit().await.expect("read").unwrap_err().seq, 3);
}

/// Entries written before sealing existed (no seal) fail verification until sealed once
/// with `seal_unsealed`, which checks their chain first and audits itself; a store with
/// another key finds every seal foreign.
async fn unsealed_entries_are_sealed_once(url: &str) {
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    append_decisions(&s, 3).await;
    let keys = s.audit_keys().await.expect("keys");
    assert_eq!(keys, vec![(Some(s.seal().id().to_string()), 3)]);
    sqlx::query("UPDATE audit_log SET mac = NULL, key_id = NULL")
        .execute(&raw(url).await)
        .await
        .expect("as before sealing");
    let err = s.verify_audit().await.expect("read").unwrap_err();
    assert!(err.reason.contains("no seal"), "{err}");
    assert_eq!(s.seal_unsealed("ops", at(9)).await.expect("seal"), 3);
    assert_eq!(s.verify_audit().await.expect("read"), Ok(4));
    assert_eq!(s.seal_unsealed("ops", at(10)).await.expect("again"), 0);
    let chain = s.audit_chain().await.expect("chain");
    assert_eq!(chain[3].action, "audit.seal");
    assert_eq!(chain[3].after["sealed"], 3);
    let other = Store::connect(url, control::AuditSeal::derive(&[1; 32]))
        .await
        .expect("other key");
    let err = other.verify_audit().await.expect("read").unwrap_err();
    assert_eq!(err.seq, 1);
    assert!(err.reason.contains("not among the keys"), "{err}");
    // A broken chain is not sealed over.
    sqlx::query("UPDATE audit_log SET mac = NULL, key_id = NULL, actor = 'mallory' WHERE seq = 2")
        .execute(&raw(url).await)
        .await
        .expect("tamper");
    assert!(matches!(
        s.seal_unsealed("ops", at(11)).await,
        Err(StoreError::Broken(b)) if b.seq == 2
    ));
}

#[tokio::test]
async fn sqlite_sealing() {
    let dir = tempfile::tempdir().expect("tmp");
    unsealed_entries_are_sealed_once(&sqlite_url(&dir, "seal")).await;
}

#[tokio::test]
async fn postgres_sealing() {
    unsealed_entries_are_sealed_once(&fresh_pg("seal").await).await;
}

async fn raw(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(url).await.expect("raw connect")
}

async fn concurrent_writers_never_fork_the_chain(url: &str) {
    // two pools stand in for two server processes
    let a = Store::connect(url, store::testing::seal())
        .await
        .expect("a");
    let b = Store::connect(url, store::testing::seal())
        .await
        .expect("b");
    let mut tasks = Vec::new();
    for i in 0..60 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.append_audit(
                at(i),
                &format!("user-{}", i % 2),
                "x",
                "y",
                serde_json::Value::Null,
                serde_json::json!(i),
            )
            .await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("append");
    }
    assert_eq!(a.verify_audit().await.expect("read"), Ok(60));
}

async fn applications_use_optimistic_concurrency(url: &str) {
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    let row = ApplicationRow {
        id: "app-1".into(),
        owner_org: "org-exporter".into(),
        state: "draft".into(),
        version: 1,
        body: serde_json::json!({"substance": "NPP"}),
    };
    let keys = ApplicationKeys::default();
    let mut tx = s.write().await.expect("tx");
    tx.insert_application(&row, &keys, &ApplicationListing::default(), at(0))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let mut tx = s.write().await.expect("tx");
    assert!(
        matches!(
            tx.insert_application(&row, &keys, &ApplicationListing::default(), at(0))
                .await,
            Err(StoreError::Duplicate(_))
        ),
        "duplicate id"
    );
    drop(tx);
    let mut tx = s.write().await.expect("tx");
    let v = tx
        .update_application(
            "app-1",
            1,
            "under_review",
            &serde_json::json!({"substance": "NPP", "risk": "low"}),
            &ApplicationListing::default(),
            at(1),
        )
        .await
        .expect("update");
    assert_eq!(v, 2);
    assert!(matches!(
        tx.update_application(
            "app-1",
            1,
            "approved",
            &serde_json::json!({}),
            &ApplicationListing::default(),
            at(2)
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        tx.update_application(
            "nope",
            1,
            "approved",
            &serde_json::json!({}),
            &ApplicationListing::default(),
            at(2)
        )
        .await,
        Err(StoreError::NotFound(_))
    ));
    tx.commit().await.expect("commit");
    let got = s
        .get_application("app-1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (got.state.as_str(), got.version, got.body["risk"].as_str()),
        ("under_review", 2, Some("low"))
    );
}

async fn a_rolled_back_change_leaves_no_audit_entry(url: &str) {
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    let row = ApplicationRow {
        id: "app-9".into(),
        owner_org: "o".into(),
        state: "under_review".into(),
        version: 1,
        body: serde_json::json!({}),
    };
    let mut tx = s.write().await.expect("tx");
    tx.insert_application(
        &row,
        &ApplicationKeys::default(),
        &ApplicationListing::default(),
        at(0),
    )
    .await
    .expect("insert");
    tx.audit(
        at(0),
        "u",
        "application.submit",
        "application/app-9",
        serde_json::Value::Null,
        serde_json::json!(1),
    )
    .await
    .expect("audit");
    drop(tx); // no commit: as if the process died here
    assert!(s.get_application("app-9").await.expect("read").is_none());
    assert_eq!(s.verify_audit().await.expect("read"), Ok(0));
}

#[tokio::test]
async fn sqlite_audit_chain() {
    let dir = tempfile::tempdir().expect("tmp");
    audit_chain_detects_tampering(&sqlite_url(&dir, "audit")).await;
}

#[tokio::test]
async fn postgres_audit_chain() {
    audit_chain_detects_tampering(&fresh_pg("audit").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_writers() {
    let dir = tempfile::tempdir().expect("tmp");
    concurrent_writers_never_fork_the_chain(&sqlite_url(&dir, "conc")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_writers() {
    concurrent_writers_never_fork_the_chain(&fresh_pg("conc").await).await;
}

#[tokio::test]
async fn sqlite_applications() {
    let dir = tempfile::tempdir().expect("tmp");
    applications_use_optimistic_concurrency(&sqlite_url(&dir, "apps")).await;
}

#[tokio::test]
async fn postgres_applications() {
    applications_use_optimistic_concurrency(&fresh_pg("apps").await).await;
}

async fn group_commit_files_everything_and_isolates_a_bad_filing(url: &str) {
    // two stores stand in for two server processes, each with its own group writer
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    let other = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    let filing = |id: String| NewApplication {
        row: ApplicationRow {
            id,
            owner_org: "o".into(),
            state: "under_review".into(),
            version: 1,
            body: serde_json::json!({"n": 1}),
        },
        keys: ApplicationKeys::default(),
        listing: ApplicationListing::default(),
        documents: vec![("ab".repeat(32), 3, "YWJj".into())],
        at: at(0),
        actor: "u".into(),
        action: "application.submit".into(),
    };
    let mut tasks = Vec::new();
    for i in 0..200 {
        // id 7 twice: exactly one of the two must fail, nothing else
        let id = if i == 100 {
            "app-7".to_string()
        } else {
            format!("app-{i}")
        };
        let s = if i % 2 == 0 { s.clone() } else { other.clone() };
        let f = filing(id);
        tasks.push(tokio::spawn(async move { s.file_application(f).await }));
    }
    let mut ok = 0;
    let mut dup = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => ok += 1,
            Err(StoreError::Duplicate(_)) => dup += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!((ok, dup), (199, 1));
    assert_eq!(s.verify_audit().await.expect("read"), Ok(199));
    assert!(s.get_application("app-199").await.expect("read").is_some());
    assert_eq!(
        s.document(&"ab".repeat(32)).await.expect("read").as_deref(),
        Some("YWJj")
    );
}

#[tokio::test]
async fn sqlite_group_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    group_commit_files_everything_and_isolates_a_bad_filing(&sqlite_url(&dir, "gc")).await;
}

#[tokio::test]
async fn postgres_group_commit() {
    group_commit_files_everything_and_isolates_a_bad_filing(&fresh_pg("gc").await).await;
}

/// Application lists filter by owner, state (or every open one), filing dates,
/// destination, substance and words (a `%` or `_` in the words is a character, not a
/// wildcard), and order newest first or by the worklist key, a page at a time.
async fn application_lists_filter_search_and_order(url: &str) {
    let s = Store::connect(url, store::testing::seal())
        .await
        .expect("connect");
    // (id, owner, state, filed at s, worklist key, destination, substance, words)
    let rows = [
        (
            "a1",
            "org-1",
            "under_review",
            0,
            "0|2026-01-21T00:00:00Z",
            "MX",
            "npp",
            "a1 jiangsu npp quimica 100% pure",
        ),
        (
            "a2",
            "org-1",
            "awaiting_applicant",
            10,
            "1|100000864000",
            "MX",
            "4-anpp",
            "a2 jiangsu 4-anpp quimica",
        ),
        (
            "a3",
            "org-2",
            "approved",
            20,
            "2|099998232000",
            "DE",
            "npp",
            "a3 shanghai npp bayer",
        ),
        (
            "a4",
            "org-2",
            "under_review",
            30,
            "0|2026-01-11T00:00:00Z",
            "US",
            "acetic anhydride",
            "a4 shanghai acetic anhydride acme_x",
        ),
    ];
    let mut tx = s.write().await.expect("tx");
    for (id, owner, state, t, key, dest, substance, words) in rows {
        let row = ApplicationRow {
            id: id.into(),
            owner_org: owner.into(),
            state: state.into(),
            version: 1,
            body: serde_json::json!({ "whole": id }),
        };
        let listing = ApplicationListing {
            worklist_key: key.into(),
            destination: dest.into(),
            search_text: words.into(),
            substance_text: substance.into(),
            // one case with a short summary; the others as if filed before summaries
            summary_json: if id == "a1" {
                serde_json::json!({ "summary": id }).to_string()
            } else {
                String::new()
            },
        };
        tx.insert_application(&row, &ApplicationKeys::default(), &listing, at(t))
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    let ids = |f: ApplicationFilter, order: ApplicationOrder| {
        let s = s.clone();
        async move {
            s.applications_page(&f, order, &PageRequest::default())
                .await
                .expect("page")
                .items
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    let all = ApplicationFilter::default;
    // a list reads the summary where there is one, the whole case where not
    let bodies: Vec<(String, serde_json::Value)> = s
        .applications_page(&all(), ApplicationOrder::Newest, &PageRequest::default())
        .await
        .expect("page")
        .items
        .into_iter()
        .map(|r| (r.id, serde_json::from_str(&r.body_json).expect("json")))
        .collect();
    for (id, body) in &bodies {
        let expected = if id == "a1" {
            serde_json::json!({ "summary": id })
        } else {
            serde_json::json!({ "whole": id })
        };
        assert_eq!(body, &expected, "{id}");
    }
    assert_eq!(
        ids(all(), ApplicationOrder::Newest).await,
        ["a4", "a3", "a2", "a1"]
    );
    // the worklist: deadlines first (earliest first), then paused, then decided
    assert_eq!(
        ids(all(), ApplicationOrder::Worklist).await,
        ["a4", "a1", "a2", "a3"]
    );
    let f = |edit: fn(&mut ApplicationFilter)| {
        let mut f = ApplicationFilter::default();
        edit(&mut f);
        f
    };
    let newest = ApplicationOrder::Newest;
    assert_eq!(
        ids(f(|f| f.owner = "org-1".into()), newest).await,
        ["a2", "a1"]
    );
    assert_eq!(
        ids(f(|f| f.state = "open".into()), newest).await,
        ["a4", "a2", "a1"]
    );
    assert_eq!(
        ids(f(|f| f.state = "under_review".into()), newest).await,
        ["a4", "a1"]
    );
    assert_eq!(
        ids(f(|f| f.destination = "MX".into()), newest).await,
        ["a2", "a1"]
    );
    assert_eq!(
        ids(f(|f| f.substance = "npp".into()), newest).await,
        ["a3", "a2", "a1"]
    );
    assert_eq!(
        ids(f(|f| f.search = "quimica".into()), newest).await,
        ["a2", "a1"]
    );
    assert_eq!(ids(f(|f| f.search = "100%".into()), newest).await, ["a1"]);
    assert_eq!(
        ids(f(|f| f.search = "q_imica".into()), newest).await,
        Vec::<String>::new()
    );
    assert_eq!(ids(f(|f| f.search = "acme_x".into()), newest).await, ["a4"]);
    let from = at(10).to_rfc3339();
    let before = at(30).to_rfc3339();
    let dated = ApplicationFilter {
        filed_from: from,
        filed_before: before,
        ..Default::default()
    };
    assert_eq!(ids(dated, newest).await, ["a3", "a2"]);
    // paging: two at a time, in order, nothing skipped or repeated
    let first = s
        .applications_page(
            &all(),
            ApplicationOrder::Worklist,
            &PageRequest::new(Some(2), None).expect("page"),
        )
        .await
        .expect("page");
    let next = first.next.clone().expect("more");
    let second = s
        .applications_page(
            &all(),
            ApplicationOrder::Worklist,
            &PageRequest::new(Some(2), Some(&next)).expect("page"),
        )
        .await
        .expect("page");
    let both: Vec<String> = first
        .items
        .into_iter()
        .chain(second.items)
        .map(|r| r.id)
        .collect();
    assert_eq!(both, ["a4", "a1", "a2", "a3"]);
    // a cursor of the newest-first list is not one of the worklist's
    assert!(matches!(
        s.applications_page(
            &all(),
            ApplicationOrder::Newest,
            &PageRequest::new(Some(2), Some(&next)).expect("page")
        )
        .await,
        Err(StoreError::BadCursor(_))
    ));
}

#[tokio::test]
async fn sqlite_application_lists() {
    let dir = tempfile::tempdir().expect("tmp");
    application_lists_filter_search_and_order(&sqlite_url(&dir, "lists")).await;
}

#[tokio::test]
async fn postgres_application_lists() {
    application_lists_filter_search_and_order(&fresh_pg("lists").await).await;
}

#[tokio::test]
async fn sqlite_rollback() {
    let dir = tempfile::tempdir().expect("tmp");
    a_rolled_back_change_leaves_no_audit_entry(&sqlite_url(&dir, "rb")).await;
}

#[tokio::test]
async fn postgres_rollback() {
    a_rolled_back_change_leaves_no_audit_entry(&fresh_pg("rb").await).await;
}

#[tokio::test]
async fn bad_urls_are_clear_errors() {
    let e = Store::connect("mysql://x", store::testing::seal())
        .await
        .expect_err("unsupported");
    assert!(e.to_string().contains("unsupported database URL"), "{e}");
    let e = Store::connect(
        "postgres://postgres@127.0.0.1:1/none",
        store::testing::seal(),
    )
    .await
    .expect_err("nothing listens there");
    assert!(e.to_string().contains("connecting to the database"), "{e}");
}
