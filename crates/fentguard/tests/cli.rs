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

/// Runs a command whose reader has gone before it writes (`fentguard ... | head` once
/// `head` has its line): exit code and standard error.
fn with_stdout_closed(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fentguard"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn fentguard");
    // The only read end closes now, long before the catalogue is loaded and the first
    // line is written, so that write meets a broken pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_closed_pipe_ends_quietly_never_with_a_panic() {
    let dir = tempfile::tempdir().expect("tmp");
    let changes = dir.path().join("changes.csv");
    std::fs::write(
        &changes,
        "action,substance,list_id,category,effective,source,note,unconfirmed,name,synonyms,cas,smiles\nwithdraw,NPP,CN-PRECURSORS,,2027-01-01,test announcement,,false,,,,\n",
    )
    .expect("write");
    let c = changes.to_str().expect("path");
    for args in [
        &["catalogue", "check", c][..],
        &["classify", "fentanyl", "NPP"],
        &["export-check", "--substance", "NPP", "--destination", "MX"],
        &[
            "catalogue",
            "diff",
            "--from",
            "2019-01-01",
            "--to",
            "2025-01-01",
        ],
    ] {
        let (code, err) = with_stdout_closed(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, 0, "{args:?}: {err}");
    }
}

/// A `fentguard serve` of its own on a free port, its log (JSON) captured.
#[cfg(unix)]
struct Served {
    child: std::process::Child,
    port: u16,
}

#[cfg(unix)]
impl Served {
    /// Start on `db` with `key` and `extra` arguments; returns once the port accepts.
    fn start(db: &str, key: &std::path::Path, extra: &[&str]) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_fentguard"))
            .args(["serve", "--db", db, "--listen", &listen])
            .args(["--key", key.to_str().expect("p"), "--log-format", "json"])
            .args(extra)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn serve");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Served { child, port };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("serve exited before listening: {status:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("serve did not listen on {listen}");
    }

    /// One plain HTTP/1.1 exchange (the request closes the connection).
    fn http(&self, request: &str) -> String {
        use std::io::Read;
        let mut c = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        c.write_all(request.as_bytes()).expect("write");
        let mut answer = String::new();
        c.read_to_string(&mut answer).expect("read");
        answer
    }

    /// SIGTERM; the exit status and the log.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success());
        let mut log = String::new();
        self.child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut log)
            .expect("read log");
        (self.child.wait().expect("wait"), log)
    }
}

/// Run `q` on the database at `url` behind FentGuard's back (as a tamperer would).
fn raw_sql(url: &str, q: &str) {
    block_on(async move {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.expect("raw");
        sqlx::query(q).execute(&pool).await.expect("sql");
        pool.close().await;
    })
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
        .block_on(f)
}

/// Seed `db`, back it up, restore the backup into `restored` and check that the
/// restored trail verifies with as many entries as the original; then that a backup
/// changed behind FentGuard's back is not put to use.
/// `again` is a fresh target for the tampered backup.
fn backup_and_restore(db: &str, [restored, tampered, again]: [&str; 3], dir: &std::path::Path) {
    let key = dir.join("signing.key");
    let key = key.to_str().expect("p");
    let (code, _, err) = fentguard(&["demo", "seed", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{err}");
    let (code, original, err) = fentguard(&["audit", "verify", "--db", db, "--key", key], None);
    assert_eq!(code, 0, "{original}{err}");
    let entries = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("audit chain valid:"))
            .and_then(|l| l.split(" entries").next())
            .map(String::from)
            .unwrap_or_else(|| panic!("no chain line: {out}"))
    };
    let backup = dir.join("fg.backup");
    let backup = backup.to_str().expect("p");
    let (code, out, err) = fentguard(
        &["admin", "backup", "--db", db, "--key", key, "--to", backup],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("not in the backup"), "{out}");
    // A backup never overwrites.
    let (code, _, err) = fentguard(
        &["admin", "backup", "--db", db, "--key", key, "--to", backup],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("exists already"), "{err}");
    let restore = |target: &str, from: &str| {
        fentguard(
            &[
                "admin", "restore", "--db", target, "--key", key, "--from", from,
            ],
            None,
        )
    };
    let (code, out, err) = restore(restored, backup);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(entries(&out), entries(&original), "{out}");
    assert!(out.contains("every record agrees"), "{out}");
    // Never over what is there.
    let (code, _, err) = restore(restored, backup);
    assert_ne!(code, 0);
    assert!(err.contains("restore only into"), "{err}");
    // Licences extended behind the trail's back: the backup and the restore say so.
    let (code, out, err) = restore(tampered, backup);
    assert_eq!(code, 0, "{out}{err}");
    raw_sql(
        tampered,
        r#"UPDATE enterprise_licences SET body_json = replace(body_json, '"valid_until":"20', '"valid_until":"29')"#,
    );
    let copy = dir.join("fg2.backup");
    let copy = copy.to_str().expect("p");
    let (code, out, err) = fentguard(
        &[
            "admin", "backup", "--db", tampered, "--key", key, "--to", copy,
        ],
        None,
    );
    if db.starts_with("sqlite:") {
        // A SQLite backup is checked as it is taken; pg_dump's file only when restored.
        assert_eq!(code, 1, "the tampered copy does not verify: {out}{err}");
        assert!(out.contains("DISAGREE"), "{out}");
    } else {
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, out, _) = restore(again, copy);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("DISAGREE") && out.contains("does NOT verify"),
        "{out}"
    );
}

#[test]
fn backup_and_restore_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = |f: &str| format!("sqlite://{}", dir.path().join(f).display());
    let targets = [url("restored.db"), url("tampered.db"), url("again.db")];
    backup_and_restore(
        &url("fg.db"),
        targets.each_ref().map(String::as_str),
        dir.path(),
    );
    let aside = dir.path().join("again.db.unverified");
    assert!(aside.exists(), "an unverified restore is moved aside");
    assert!(!dir.path().join("again.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["fg.backup", "restored.db"] {
            let mode = std::fs::metadata(dir.path().join(f))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} is the owner's only: {mode:o}");
        }
    }
}

#[test]
fn backup_and_restore_on_postgres() {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, restored, tampered, again) = block_on(async {
        (
            store::testing::fresh_postgres("backup").await,
            store::testing::fresh_postgres("restored").await,
            store::testing::fresh_postgres("tampered").await,
            store::testing::fresh_postgres("tampered_again").await,
        )
    });
    backup_and_restore(&db, [&restored, &tampered, &again], dir.path());
}

/// The access-log lines of a JSON log.
fn access_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "fentguard::access")
        .collect()
}

#[cfg(unix)]
#[test]
fn serve_starts_on_sqlite_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("fg.db").display());
    let key = dir.path().join("signing.key");
    let served = Served::start(&db, &key, &[]);
    // Not told of any proxy: a forwarded address is the client's to invent, and ignored.
    let body = served.http(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
    );
    assert!(body.contains("\"database\":\"sqlite\""), "{body}");
    assert!(
        !body
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "a claimed HTTPS is not believed: {body}"
    );
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
        let answer = served.http(&request);
        assert!(answer.to_ascii_lowercase().contains("x-request-id: req"), "{answer}");
    }
    // A backup taken while the server runs.
    let backup = dir.path().join("online.backup");
    let (code, out, err) = fentguard(
        &[
            "admin",
            "backup",
            "--db",
            &db,
            "--key",
            key.to_str().expect("p"),
        ]
        .into_iter()
        .chain(["--to", backup.to_str().expect("p")])
        .collect::<Vec<_>>(),
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit chain valid: 1 entries"), "{out}");
    let (status, log) = served.stop();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let access = access_lines(&log);
    let line = |path: &str| {
        access
            .iter()
            .find(|v| v["path"] == path)
            .unwrap_or_else(|| panic!("no access line for {path}: {log}"))
    };
    assert_eq!(line("/healthz")["status"], 200, "{log}");
    assert_eq!(line("/healthz")["client"], "127.0.0.1", "{log}");
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

/// One HTTPS exchange with a server whose certificate is `cert_pem`.
#[cfg(unix)]
fn https(port: u16, cert_pem: &str, request: &str) -> std::io::Result<String> {
    use rustls::pki_types::pem::PemObject;
    use std::io::Read;
    use std::sync::Arc;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(c.expect("cert")).expect("root");
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    match tls.read_to_end(&mut answer) {
        // A server may close without close_notify once it has answered in full.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => {}
        r => {
            r?;
        }
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[cfg(unix)]
#[test]
fn serve_over_tls_behind_a_trusted_proxy() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("fg.db").display());
    let key = dir.path().join("signing.key");
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert_pem = issued.cert.pem();
    let (cert, tls_key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, &cert_pem).expect("write cert");
    std::fs::write(&tls_key, issued.signing_key.serialize_pem()).expect("write key");
    let tls_args = [
        "--tls-cert",
        cert.to_str().expect("p"),
        "--tls-key",
        tls_key.to_str().expect("p"),
    ];
    // A private key others may read is refused, naming the file.
    std::fs::set_permissions(&tls_key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut args = vec!["serve", "--db", &db, "--key", key.to_str().expect("p")];
    args.extend(tls_args);
    let (code, _, err) = fentguard(&args, None);
    assert_ne!(code, 0);
    assert!(
        err.contains("tls.key") && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&tls_key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // A certificate that is not one is refused at start, naming the files.
    std::fs::write(dir.path().join("bad.crt"), "not a certificate").expect("write");
    let bad = dir.path().join("bad.crt");
    let mut args = vec!["serve", "--db", &db, "--key", key.to_str().expect("p")];
    args.extend(["--tls-cert", bad.to_str().expect("p"), "--tls-key"]);
    args.push(tls_key.to_str().expect("p"));
    let (code, _, err) = fentguard(&args, None);
    assert_ne!(code, 0);
    assert!(err.contains("bad.crt") && err.contains("TLS"), "{err}");

    let mut extra = tls_args.to_vec();
    extra.extend(["--trust-proxy", "127.0.0.1"]);
    let served = Served::start(&db, &key, &extra);
    let answer = https(
        served.port,
        &cert_pem,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 198.51.100.1, 203.0.113.9\r\nConnection: close\r\n\r\n",
    )
    .expect("https");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age="),
        "{answer}"
    );
    // Plain HTTP on the TLS port gets no answer.
    let mut plain = std::net::TcpStream::connect(("127.0.0.1", served.port)).expect("connect");
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut got = Vec::new();
    let _ = std::io::Read::read_to_end(&mut plain, &mut got);
    assert!(
        !String::from_utf8_lossy(&got).contains("200 OK"),
        "plain HTTP answered on the TLS port"
    );
    let (status, log) = served.stop();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let access = access_lines(&log);
    let health = access
        .iter()
        .find(|v| v["path"] == "/healthz")
        .unwrap_or_else(|| panic!("no access line: {log}"));
    // The trusted proxy's last hop, not the address the client wrote first.
    assert_eq!(health["client"], "203.0.113.9", "{log}");
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
    let sql = |q: &str| raw_sql(db, q);
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

#[test]
fn scan_text_reads_lines_and_json_lines_with_offsets() {
    let input = "f3nt4nyl in stock, discreet, telegram @plug_01\n\n{\"id\": \"L-2\", \"text\": \"芬太尼 现货 包清关\"}\npiperidine for universities\n";
    let (code, out, err) = fentguard(&["scan-text", "--date", "2026-12-07"], Some(input));
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "the empty line is skipped: {out}");
    assert_eq!(lines[0]["id"], "stdin:1");
    assert_eq!(lines[0]["decision"], "flag");
    let hit = &lines[0]["hits"][0];
    assert_eq!(hit["substance"], "Fentanyl");
    assert_eq!(hit["status"]["CN"], "controlled");
    assert!(hit["normalisations"]
        .as_array()
        .is_some_and(|n| n.contains(&"leetspeak".into())));
    // byte offsets into the text as UTF-8
    let text = "芬太尼 现货 包清关";
    assert_eq!(lines[1]["id"], "L-2");
    let h = &lines[1]["hits"][0];
    let (s, e) = (
        h["start"].as_u64().unwrap_or(99) as usize,
        h["end"].as_u64().unwrap_or(99) as usize,
    );
    assert_eq!(&text[s..e], "芬太尼");
    assert_eq!(lines[2]["decision"], "clear");
    let (code, table, _) = fentguard(&["scan-text", "--format", "table"], Some(input));
    assert_eq!(code, 0);
    assert!(
        table.contains("FLAG") && table.contains("Fentanyl"),
        "{table}"
    );
}
