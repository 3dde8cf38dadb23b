//! `fentguard serve`, `audit`, `demo seed` and `admin init`: wiring the server to a
//! database, the authority's key (which signs permits and checkpoints and seals the audit
//! trail) and the process's signals.

use crate::keys::{open, Purpose};
use anyhow::{bail, Context, Result};
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Where and how often `serve` publishes signed checkpoints of the audit head.
pub struct Publish {
    /// File of checkpoints (JSON Lines, appended); `None`: not published.
    pub file: Option<std::path::PathBuf>,
    /// Seconds between checks of the head.
    pub every_s: u64,
}

/// How `serve` writes its log.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per record.
    Text,
    /// One JSON object per line, its fields as keys.
    Json,
}

/// Where and how `serve` is reached.
pub struct Listen {
    /// Address and port.
    pub address: String,
    /// Certificate chain and private key files, for HTTPS of the server's own.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Reverse proxies whose forwarding headers are believed.
    pub trust_proxy: Vec<String>,
    /// The address people reach the server at (printed permits' QR codes).
    pub public_url: Option<String>,
    /// The font permits are printed in (file, face), else a well-known one.
    pub print_font: Option<(PathBuf, u32)>,
}

impl Listen {
    /// How the portal prints: the public address (given, else the listener's own) and
    /// the font.
    fn printing(&self, tls: bool) -> Result<server::Printing> {
        let url = match &self.public_url {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => u.clone(),
            Some(u) => anyhow::bail!("--public-url {u:?} must start with https:// or http://"),
            None => format!("{}://{}", if tls { "https" } else { "http" }, self.address),
        };
        Ok(server::Printing::new(&url, self.print_font.clone()))
    }

    /// The server's own TLS, when asked for: the key file checked, both files read.
    async fn tls(&self) -> Result<Option<server::TlsConfig>> {
        let Some((cert, key)) = &self.tls else {
            return Ok(None);
        };
        crate::keys::owner_only(key, "the TLS private key")?;
        let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
        let config = server::tls_config(read(cert)?, read(key)?)
            .await
            .with_context(|| format!("{} and {}", cert.display(), key.display()))?;
        Ok(Some(config))
    }
}

pub fn serve(
    changes: Option<&Path>,
    db: &str,
    listen: &Listen,
    key: &Path,
    publish: Publish,
    log: LogFormat,
) -> Result<ExitCode> {
    let logger = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr);
    match log {
        LogFormat::Text => logger.init(),
        LogFormat::Json => logger.json().flatten_event(true).init(),
    }
    let classifier = crate::catalogue_cmd::classifier(changes)?;
    let trusted_proxies =
        server::edge::Edge::parse_proxies(&listen.trust_proxy).map_err(anyhow::Error::msg)?;
    runtime()?.block_on(async {
        let tls = listen.tls().await?;
        let edge = server::edge::Edge {
            tls: tls.is_some(),
            trusted_proxies,
        };
        let (store, keys) = open(db, key, Purpose::Write).await?;
        let key = keys.current.clone();
        let address = &listen.address;
        let listener = tokio::net::TcpListener::bind(address).await.with_context(|| format!("listening on {address}"))?;
        tracing::info!(
            listen = %address,
            scheme = if tls.is_some() { "https" } else { "http" },
            trusted_proxies = edge.trusted_proxies.len(),
            database = if store.is_postgres() { "postgres" } else { "sqlite" },
            "FentGuard serving"
        );
        let publisher = publish.file.map(|file| (store.clone(), key.clone(), file));
        if let Some((store, key, file)) = &publisher {
            // The head at start is published at once: a chain cut while the server was
            // down no longer holds the head published before.
            publish_once(store, key, file, &mut 0).await?;
            tokio::spawn(publish_checkpoints(store.clone(), key.clone(), file.clone(), publish.every_s));
        }
        let state = server::AppState::with_classifier(store, key, classifier)?
            .with_earlier_keys(keys.earlier_public())
            .with_edge(edge)
            .with_printing(listen.printing(tls.is_some())?);
        // Applications filed before the lists' columns existed are listed once, now.
        match cases::applications::list_unlisted(&state.services).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(applications = n, "listed applications filed before the worklist existed"),
            Err(e) => anyhow::bail!("listing earlier applications: {e}"),
        }
        // Read the font now, so that a server that cannot print says so at start (and
        // the first permit printed does not wait for 20 MB).
        let printing = state.printing.clone();
        tokio::task::spawn_blocking(move || match printing.fonts() {
            Ok(_) => tracing::info!(verify_page = printing.verify_page(), "permits can be printed"),
            Err(why) => tracing::warn!(%why, "permits cannot be printed"),
        });
        let stop = async move {
            shutdown_signal().await;
            // ...and the head when told to stop (requests still in flight are covered by
            // the checkpoint of the next start).
            if let Some((store, key, file)) = &publisher {
                if let Err(e) = publish_once(store, key, file, &mut 0).await {
                    tracing::error!(file = %file.display(), "publishing an audit checkpoint: {e:#}");
                }
            }
        };
        server::serve_with(listener, state, stop, tls).await.context("serving")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Append a signed checkpoint of the head to `file` when the head moved past `last`.
async fn publish_once(
    store: &store::Store,
    key: &SigningKey,
    file: &Path,
    last: &mut u64,
) -> Result<()> {
    let Some(head) = store.audit_head().await? else {
        return Ok(());
    };
    if head.seq <= *last {
        return Ok(());
    }
    let signed = control::Checkpoint::of(&head, chrono::Utc::now()).sign(key);
    let mut line = serde_json::to_string(&signed)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .with_context(|| format!("opening {}", file.display()))?;
    // One write of one line: appends from several processes never interleave.
    std::io::Write::write_all(&mut f, line.as_bytes())
        .and_then(|()| f.sync_data())
        .with_context(|| format!("writing {}", file.display()))?;
    *last = head.seq;
    Ok(())
}

async fn publish_checkpoints(store: store::Store, key: SigningKey, file: PathBuf, every_s: u64) {
    let mut last = 0;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_s.max(1)));
    loop {
        tick.tick().await;
        if let Err(e) = publish_once(&store, &key, &file, &mut last).await {
            tracing::error!(file = %file.display(), "publishing an audit checkpoint: {e:#}");
        }
    }
}

/// Read published checkpoints: a JSON object, a JSON array, or JSON Lines.
fn read_checkpoints(path: &Path) -> Result<Vec<control::SignedCheckpoint>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let t = text.trim_start();
    if t.starts_with('[') {
        return serde_json::from_str(t)
            .with_context(|| format!("{}: not a list of signed checkpoints", path.display()));
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(line).with_context(|| {
            format!("{} line {}: not a signed checkpoint", path.display(), n + 1)
        })?);
    }
    Ok(out)
}

pub fn audit_verify(db: &str, key: &Path, checkpoint_files: &[PathBuf]) -> Result<ExitCode> {
    let mut checkpoints = Vec::new();
    for f in checkpoint_files {
        checkpoints.extend(read_checkpoints(f)?);
    }
    runtime()?.block_on(async {
        let (store, keys) = open(db, key, Purpose::Verify).await?;
        let r = store
            .audit_report(
                store.seals(),
                &checkpoints,
                &keys.all_public(),
                chrono::Utc::now(),
            )
            .await?;
        store.close().await;
        match &r.chain {
            Ok(()) => say!(
                "audit chain valid: {} entries, every one sealed{}",
                r.entries,
                r.head
                    .as_ref()
                    .map(|h| format!("; head entry {} {}", h.seq, &h.hash[..16.min(h.hash.len())]))
                    .unwrap_or_default()
            ),
            Err(b) => say!("audit chain BROKEN: {b}"),
        }
        match &r.checkpoints {
            Ok(0) => say!(
                "checkpoints: none given (give published heads with --checkpoints to catch a \
                 chain cut short)"
            ),
            Ok(n) => say!("checkpoints: {n} published heads found in the chain"),
            Err(e) => say!("checkpoints FAIL: {e}"),
        }
        if r.disagreements.is_empty() {
            say!("records: every record agrees with the audit trail");
        } else {
            say!(
                "records DISAGREE with the audit trail: {}",
                r.disagreements.len()
            );
            for d in &r.disagreements {
                say!("  {d}");
            }
        }
        Ok(if r.intact() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

pub fn audit_checkpoint(db: &str, key: &Path) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let (store, keys) = open(db, key, Purpose::Verify).await?;
        let key = keys.current;
        let head = store.audit_head().await?;
        store.close().await;
        let Some(head) = head else {
            bail!("the audit trail of {db} is empty: nothing to checkpoint");
        };
        let signed = control::Checkpoint::of(&head, chrono::Utc::now()).sign(&key);
        say!("{}", serde_json::to_string(&signed)?);
        Ok(ExitCode::SUCCESS)
    })
}

pub fn audit_seal(db: &str, key: &Path) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let (store, _) = open(db, key, Purpose::Seal).await?;
        let n = store
            .seal_unsealed("audit-seal", chrono::Utc::now())
            .await
            .with_context(|| format!("sealing the audit trail of {db}"))?;
        store.close().await;
        if n == 0 {
            say!("every audit entry was sealed already");
        } else {
            say!("sealed {n} audit entries written before sealing (audited)");
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn rotate_key(db: &str, key: &Path) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let public = crate::keys::rotate(db, key, "admin-rotate-key").await?;
        say!(
            "{}: new authority key {public} (earlier keys kept in the file); restart serve",
            key.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

pub fn demo_seed(db: &str, key: &Path) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let (store, _) = open(db, key, Purpose::Write).await?;
        let now = chrono::Utc::now();
        let mut users = server::demo::seed_users(&store, now)
            .await
            .map_err(|p| anyhow::anyhow!("seeding {db}: {}", p.detail))?;
        users.extend(
            server::demo::seed_supply_chain_users(&store, now)
                .await
                .map_err(|p| anyhow::anyhow!("seeding the supply chain in {db}: {}", p.detail))?,
        );
        store.close().await;
        // The tokens on standard output, as scripts read them; how to sign in on
        // standard error, for the person who ran it.
        say!(
            "{}",
            serde_json::to_string_pretty(&server::demo::tokens(&users))?
        );
        eprintln!("Sign in at http://localhost:8080/sign-in as (passwords shown once):");
        let width = users.values().map(|u| u.username.len()).max().unwrap_or(0);
        for u in users.values() {
            eprintln!("  {:width$}  {}", u.username, u.password);
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn admin_init(
    db: &str,
    key: &Path,
    org_id: &str,
    org_name: &str,
    country: &str,
    username: &str,
) -> Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    runtime()?.block_on(async {
        let (store, _) = open(db, key, Purpose::Write).await?;
        if store.has_administrator().await? {
            bail!("{db} already has an administrator; create further users over the API");
        }
        let org = control::Organisation {
            id: org_id.to_string(),
            name: org_name.to_string(),
            country: country.to_string(),
            address: String::new(),
            kind: control::OrgKind::Authority {
                authority: control::AuthorityKind::Commerce,
                level: Some(control::Level::National),
            },
        };
        let now = chrono::Utc::now();
        let fail = |p: server::Problem| anyhow::anyhow!("{}", p.detail);
        let mut tx = store.write().await?;
        if store.organisation(org_id).await?.is_none() {
            server::admin::add_organisation(&mut tx, &org, "admin-init", now)
                .await
                .map_err(fail)?;
        }
        let id = server::admin::add_user(
            &mut tx,
            &org,
            username,
            password,
            control::Role::Administrator,
            "admin-init",
            now,
        )
        .await
        .map_err(fail)?;
        tx.commit().await?;
        store.close().await;
        say!("administrator {username} ({id}) created in {org_name}");
        Ok(ExitCode::SUCCESS)
    })
}
