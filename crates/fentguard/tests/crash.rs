//! Killing the server mid-load (SIGKILL, no graceful shutdown) loses no acknowledged
//! write and leaves the audit chain valid: a real `fentguard serve` (SQLite, then
//! PostgreSQL), eight
//! clients submitting applications, a kill, a restart, and a check of every id the
//! clients were told was filed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_fentguard")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(db: &str, port: u16, key: &std::path::Path) -> Child {
    let child = Command::new(bin())
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--key",
        ])
        .arg(key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// One HTTP/1.1 request on a fresh connection: (status, body).
fn request(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let status = text
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn application() -> String {
    serde_json::json!({
        "importer": {"name": "Quimica Demo SA", "address": "Monterrey", "country": "MX"},
        "consignee": {"name": "Quimica Demo SA", "address": "Monterrey", "country": "MX"},
        "substance": "NPP", "quantity": "25 kg", "destination": "MX",
        "point_of_exit": "Shanghai", "point_of_entry": "Manzanillo", "transport_mode": "sea",
        "planned_dispatch": "2026-12-20", "contract_reference": "C-1", "end_use": "synthesis",
        "documents": [
            {"kind": "importer_guarantee", "filename": "g.txt", "content_base64": "Zw=="},
            {"kind": "contract", "filename": "c.txt", "content_base64": "Yw=="}
        ]
    })
    .to_string()
}

#[test]
fn kill_mid_load_loses_no_acknowledged_write_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    kill_mid_load(&db, &dir);
}

#[test]
fn kill_mid_load_loses_no_acknowledged_write_postgres() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(store::testing::fresh_postgres("crash"));
    kill_mid_load(&db, &dir);
}

fn kill_mid_load(db: &str, dir: &tempfile::TempDir) {
    let db = db.to_string();
    let key = dir.path().join("key");
    let seed = Command::new(bin())
        .args(["demo", "seed", "--db", &db, "--key"])
        .arg(&key)
        .output()
        .expect("seed");
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let tokens: serde_json::Value = serde_json::from_slice(&seed.stdout).expect("tokens JSON");
    let exporter = tokens["compliance_officer"]
        .as_str()
        .expect("token")
        .to_string();
    let officer = tokens["licensing_officer"]
        .as_str()
        .expect("token")
        .to_string();

    let port = free_port();
    let mut server = start(&db, port, &key);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let body = application();
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (ack, stop, token, body) = (
                acknowledged.clone(),
                stop.clone(),
                exporter.clone(),
                body.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Errors are expected once the server is killed; only 201s count.
                    if let Ok((201, text)) =
                        request(port, "POST", "/api/v1/export-applications", &token, &body)
                    {
                        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                            if let Some(id) = v["id"].as_str() {
                                ack.lock().expect("lock").push(id.to_string());
                            }
                        }
                    }
                }
            })
        })
        .collect();
    // let some writes land, then kill without warning
    let t = Instant::now();
    while acknowledged.lock().expect("lock").len() < 40 && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    let acked = acknowledged.lock().expect("lock").clone();
    assert!(
        acked.len() >= 40,
        "only {} writes acknowledged before the kill",
        acked.len()
    );

    // the audit chain survived
    let verify = Command::new(bin())
        .args(["audit", "verify", "--db", &db, "--key"])
        .arg(&key)
        .args(["--checkpoints"])
        .arg(key.with_file_name("fentguard-checkpoints.jsonl"))
        .output()
        .expect("verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // every acknowledged application is there after a restart
    let mut server = start(&db, port, &key);
    for id in &acked {
        let (status, text) = request(
            port,
            "GET",
            &format!("/api/v1/export-applications/{id}"),
            &officer,
            "",
        )
        .expect("GET");
        assert_eq!(status, 200, "acknowledged {id} lost: {text}");
    }
    server.kill().expect("kill");
    server.wait().expect("reaped");
}
