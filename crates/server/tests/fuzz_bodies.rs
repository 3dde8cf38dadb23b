//! Property test: whatever bytes arrive as a JSON body, the API answers with a problem
//! (or a success), never a 500, and nothing already stored is lost.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use server::{router, AppState};
use store::Store;
use tower::ServiceExt;

fn json_soup() -> impl Strategy<Value = String> {
    // Bytes that look like JSON often enough to reach the field-level checks.
    let token = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"substance\"".to_string()),
        Just("\"quantity\"".to_string()),
        Just("\"importer\"".to_string()),
        Just("\"documents\"".to_string()),
        Just("\"reply\"".to_string()),
        Just("\"no_objection\"".to_string()),
        Just("\"permit_number\"".to_string()),
        Just("\"quantity_kg\"".to_string()),
        Just("\"NPP\"".to_string()),
        Just("\"input\"".to_string()),
        Just("\"destination\"".to_string()),
        Just("\"MX\"".to_string()),
        Just("\"fentanil\"".to_string()),
        Just("\"CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.Cl\"".to_string()),
        Just("\"25 kg\"".to_string()),
        Just("\"enterprise\"".to_string()),
        Just("\"cn-exporter\"".to_string()),
        Just("\"year\"".to_string()),
        Just("\"plan_kg\"".to_string()),
        Just("\"organisation\"".to_string()),
        Just("\"province\"".to_string()),
        Just("-1e999".to_string()),
        Just("null".to_string()),
        "\"[a-zA-Z0-9 %=.-]{0,12}\"",
        "-?[0-9]{1,6}(\\.[0-9]{1,3})?",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

#[test]
fn any_body_gets_an_answer_not_a_500() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    // one database for all cases: what earlier cases stored must survive later ones
    let (s, tokens) = rt.block_on(async {
        let s = AppState::new(
            Store::connect(&url, store::testing::seal())
                .await
                .expect("db"),
            SigningKey::from_bytes(&[5u8; 32]),
        )
        .expect("state");
        let tokens = server::demo::seed(&s.store, Utc::now())
            .await
            .expect("seed");
        (s, tokens)
    });
    let targets = [
        ("POST", "/api/v1/export-applications", "compliance_officer"),
        ("POST", "/api/v1/customs/declarations", "customs_officer"),
        (
            "POST",
            "/api/v1/notifications/pen-x/reply",
            "foreign_authority_officer",
        ),
        ("POST", "/api/v1/users", "administrator"),
        ("POST", "/api/v1/classifications", "customs_officer"),
        ("POST", "/api/v1/export-checks", "compliance_officer"),
        ("PUT", "/api/v1/production-plans", "administrator"),
        (
            "PUT",
            "/api/v1/parties/urn:epc:id:pgln:6901234.00099",
            "administrator",
        ),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &prop::collection::vec(json_soup(), targets.len()),
            |bodies| {
                rt.block_on(async {
                    let before = s.store.audit_chain().await.expect("chain").len();
                    for ((method, uri, role), body) in targets.iter().zip(bodies) {
                        let res = router(s.clone())
                            .oneshot(
                                Request::builder()
                                    .method(*method)
                                    .uri(*uri)
                                    .header("authorization", format!("Bearer {}", tokens[*role]))
                                    .header("content-type", "application/json")
                                    .body(Body::from(body.clone()))
                                    .expect("request"),
                            )
                            .await
                            .expect("response");
                        let st = res.status();
                        prop_assert!(
                            st != StatusCode::INTERNAL_SERVER_ERROR
                                && st != StatusCode::SERVICE_UNAVAILABLE,
                            "{} {:?} -> {}",
                            uri,
                            body,
                            st
                        );
                        if !st.is_success() {
                            prop_assert_eq!(
                                res.headers()
                                    .get("content-type")
                                    .and_then(|v| v.to_str().ok()),
                                Some("application/problem+json")
                            );
                        }
                    }
                    let chain = s.store.verify_audit().await.expect("chain");
                    prop_assert!(chain.is_ok(), "chain intact");
                    prop_assert!(
                        chain.unwrap_or(0) as usize >= before,
                        "nothing already stored is lost"
                    );
                    Ok(())
                })
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
