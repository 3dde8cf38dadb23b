//! A flood of the worst inputs found (issue 11, "Done when"): eight clients send the
//! structures that once took seconds, gigabytes or the whole process, over and over,
//! while another client asks for `/healthz`. Every request is answered (a verdict or a
//! 422 naming the limit, never a 5xx), the health client is answered during the flood,
//! and the process's peak memory stays far below what a single one of these inputs took
//! before the limits (1.2 GB). The times are measured in `bench/worst_inputs.py`, not here.

mod common;

use axum::http::StatusCode;
use common::{ladder, Api};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

fn worst_inputs() -> Vec<String> {
    let core = "C1CC(N(c2ccccc2)C(=O)CC)CCN1";
    vec![
        "C".repeat(100_000),
        "C1CCCCC1".repeat(12_500),
        ladder(620),
        ladder(24_000),
        format!("{}C{}", "C(".repeat(33_000), ")".repeat(33_000)),
        "c1ccc(cc1)".repeat(10_000),
        "[CH2]".repeat(20_000),
        format!("{core}{}", format!("C({core})").repeat(47)),
        "C.".repeat(50_000),
        "x".repeat(100_000),
    ]
}

/// The peak resident memory of this process so far (Linux), in bytes.
fn peak_resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// How long the flood may go on waiting for the health client (rounds of all inputs).
const MAX_ROUNDS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_the_worst_inputs_leaves_the_server_answering() {
    let dir = tempfile::tempdir().expect("tmp");
    let api = Arc::new(Api::new(&format!("sqlite://{}", dir.path().join("fg.db").display())).await);
    let before = peak_resident();
    let inputs = Arc::new(worst_inputs());
    let flooding = Arc::new(AtomicBool::new(true));
    let health_during = Arc::new(AtomicUsize::new(0));

    let health = {
        let (api, flooding, during) = (api.clone(), flooding.clone(), health_during.clone());
        tokio::spawn(async move {
            let mut answered = 0;
            while flooding.load(Ordering::SeqCst) {
                let (st, v) = api.call("GET", "/healthz", None, None).await;
                assert_eq!(st, StatusCode::OK, "{v}");
                answered += 1;
                if flooding.load(Ordering::SeqCst) {
                    during.store(answered, Ordering::SeqCst);
                }
                tokio::task::yield_now().await;
            }
            answered
        })
    };
    let mut clients = Vec::new();
    for c in 0..8 {
        let (api, inputs, during) = (api.clone(), inputs.clone(), health_during.clone());
        clients.push(tokio::spawn(async move {
            let mut counts = (0, 0);
            // At least three rounds, and on until the health client has been answered
            // three times or the flood has gone on for MAX_ROUNDS: how many answers fit
            // in three rounds depends on the machine's load, not on the server.
            for round in 0..MAX_ROUNDS {
                if round >= 3 && during.load(Ordering::SeqCst) >= 3 {
                    break;
                }
                for (i, input) in inputs.iter().enumerate() {
                    // Both ways a structure reaches the law, alternating.
                    let (path, body, who) = if (c + round + i) % 2 == 0 {
                        (
                            "/api/v1/classifications",
                            json!({"input": input}),
                            "customs_officer",
                        )
                    } else {
                        (
                            "/api/v1/export-checks",
                            json!({"substance": input, "destination": "MX"}),
                            "compliance_officer",
                        )
                    };
                    let (st, v) = api.call("POST", path, Some(who), Some(body)).await;
                    match st {
                        StatusCode::OK => counts.0 += 1,
                        StatusCode::UNPROCESSABLE_ENTITY => {
                            assert!(v.to_string().len() < 10_000, "the input is not echoed");
                            counts.1 += 1
                        }
                        other => panic!("{path} input {i}: {other} {v}"),
                    }
                }
            }
            counts
        }));
    }
    let mut answered = (0, 0);
    for c in clients {
        let (ok, refused) = c.await.expect("client");
        assert_eq!(
            (ok + refused) % inputs.len(),
            0,
            "each round is answered whole"
        );
        assert!(ok + refused >= 3 * inputs.len(), "three rounds at least");
        answered.0 += ok;
        answered.1 += refused;
    }
    flooding.store(false, Ordering::SeqCst);
    let total_health = health.await.expect("health client");
    assert!(answered.0 > 0, "the 48-core structure gets a verdict");
    assert!(answered.1 > 0, "beyond the limits: refused");
    assert!(
        health_during.load(Ordering::SeqCst) >= 3,
        "the health client was answered during the flood ({total_health} in all)"
    );
    if let (Some(b), Some(a)) = (before, peak_resident()) {
        let grown = a.saturating_sub(b);
        assert!(
            grown < 1 << 30,
            "peak memory grew by {} MB during the flood",
            grown >> 20
        );
    }
}
