//! `fentguard serve` and `fentguard audit verify`: wiring the server to a database, a
//! signing key and the process's signals.

use anyhow::{bail, Context, Result};
use ed25519_dalek::SigningKey;
use std::path::Path;
use std::process::ExitCode;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Load the signing key, or create one (readable by the owner only) on first start.
/// `on_file`: the public keys (hex) that signed the permits in the database, with counts.
/// Refuses a key file others may read or write, a missing key when permits exist (a new
/// key would make every earlier permit verify as `invalid_signature`), and a key that
/// signed none of the permits on file; warns when some permits were signed by another.
fn signing_key(path: &Path, on_file: &[(String, i64)]) -> Result<SigningKey> {
    let permits: i64 = on_file.iter().map(|(_, n)| n).sum();
    if path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .with_context(|| format!("reading {}", path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{}: the permit-signing key may be read or written by others (mode {:o}); \
                     make it the owner's only (chmod 600 {}) and start again",
                    path.display(),
                    mode & 0o777,
                    path.display()
                );
            }
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| {
                format!(
                    "{}: expected 64 hex characters (an Ed25519 secret key)",
                    path.display()
                )
            })?;
        let key = SigningKey::from_bytes(&bytes);
        let public = hex::encode(key.verifying_key().to_bytes());
        let own = on_file
            .iter()
            .find(|(k, _)| *k == public)
            .map_or(0, |(_, n)| *n);
        if permits > 0 && own == 0 {
            bail!(
                "{}: this key signed none of the {permits} permits in the database (they were \
                 signed with {}); start with the key that signed them",
                path.display(),
                on_file
                    .iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if own < permits {
            tracing::warn!(
                others = permits - own,
                "some permits on file were signed with another key; they verify as invalid_signature"
            );
        }
        return Ok(key);
    }
    if permits > 0 {
        bail!(
            "{}: the permit-signing key is missing, but {permits} permits in the database were \
             signed with it; restore the key file (a new key would make them all verify as \
             invalid_signature)",
            path.display()
        );
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).context("no system randomness for a new signing key")?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut f, hex::encode(seed).as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new permit-signing key");
    Ok(SigningKey::from_bytes(&seed))
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

pub fn serve(changes: Option<&Path>, db: &str, listen: &str, key: &Path) -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let classifier = crate::catalogue_cmd::classifier(changes)?;
    runtime()?.block_on(async {
        let store = store::Store::connect(db).await.with_context(|| format!("opening {db}"))?;
        let key = signing_key(key, &store.permit_keys().await?)?;
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        tracing::info!(%listen, database = if store.is_postgres() { "postgres" } else { "sqlite" }, "FentGuard serving");
        let state = server::AppState::with_classifier(store, key, classifier)?;
        server::serve(listener, state, shutdown_signal()).await.context("serving")?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn audit_verify(db: &str) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let store = store::Store::connect(db)
            .await
            .with_context(|| format!("opening {db}"))?;
        match store.verify_audit().await? {
            Ok(n) => {
                println!("audit chain valid: {n} entries");
                Ok(ExitCode::SUCCESS)
            }
            Err(b) => bail!("{b}"),
        }
    })
}

pub fn demo_seed(db: &str) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let store = store::Store::connect(db)
            .await
            .with_context(|| format!("opening {db}"))?;
        let now = chrono::Utc::now();
        let mut tokens = server::demo::seed(&store, now)
            .await
            .map_err(|p| anyhow::anyhow!("seeding {db}: {}", p.detail))?;
        tokens.extend(
            server::demo::seed_supply_chain(&store, now)
                .await
                .map_err(|p| anyhow::anyhow!("seeding the supply chain in {db}: {}", p.detail))?,
        );
        store.close().await;
        println!("{}", serde_json::to_string_pretty(&tokens)?);
        Ok(ExitCode::SUCCESS)
    })
}

pub fn admin_init(
    db: &str,
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
        let store = store::Store::connect(db)
            .await
            .with_context(|| format!("opening {db}"))?;
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
        println!("administrator {username} ({id}) created in {org_name}");
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_signing_key_is_never_silently_replaced_nor_loose() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("signing.key");
        // First start: created, the owner's only.
        let key = signing_key(&path, &[]).expect("created");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let public = hex::encode(key.verifying_key().to_bytes());
        // Permits signed with it: it loads; missing, the server refuses to start.
        assert!(signing_key(&path, &[(public.clone(), 3)]).is_ok());
        let other = "ab".repeat(32);
        let err = signing_key(&path, &[(other.clone(), 2)]).expect_err("wrong key");
        assert!(
            err.to_string().contains("signed none of the 2 permits"),
            "{err}"
        );
        std::fs::rename(&path, dir.path().join("moved")).expect("move");
        let err = signing_key(&path, &[(public.clone(), 3)]).expect_err("missing");
        assert!(err.to_string().contains("missing, but 3 permits"), "{err}");
        assert!(!path.exists(), "no new key was made");
        // A key others may read is refused, naming the fix.
        std::fs::rename(dir.path().join("moved"), &path).expect("back");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = signing_key(&path, &[(public, 3)]).expect_err("loose");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
