//! The command line as a user runs it: README examples, errors, and screening files with
//! bad records.

use std::io::Write;
use std::process::Command;

fn fentguard(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fentguard"));
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn fentguard");
    // Standard input is fed from a thread: a large input would otherwise fill the pipes
    // in both directions and deadlock.
    let mut pipe = child.stdin.take().expect("stdin");
    let text = stdin.unwrap_or_default().to_string();
    let feeder = std::thread::spawn(move || pipe.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("run");
    feeder.join().expect("feeder").expect("write stdin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn verdict<'a>(v: &'a serde_json::Value, jur: &str) -> &'a serde_json::Value {
    v["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .find(|x| x["jurisdiction"] == jur)
        .expect("jurisdiction")
}

#[test]
fn classify_json_from_stdin_names_lines_and_errors() {
    let input =
        "CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 acetylfentanyl\n437-38-7\nnot a chemical(\n4-ANPP\n";
    let (code, out, _) = fentguard(&["classify", "--format", "json"], Some(input));
    assert_eq!(code, 1, "an input error gives exit code 1");
    let v = json_lines(&out);
    assert_eq!(v.len(), 4);
    assert_eq!(v[0]["line"], 1);
    assert_eq!(v[0]["name"], "acetylfentanyl");
    assert_eq!(verdict(&v[0], "CN")["generic"]["result"], "match");
    assert_eq!(
        verdict(&v[0], "US")["generic"]["conditions"],
        serde_json::json!(["E"])
    );
    // fentanyl by CAS: no class match, controlled through its listing
    assert_eq!(verdict(&v[1], "US")["generic"]["result"], "no_match");
    assert_eq!(verdict(&v[1], "US")["controlled"], true);
    assert_eq!(v[2]["line"], 3);
    assert!(v[2]["error"]
        .as_str()
        .expect("error")
        .contains("not valid SMILES"));
    assert_eq!(verdict(&v[3], "CN")["controlled"], true);
    assert!(verdict(&v[3], "CN")["listings"][0]["list"]
        .as_str()
        .expect("list")
        .contains("precursor"));
}

#[test]
fn classify_table_for_people_and_jurisdiction_filter() {
    let (code, out, _) = fentguard(
        &[
            "classify",
            "--jurisdiction",
            "us",
            "CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1C",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("US: CONTROLLED"), "{out}");
    assert!(out.contains("(conditions A, C)"), "{out}");
    assert!(!out.contains("CN:"), "{out}");
}

#[test]
fn screen_skips_bad_records_and_counts() {
    let dir = tempfile::tempdir().expect("tmp");
    let smi = dir.path().join("in.smi");
    std::fs::write(
        &smi,
        "CCO ethanol\nC1CC broken\nCCC(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1 pFF\n\nCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C\n",
    )
    .expect("write");
    let hits = dir.path().join("hits.jsonl");
    let (code, _, err) = fentguard(
        &[
            "screen",
            smi.to_str().expect("path"),
            "--out",
            hits.to_str().expect("path"),
            "--quiet",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("skipped: line 2"), "{err}");
    let summary: serde_json::Value = serde_json::from_str(
        err.lines()
            .find_map(|l| l.strip_prefix("summary: "))
            .expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["read"], 4);
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["matched"]["CN-FRS-2019"], 2);
    let h = json_lines(&std::fs::read_to_string(&hits).expect("hits"));
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["line"], 3);
    assert_eq!(h[1]["results"]["US-FRS"], "match");
}

#[test]
fn screen_reads_gzipped_csv_and_sdf() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("in.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&csv).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(b"id,smiles\na,CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C\nb,\"CCO\"\n")
        .expect("gz");
    gz.finish().expect("finish");
    let (code, out, err) = fentguard(
        &[
            "screen",
            csv.to_str().expect("p"),
            "--format",
            "csv",
            "--quiet",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[1].starts_with("2,a,"), "{out}");
    let sdf = dir.path().join("in.sdf");
    let block = "\n  x\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 O   0  0\n  1  2  1  0\nM  END\n$$$$\n";
    let bad = "\n  y\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0\n  1  2  1  0\nM  END\n$$$$\n";
    std::fs::write(&sdf, format!("{block}{bad}{block}")).expect("write");
    let (code, _, err) = fentguard(&["screen", sdf.to_str().expect("p"), "--quiet"], None);
    assert_eq!(code, 0);
    assert!(
        err.contains("\"read\":3") && err.contains("\"failed\":1"),
        "{err}"
    );
}

#[test]
fn screen_unknown_file_type_is_a_clear_error() {
    let (code, _, err) = fentguard(&["screen", "/nonexistent/file.xyz"], None);
    assert_eq!(code, 2);
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn export_check_json_and_errors() {
    let (code, out, err) = fentguard(
        &[
            "export-check",
            "--substance",
            "NPP",
            "--destination",
            "MX",
            "--date",
            "2025-12-01",
            "--quantity",
            "25kg",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["decision"], "licence_required");
    let ids: Vec<&str> = v["regimes"]
        .as_array()
        .expect("regimes")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        ["cn-precursor-export-licence", "cn-specific-country-licence"]
    );
    assert_eq!(v["regimes"][0]["review_days"], 20);
    assert!(v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w.as_str().expect("w").contains("incomplete")));
    let (code, _, err) = fentguard(
        &["export-check", "--substance", "NPP", "--destination", "ZZ"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("ISO 3166-1"), "{err}");
    let (code, _, err) = fentguard(
        &[
            "export-check",
            "--substance",
            "NPP",
            "--destination",
            "MX",
            "--quantity",
            "lots",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("quantity 'lots'"), "{err}");
    let (code, _, err) = fentguard(&["classify", "NPP", "--date", "2025-02-30"], None);
    assert_eq!(code, 2);
    assert!(err.contains("not a date"), "{err}");
}

#[test]
fn catalogue_diff_and_changes_file() {
    let (code, out, _) = fentguard(
        &[
            "catalogue",
            "diff",
            "--from",
            "2024-08-31",
            "--to",
            "2024-09-01",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows.iter().all(|r| r["kind"] == "added"
        && r["list_id"] == "CN-PRECURSORS"
        && r["category"] == "Class II"));
    let dir = tempfile::tempdir().expect("tmp");
    let changes = dir.path().join("changes.csv");
    std::fs::write(
        &changes,
        "action,substance,list_id,category,effective,source,note,unconfirmed,name,synonyms,cas,smiles\nwithdraw,NPP,CN-PRECURSORS,,2027-01-01,test announcement,,false,,,,\n",
    )
    .expect("write");
    let c = changes.to_str().expect("path");
    let (code, out, err) = fentguard(&["catalogue", "check", c], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("all changes valid"));
    let (code, out, _) = fentguard(
        &[
            "--changes",
            c,
            "export-check",
            "--substance",
            "NPP",
            "--destination",
            "DE",
            "--date",
            "2027-01-02",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("\"decision\":\"no_licence_required\""),
        "{out}"
    );
    std::fs::write(&changes, "action,substance,list_id,category,effective,source,note,unconfirmed,name,synonyms,cas,smiles\nwithdraw,NPP,NO-LIST,,2027-01-01,x,,false,,,,\n").expect("write");
    let (code, _, err) = fentguard(&["catalogue", "check", c], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("changes row 1") && err.contains("unknown list id"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn serve_starts_on_sqlite_answers_and_stops_on_sigterm() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("tmp");
    // a free port
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let db = format!("sqlite://{}", dir.path().join("fg.db").display());
    let key = dir.path().join("signing.key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fentguard"))
        .args([
            "serve",
            "--db",
            &db,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--key",
            key.to_str().expect("p"),
            "--log-format",
            "json",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut body = String::new();
    for _ in 0..100 {
        if let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .expect("write");
            c.read_to_string(&mut body).expect("read");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(body.contains("\"database\":\"sqlite\""), "{body}");
    assert!(
        key.exists() && dir.path().join("fg.db").exists(),
        "created on first start"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [key.clone(), dir.path().join("fg.db")] {
            let mode = std::fs::metadata(&f).expect("meta").permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "{} is the owner's only: {mode:o}",
                f.display()
            );
        }
    }
    // Secrets travel in a body (a password) and in a query (a permit's verification
    // code); the access log has a line for each request and neither secret.
    let login = r#"{"username":"li.wei","password":"Pa55-never-logged"}"#;
    for request in [
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{login}",
            login.len()
        ),
        "GET /api/v1/permits/CN-X-1?code=Code-never-logged HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer fg_Token-never-logged\r\nConnection: close\r\n\r\n".to_string(),
    ] {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        c.write_all(request.as_bytes()).expect("write");
        let mut answer = String::new();
        c.read_to_string(&mut answer).expect("read");
        assert!(answer.to_ascii_lowercase().contains("x-request-id: req"), "{answer}");
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("read log");
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let access: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "fentguard::access")
        .collect();
    let line = |path: &str| {
        access
            .iter()
            .find(|v| v["path"] == path)
            .unwrap_or_else(|| panic!("no access line for {path}: {log}"))
    };
    assert_eq!(line("/healthz")["status"], 200, "{log}");
    assert_eq!(line("/api/v1/auth/login")["status"], 401, "{log}");
    assert_eq!(line("/api/v1/permits/CN-X-1")["method"], "GET", "{log}");
    for secret in [
        "Pa55-never-logged",
        "Code-never-logged",
        "Token-never-logged",
    ] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }
    let (code, out, err) = fentguard(
        &[
            "audit",
            "verify",
            "--db",
            &db,
            "--key",
            key.to_str().expect("p"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // the failed login is on the audit trail
    assert!(out.contains("audit chain valid: 1 entries"), "{out}");
}

#[test]
fn admin_init_creates_the_first_administrator_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("init.db").display());
    let key = dir.path().join("init.key");
    let args = [
        "admin",
        "init",
        "--db",
        &db,
        "--key",
        key.to_str().expect("p"),
        "--org-id",
        "cn-mofcom",
        "--org-name",
        "Ministry of Commerce",
        "--country",
        "CN",
        "--username",
        "root",
    ];
    let (code, _, err) = fentguard(&args, Some("short\n"));
    assert_eq!(code, 2, "a short password is refused: {err}");
    assert!(err.contains("12 characters"), "{err}");
    let (code, out, err) = fentguard(&args, Some("a long enough passphrase\n"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("administrator root"), "{out}");
    let (code, _, err) = fentguard(&args, Some("a long enough passphrase\n"));
    assert_eq!(code, 2);
    assert!(err.contains("already has an administrator"), "{err}");
    audit_commands_catch_tampering(&dir);
}

/// `audit checkpoint`, `audit verify --checkpoints` and `audit seal` on a real database:
/// a head published before the tail was cut is missing; a wrong key finds no seal its own;
/// entries stripped of their seals stop `serve` until sealed again.
fn audit_commands_catch_tampering(dir: &tempfile::TempDir) {
    let db = &format!("sqlite://{}", dir.path().join("audit.db").display());
    let key = dir.path().join("audit.key");
    let key = key.to_str().expect("p");
    let (code, seeded, err) = fentguard(&["demo", "seed", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{err}");
    assert!(seeded.contains("administrator"), "{seeded}");
    let (code, head, err) = fentguard(&["audit", "checkpoint", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{err}");
    let published = dir.path().join("published.jsonl");
    std::fs::write(&published, &head).expect("publish");
    let cps = published.to_str().expect("p");
    let verify = |k: &str| {
        fentguard(
            &[
                "audit",
                "verify",
                "--db",
                db,
                "--key",
                k,
                "--checkpoints",
                cps,
            ],
            None,
        )
    };
    let (code, out, err) = verify(key);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 published heads found"), "{out}");
    assert!(out.contains("every record agrees"), "{out}");
    let sql = |q: &str| {
        let url = db.to_string();
        let q = q.to_string();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt")
            .block_on(async move {
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&url).await.expect("raw");
                sqlx::query(&q).execute(&pool).await.expect("sql");
                pool.close().await;
            });
    };
    // the tail cut off
    sql("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)");
    let (code, out, _) = verify(key);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("checkpoints FAIL") && out.contains("truncated"),
        "{out}"
    );
    // another key: no entry sealed by it
    let other = dir.path().join("other.key");
    let (code, _, err) = fentguard(
        &[
            "demo",
            "seed",
            "--db",
            &format!("sqlite://{}", dir.path().join("o.db").display()),
            "--key",
            other.to_str().expect("p"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = verify(other.to_str().expect("p"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not among the keys"), "{out}");
    // a key rotation: entries sealed and heads signed by the earlier key still verify,
    // and new entries are sealed by the new key
    let (code, out, err) = fentguard(&["admin", "rotate-key", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("new authority key"), "{out}");
    let lines = std::fs::read_to_string(key).expect("key file");
    assert_eq!(
        lines.lines().filter(|l| !l.starts_with('#')).count(),
        2,
        "{lines}"
    );
    let (code, after, err) = fentguard(&["audit", "checkpoint", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{err}");
    assert_ne!(after, head);
    let (code, out, _) = fentguard(&["audit", "verify", "--db", db, "--key", key], None);
    assert!(
        out.contains("audit chain valid") && out.contains("every one sealed"),
        "{out}"
    );
    assert_eq!(code, 1, "only the entry cut off above is missed: {out}");
    // seals stripped (as entries written before sealing were): refused until sealed
    sql("UPDATE audit_log SET mac = NULL, key_id = NULL");
    let (code, _, err) = fentguard(&["demo", "seed", "--db", db, "--key", key], None);
    assert_eq!(code, 2);
    assert!(err.contains("fentguard audit seal"), "{err}");
    let (code, out, err) = fentguard(&["audit", "seal", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sealed "), "{out}");
    // sealed again, the chain verifies; the entry cut off above is still missed by the
    // licence it recorded
    let (code, out, _) = fentguard(&["audit", "verify", "--db", db, "--key", key], None);
    assert!(
        out.contains("audit chain valid") && out.contains("every one sealed"),
        "{out}"
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("never audited"), "{out}");
}

/// SMILES of the evaluation cases and of every 7th generated input (molfiles left out:
/// `screen` reads them from SD files).
fn screening_inputs() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../law/tests/data");
    let mut out = Vec::new();
    let mut r = csv::Reader::from_path(format!("{root}/fentanyl_cases.csv")).expect("cases");
    let col = r.headers().expect("h").iter().position(|h| h == "smiles");
    for rec in r.records() {
        out.push(rec.expect("row")[col.expect("smiles")].to_string());
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(
            std::fs::File::open(format!("{root}/differential.csv.gz")).expect("fixture"),
        ),
        &mut text,
    )
    .expect("gzip");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for rec in r.records().step_by(7) {
        let s = rec.expect("row")[2].to_string();
        if !s.contains('\n') {
            out.push(s);
        }
    }
    // listed substances outside the generic class, and their salts and labels
    out.extend(
        [
            "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
            "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)CC(O)(CC(=O)O)C(=O)O",
            "CCC(=O)N(c1c([2H])c([2H])c([2H])c([2H])c1[2H])C1CCN(CCc2ccccc2)CC1",
            "CCC(=O)N(C1CCNCC1)c1ccccc1",
            "O=C1CCN(CCc2ccccc2)CC1",
            "C1CN(CCC1Nc1ccccc1)CCc1ccccc1",
            "O=C1CCNCC1",
        ]
        .map(String::from),
    );
    out
}

#[test]
fn screen_reports_what_classify_calls_controlled_or_undetermined_with_the_same_verdicts() {
    let dir = tempfile::tempdir().expect("tmp");
    let inputs = screening_inputs();
    let smi = dir.path().join("in.smi");
    std::fs::write(&smi, inputs.join("\n") + "\n").expect("write");
    let date = "2026-06-01";
    let (code, out, err) = fentguard(
        &[
            "screen",
            smi.to_str().expect("p"),
            "--date",
            date,
            "--quiet",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let hits: std::collections::BTreeMap<u64, serde_json::Value> = json_lines(&out)
        .into_iter()
        .map(|h| (h["line"].as_u64().expect("line"), h))
        .collect();
    let (_, out, _) = fentguard(
        &["classify", "--format", "json", "--date", date],
        Some(&(inputs.join("\n") + "\n")),
    );
    let answers = json_lines(&out);
    assert_eq!(answers.len(), inputs.len());
    let mut reported = 0;
    for a in &answers {
        let line = a["line"].as_u64().expect("line");
        let hit = a["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .any(|v| v["status"] != "not_controlled");
        match hits.get(&line) {
            Some(h) => {
                assert!(hit, "screen reported line {line}, classify does not: {a}");
                assert_eq!(h["verdicts"], a["verdicts"], "line {line}");
                assert_eq!(h["components"], a["components"], "line {line}");
                reported += 1;
            }
            None => assert!(!hit, "screen missed line {line}: {a}"),
        }
    }
    // fentanyl, its salt and label, norfentanyl, NPP, 4-ANPP, 4-piperidone: all found
    let n = inputs.len() as u64;
    for line in n - 6..=n {
        assert!(
            hits.contains_key(&line),
            "listed substance on line {line} missed"
        );
    }
    let summary: serde_json::Value = serde_json::from_str(
        err.lines()
            .find_map(|l| l.strip_prefix("summary: "))
            .expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["hits"], reported);
    assert!(summary["listed"].as_u64() >= Some(7), "{summary}");
    assert!(summary["generic"].as_u64() > Some(100), "{summary}");
    assert!(summary["undetermined"].as_u64() > Some(100), "{summary}");
    // the table for people and the CSV carry the same hits
    for (format, header) in [("table", "listed as"), ("csv", "CN_status")] {
        let (code, out, _) = fentguard(
            &[
                "screen",
                smi.to_str().expect("p"),
                "--date",
                date,
                "--format",
                format,
                "--quiet",
            ],
            None,
        );
        assert_eq!(code, 0);
        assert!(
            out.lines().next().is_some_and(|l| l.contains(header)),
            "{out}"
        );
        assert_eq!(out.lines().count(), reported + 1, "{format}");
    }
}

#[test]
fn salts_misspellings_cas_and_molfiles_read_through_one_resolver() {
    // fentanyl pamoate: the counter-ion is larger than the base; still fentanyl
    let (code, out, _) = fentguard(
        &[
            "classify",
            "--format",
            "json",
            "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(O)=O)cc3ccccc23)c1O fentanyl pamoate",
            "fentanyl citrate",
            "79-11-8",
            "PJMPHNIQZUBGLI-UHFFFAOYSA-N",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let v = json_lines(&out);
    for a in &v[..2] {
        assert_eq!(verdict(a, "CN")["status"], "controlled", "{a}");
        assert_eq!(verdict(a, "US")["status"], "controlled", "{a}");
    }
    assert_eq!(verdict(&v[0], "CN")["component"], 0);
    assert_eq!(verdict(&v[2], "CN")["status"], "undetermined", "{}", v[2]);
    assert_eq!(v[3]["name"], "Fentanyl", "{}", v[3]);
    // a misspelt name: refused with the closest names, in JSON and for people
    let (code, out, _) = fentguard(&["classify", "--format", "json", "fentanil"], None);
    assert_eq!(code, 1);
    assert_eq!(
        json_lines(&out)[0]["did_you_mean"],
        serde_json::json!(["Fentanyl"])
    );
    let (_, out, _) = fentguard(&["classify", "4-ANNP", "N-phenethyl-4-piperidinone"], None);
    assert!(out.contains("did you mean: 4-ANPP"), "{out}");
    assert!(
        out.contains("did you mean: N-Phenethyl-4-piperidone"),
        "{out}"
    );
    // export-check: an unknown name is an error, never "no licence required"
    let (code, out, err) = fentguard(
        &[
            "export-check",
            "--substance",
            "fentanil",
            "--destination",
            "MX",
        ],
        None,
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        !out.contains("no_licence_required") && !out.contains("no licence"),
        "{out}"
    );
    assert!(err.contains("did you mean: Fentanyl"), "{err}");
    // a molfile file
    let dir = tempfile::tempdir().expect("tmp");
    let mol = dir.path().join("x.mol");
    std::fs::write(
        &mol,
        "ethanol\n  x\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 O   0  0\n  1  2  1  0\n  2  3  1  0\nM  END\n",
    )
    .expect("write");
    let (code, out, _) = fentguard(
        &["classify", "--format", "json", mol.to_str().expect("p")],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let v = json_lines(&out);
    assert_eq!(v[0]["name"], "ethanol");
    assert_eq!(verdict(&v[0], "CN")["status"], "not_controlled");
}

/// `C1CCCCC1` repeated 5,000 times aborted the process (exit 134, stack overflow);
/// beyond the size limits a structure is now refused with the limit named, the other
/// lines still answered; the limits can be raised on the command line.
#[test]
fn structures_beyond_the_limits_are_refused_and_the_limits_can_be_raised() {
    let huge = "C1CCCCC1".repeat(5000);
    let stdin = format!("{huge}\nCCO ethanol\n");
    let (code, out, _) = fentguard(&["classify", "--format", "json"], Some(&stdin));
    assert_eq!(code, 1, "{out}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    let error = lines[0]["error"].as_str().expect("error");
    assert!(
        error.contains("30000 heavy atoms") && error.contains("max_atoms"),
        "{error}"
    );
    assert_eq!(verdict(&lines[1], "CN")["status"], "not_controlled");
    let (code, out, _) = fentguard(&["classify", &huge], None);
    assert_eq!(code, 1);
    assert!(out.contains("max_atoms"), "{out}");
    assert!(out.len() < 1_000, "the input is not echoed whole: {out}");
    let chain = "C".repeat(1500);
    let (code, _, _) = fentguard(&["classify", &chain], None);
    assert_eq!(code, 1);
    let (code, out, err) = fentguard(&["classify", "--max-atoms", "2000", &chain], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("CN: not controlled"), "{out}");
    let (code, out, _) = fentguard(
        &["export-check", "--substance", &huge, "--destination", "MX"],
        None,
    );
    assert_ne!(code, 0, "{out}");
}

/// A damaged file is an error naming the file and the byte offset, with a non-zero exit
/// and nothing after it read forever or silently lost; a line that is not UTF-8 is
/// reported and skipped.
#[test]
fn damaged_files_are_refused_naming_where_and_bad_lines_are_skipped() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 fentanyl\n");
    for i in 0..20_000 {
        text.push_str(&format!("C{}O m{i}\n", "C".repeat(i % 20)));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    let good = gz.finish().expect("gzip");
    let mut crc = good.clone();
    let n = crc.len();
    crc[n - 6] ^= 0xff; // the CRC-32 of the member
    let files = [
        ("whole.smi.gz", good.clone(), 0),
        ("truncated.smi.gz", good[..good.len() / 2].to_vec(), 2),
        ("crc.smi.gz", crc, 2),
    ];
    for (name, bytes, want) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let (code, _, err) = fentguard(&["screen", path.to_str().expect("p"), "--quiet"], None);
        assert_eq!(code, want, "{name}: {err}");
        if want != 0 {
            assert!(
                err.contains(name) && err.contains("damaged at byte") && err.contains("after line"),
                "{name}: {err}"
            );
        }
    }
    // A line that is not UTF-8: reported and skipped, the rest read (screen and classify).
    let path = dir.path().join("mixed.smi");
    std::fs::write(
        &path,
        b"CCO ethanol\n\xff\xfeCC bad\nCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 fentanyl\n",
    )
    .expect("write");
    let (code, out, err) = fentguard(
        &[
            "screen",
            path.to_str().expect("p"),
            "--quiet",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("line 2: not UTF-8"), "{err}");
    assert!(out.contains("fentanyl"), "the line after it is read: {out}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fentguard"))
        .args(["classify", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"CCO\n\xff\xfe\nfentanyl\n")
        .expect("write");
    let out = child.wait_with_output().expect("run");
    let lines = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap_or("")
            .contains("not UTF-8"),
        "{:?}",
        lines[1]
    );
    assert_eq!(lines[2]["name"], "Fentanyl", "{:?}", lines[2]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad line is an error in the exit code"
    );
}
