//! Load generator for `fentguard serve`: `--clients` keep-alive HTTP/1.1 connections on
//! loopback hammer one scenario for `--seconds`, then print throughput, p50/p99 latency
//! and the error count as one JSON line.
//!
//! Scenarios: `verify` (public permit verification; a permit is first taken through the
//! whole workflow with the demo tokens), `submit` (export-application submissions) and
//! `capture` (EPCIS documents of `--events` new events each; throughput also in events/s)
//! and `query` (EPCIS queries a regulator asks: one pack's history by EPC, a page of
//! shipping events, a page in a time window, a lot's events by class). Pages: `worklist`
//! (the licensing officer's My work, signed in through the sign-in form) and `check`
//! (Check a chemical, judged and drawn, over a set of fentanyl analogues and precursors);
//! `fill` files applications until `--count` exist (to load a worklist).

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Server address, host:port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The JSON printed by `fentguard demo seed`.
    #[arg(long)]
    tokens: std::path::PathBuf,
    /// `verify` or `submit`.
    #[arg(long)]
    scenario: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Duration of the measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Events per capture document (scenario `capture`).
    #[arg(long, default_value_t = 500)]
    events: usize,
    /// First capture round number (serials carry it; successive runs pass different
    /// bases so their events are new).
    #[arg(long, default_value_t = 0)]
    round_base: u64,
    /// Capture documents on a controlled substance (scenario `capture`): each document
    /// commissions a lot of NPP (Class I) with its ILMD, then sells it in 25 kg events to
    /// the demo buyer under a transport permit, so every rule, the lot registry, the
    /// inventory and the shipments are exercised (the demo supply chain must be seeded).
    #[arg(long)]
    controlled: bool,
    /// eventTime of the captured events (the Class I 5-day filing rule reads it: pass a
    /// recent time to measure the lawful path).
    #[arg(long, default_value = "2026-11-20T08:00:00.000+08:00")]
    event_time: String,
    /// What `fentguard demo seed` wrote on standard error (user names and passwords),
    /// for the page scenarios that sign in.
    #[arg(long)]
    passwords: Option<std::path::PathBuf>,
    /// Applications to file (scenario `fill`).
    #[arg(long, default_value_t = 10_000)]
    count: usize,
}

/// What the `check` scenario asks, in turn: catalogue names, analogues as SMILES.
const CHECKS: &[&str] = &[
    "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1",
    "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCc2ccccc2)CC1",
    "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1",
    "O=C1CCN(CCc2ccccc2)CC1",
    "C1CN(CCC1Nc1ccccc1)CCc1ccccc1",
    "acetylfentanyl",
    "fentanyl citrate",
    "39742-60-4",
    "CCO",
    "CCC(=O)N(c1ccccc1)C1(COC)CCN(CCn2nnn(CC)c2=O)CC1",
];

/// A signed-in browser session of `user` (through the sign-in form, as a person signs
/// in): the cookie to send.
async fn sign_in(addr: &str, user: &str, password: &str) -> Result<String> {
    let mut s = connect(addr).await?;
    let (st, headers, page) = send_with(&mut s, "GET", "/sign-in", &[], None).await?;
    if st != 200 {
        bail!("GET /sign-in: {st}");
    }
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fg_form="))
        .and_then(|c| c.split(';').next())
        .context("no form cookie")?
        .to_string();
    let page = String::from_utf8_lossy(&page);
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("no form token")?;
    let body = format!("username={user}&password={password}&form_token={token}&next=/work");
    let (st, headers, _) = send_with(
        &mut s,
        "POST",
        "/sign-in",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(&body),
    )
    .await?;
    if st != 303 {
        bail!("signing in as {user}: {st}");
    }
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fg_session="))
        .and_then(|c| c.split(';').next())
        .map(String::from)
        .context("no session cookie")
}

/// The password of demo user `user` from `demo seed`'s standard error.
fn password_of(file: &std::path::Path, user: &str) -> Result<String> {
    std::fs::read_to_string(file)?
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 2 && w[0] == user)
        .map(|w| w[1].to_string())
        .with_context(|| format!("no password for {user} in {}", file.display()))
}

/// The queries of the `query` scenario, in turn (serials as `capture_document` writes
/// them, so the EPC queries mostly hit).
fn query_path(client: usize, round: u64) -> String {
    let (c, r, i) = (client % 8, 1 + round % 40, (round * 7919) % 500);
    match round % 4 {
        0 => format!("/epcis/events?MATCH_epc=urn:epc:id:sgtin:0614141.107346.{c}x{r}x{i}"),
        1 => "/epcis/events?EQ_bizStep=shipping&perPage=30".into(),
        2 => "/epcis/events?GE_eventTime=2026-11-20T00:00:00Z&LT_eventTime=2026-11-21T00:00:00Z&perPage=30".into(),
        _ => "/epcis/events?MATCH_epcClass=urn:epc:class:lgtin:4012345.012345.NPP-2026-11&perPage=30".into(),
    }
}

/// A document that makes a lot of NPP and sells it in `n - 1` events of 25 kg.
fn controlled_document(client: usize, round: u64, n: usize, when: &str) -> String {
    let lot = format!("urn:epc:class:lgtin:6901234.012345.B{client}x{round}");
    let mut events = vec![serde_json::json!({
        "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "eventTime": when, "eventTimeZoneOffset": "+08:00",
        "quantityList": [{"epcClass": lot, "quantity": 25 * n.saturating_sub(1), "uom": "KGM"}],
        "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.0"},
        "ilmd": {"fg:substance": "39742-60-4"}
    })];
    events.extend((1..n).map(|i| {
        serde_json::json!({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "disposition": "in_transit", "eventTime": when, "eventTimeZoneOffset": "+08:00",
            "epcList": [format!("urn:epc:id:sgtin:0614141.107346.{client}x{round}x{i}")],
            "quantityList": [{"epcClass": lot, "quantity": 25, "uom": "KGM"}],
            "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.0"},
            "bizTransactionList": [
                {"type": "https://ns.fentguard.org/btt/transport_permit", "bizTransaction": format!("urn:fentguard:transport-permit:{client}x{round}")},
                {"type": "po", "bizTransaction": format!("urn:epcglobal:cbv:bt:0614141073467:{round}")}
            ],
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:6901234.00001"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:6901234.00002"}]
        })
    }));
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"fg": "https://ns.fentguard.org/epcis/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": when,
        "epcisBody": {"eventList": events}
    })
    .to_string()
}

/// An EPCIS document of `n` distinct shipping events (serials from client and round).
fn capture_document(client: usize, round: u64, n: usize, when: &str) -> String {
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "disposition": "in_transit",
                "eventTime": when, "eventTimeZoneOffset": "+08:00",
                "epcList": [format!("urn:epc:id:sgtin:0614141.107346.{client}x{round}x{i}")],
                "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.NPP-2026-11", "quantity": 25, "uom": "KGM"}],
                "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
                "bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"},
                "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:epcglobal:cbv:bt:0614141073467:{round}")}],
                "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00001"}],
                "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4012345.00002"}]
            })
        })
        .collect();
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-22T08:00:00Z",
        "epcisBody": {"eventList": events}
    })
    .to_string()
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send(
    s: &mut Sender,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, Bytes)> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(a) = &auth {
        headers.push(("authorization", a));
    }
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let (status, _, bytes) = send_with(s, method, path, &headers, body).await?;
    Ok((status, bytes))
}

async fn send_with(
    s: &mut Sender,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<(u16, hyper::HeaderMap, Bytes)> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "loadgen");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::from(body.unwrap_or("").to_string())))?;
    s.ready().await?;
    let res = s.send_request(req).await?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await?.to_bytes();
    Ok((status, headers, bytes))
}

fn application() -> String {
    serde_json::json!({
        "importer": {"name": "Quimica Demo SA", "address": "Monterrey", "country": "MX"},
        "consignee": {"name": "Quimica Demo SA", "address": "Monterrey", "country": "MX"},
        "substance": "NPP", "quantity": "25 kg", "destination": "MX",
        "point_of_exit": "Shanghai", "point_of_entry": "Manzanillo", "transport_mode": "sea",
        "planned_dispatch": "2026-12-20", "contract_reference": "C-1", "end_use": "synthesis",
        "documents": [
            {"kind": "importer_guarantee", "filename": "g.txt", "content_base64": "Z3VhcmFudGVl"},
            {"kind": "contract", "filename": "c.txt", "content_base64": "Y29udHJhY3Q="}
        ]
    })
    .to_string()
}

async fn step(
    s: &mut Sender,
    path: &str,
    token: &str,
    body: Option<&str>,
    want: &[u16],
) -> Result<serde_json::Value> {
    let (st, b) = send(s, "POST", path, Some(token), body).await?;
    if !want.contains(&st) {
        bail!("{path}: {st} {}", String::from_utf8_lossy(&b));
    }
    Ok(serde_json::from_slice(&b)?)
}

/// Take one application through the workflow and return its permit number.
async fn issue_permit(addr: &str, t: &serde_json::Value) -> Result<String> {
    let tok = |k: &str| t[k].as_str().unwrap_or_default().to_string();
    let mut s = connect(addr).await?;
    let api = "/api/v1";
    let app = step(
        &mut s,
        &format!("{api}/export-applications"),
        &tok("compliance_officer"),
        Some(&application()),
        &[201],
    )
    .await?;
    let id = app["id"].as_str().unwrap_or_default().to_string();
    let fwd = step(
        &mut s,
        &format!("{api}/export-applications/{id}/forward"),
        &tok("licensing_officer"),
        None,
        &[200],
    )
    .await?;
    let pen = fwd["notification"].as_str().unwrap_or_default().to_string();
    step(
        &mut s,
        &format!("{api}/notifications/{pen}/send"),
        &tok("public_security_officer"),
        None,
        &[200],
    )
    .await?;
    step(
        &mut s,
        &format!("{api}/notifications/{pen}/reply"),
        &tok("foreign_authority_officer"),
        Some(r#"{"reply":"no_objection"}"#),
        &[200],
    )
    .await?;
    let mut last = serde_json::Value::Null;
    for officer in ["licensing_officer", "second_licensing_officer"] {
        last = step(
            &mut s,
            &format!("{api}/export-applications/{id}/decision"),
            &tok(officer),
            Some(r#"{"decision":"approve"}"#),
            &[200, 202],
        )
        .await?;
    }
    last["permit"]
        .as_str()
        .map(String::from)
        .context("no permit issued")
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    let tokens: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&a.tokens)?)?;
    let (method, path, token, body): (&str, String, Option<String>, Option<String>) =
        match a.scenario.as_str() {
            "verify" => {
                let permit = issue_permit(&a.addr, &tokens).await?;
                (
                    "GET",
                    format!("/api/v1/permits/{permit}/verify"),
                    None,
                    None,
                )
            }
            "submit" => (
                "POST",
                "/api/v1/export-applications".into(),
                tokens["compliance_officer"].as_str().map(String::from),
                Some(application()),
            ),
            "capture" => (
                "POST",
                "/epcis/capture".into(),
                tokens["compliance_officer"].as_str().map(String::from),
                None,
            ),
            "query" => (
                "GET",
                String::new(),
                tokens["licensing_officer"].as_str().map(String::from),
                None,
            ),
            "fill" => (
                "POST",
                "/api/v1/export-applications".into(),
                tokens["compliance_officer"].as_str().map(String::from),
                Some(application()),
            ),
            "worklist" => ("GET", "/work".into(), None, None),
            "check" => ("POST", "/check".into(), None, None),
            other => bail!(
            "unknown scenario '{other}' (verify, submit, capture, query, fill, worklist or check)"
        ),
        };
    // The worklist is the licensing officer's, signed in as a person signs in.
    let cookie = if a.scenario == "worklist" {
        let file = a
            .passwords
            .as_ref()
            .context("--passwords: the worklist scenario signs in")?;
        let user = "demo-licensing_officer";
        Some(sign_in(&a.addr, user, &password_of(file, user)?).await?)
    } else {
        None
    };
    let checking = a.scenario == "check";
    let filled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let fill_to = (a.scenario == "fill").then_some(a.count);
    let capture = (a.scenario == "capture").then_some(a.events);
    let querying = a.scenario == "query";
    let round_base = a.round_base;
    let controlled = a.controlled;
    let when = a.event_time.clone();
    let want = match a.scenario.as_str() {
        "verify" | "query" | "worklist" | "check" => 200,
        "capture" => 202,
        _ => 201,
    };
    let deadline =
        Instant::now() + Duration::from_secs(if fill_to.is_some() { 3600 } else { a.seconds });
    let mut tasks = Vec::new();
    for client in 0..a.clients {
        let (addr, path, token, body) = (a.addr.clone(), path.clone(), token.clone(), body.clone());
        let when = when.clone();
        let cookie = cookie.clone();
        let filled = filled.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut s = connect(&addr).await?;
            let mut round = round_base;
            while Instant::now() < deadline {
                if fill_to
                    .is_some_and(|n| filled.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= n)
                {
                    break;
                }
                round += 1;
                let doc = capture.map(|n| {
                    if controlled {
                        controlled_document(client, round, n, &when)
                    } else {
                        capture_document(client, round, n, &when)
                    }
                });
                let body = doc.as_deref().or(body.as_deref());
                let path = if querying {
                    query_path(client, round)
                } else {
                    path.clone()
                };
                let form;
                let page_headers: Vec<(&str, &str)>;
                let t = Instant::now();
                let sent = if let Some(c) = &cookie {
                    page_headers = vec![("cookie", c.as_str())];
                    send_with(&mut s, method, &path, &page_headers, None)
                        .await
                        .map(|(st, _, b)| (st, b))
                } else if checking {
                    let q = CHECKS[(client + round as usize) % CHECKS.len()];
                    form = format!(
                        "q={}",
                        q.replace('%', "%25")
                            .replace('+', "%2B")
                            .replace('=', "%3D")
                            .replace('#', "%23")
                            .replace(' ', "+")
                    );
                    page_headers = vec![("content-type", "application/x-www-form-urlencoded")];
                    send_with(&mut s, method, &path, &page_headers, Some(&form))
                        .await
                        .map(|(st, _, b)| (st, b))
                } else {
                    send(&mut s, method, &path, token.as_deref(), body).await
                };
                match sent {
                    Ok((st, _)) if st == want => lat.push(t.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        s = connect(&addr).await?;
                    }
                }
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let started = Instant::now();
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await??;
        lat.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "scenario": a.scenario, "clients": a.clients, "seconds": elapsed,
            "requests": lat.len(), "errors": errors,
            "per_second": lat.len() as f64 / elapsed,
            "events_per_second": capture.map(|n| (lat.len() * n) as f64 / elapsed),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        })
    );
    Ok(())
}
