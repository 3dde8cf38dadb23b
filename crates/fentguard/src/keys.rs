//! The authority's key file: the current Ed25519 secret (signs permits and checkpoints;
//! the audit seal key is derived from it) and the earlier ones, kept after a rotation so
//! that permits, checkpoints and seals they made still verify. One hex key per line, the
//! current key first; `#` starts a comment. The file is the owner's only.
//!
//! Why a file and not the database: someone who can write the database must not hold the
//! key that seals the audit trail (see `control::audit::seal`).

use anyhow::{bail, Context, Result};
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::path::Path;

/// The authority's keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyring {
    /// Signs and seals from now on.
    pub current: SigningKey,
    /// Rotated out, newest first: still trusted for what they signed and sealed.
    pub earlier: Vec<SigningKey>,
}

impl Keyring {
    /// Every key, current first.
    fn all(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(&self.earlier)
    }

    /// Every public key, current first.
    pub fn all_public(&self) -> Vec<VerifyingKey> {
        self.all().map(SigningKey::verifying_key).collect()
    }

    /// The earlier public keys.
    pub fn earlier_public(&self) -> Vec<VerifyingKey> {
        self.earlier.iter().map(SigningKey::verifying_key).collect()
    }

    fn seal_of(k: &SigningKey) -> control::AuditSeal {
        control::AuditSeal::derive(&k.to_bytes())
    }

    /// The file's text.
    fn text(&self, rotated_at: Option<&str>) -> String {
        let mut t = format!("{}\n", hex::encode(self.current.to_bytes()));
        if let Some(at) = rotated_at {
            t.push_str(&format!(
                "# earlier keys below; the last rotation was on {at}\n"
            ));
        }
        for k in &self.earlier {
            t.push_str(&hex::encode(k.to_bytes()));
            t.push('\n');
        }
        t
    }
}

/// What a command opens the database for: which checks of the key it needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Serving or writing: the key must be the one that signed the permits and sealed
    /// the trail; created on a new database.
    Write,
    /// Sealing entries written before sealing existed (allowed only here).
    Seal,
    /// Verifying: the key must exist; whatever it finds is reported, not refused.
    Verify,
}

/// Refuses a secret file (`what`) others may read or write.
pub fn owner_only(path: &Path, what: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "{}: {what} may be read or written by others (mode {:o}); \
                 make it the owner's only (chmod 600 {}) and start again",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
    Ok(())
}

/// The keys in `path`, if the file exists. Refuses a file others may read or write,
/// and names the line of anything that is not a key.
pub fn read_keys(path: &Path) -> Result<Option<Keyring>> {
    if !path.exists() {
        return Ok(None);
    }
    owner_only(path, "the authority's key")?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let bytes: [u8; 32] = hex::decode(line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| {
                format!(
                    "{} line {}: expected 64 hex characters (an Ed25519 secret key)",
                    path.display(),
                    n + 1
                )
            })?;
        keys.push(SigningKey::from_bytes(&bytes));
    }
    let mut keys = keys.into_iter();
    let Some(current) = keys.next() else {
        bail!("{}: holds no key", path.display());
    };
    Ok(Some(Keyring {
        current,
        earlier: keys.collect(),
    }))
}

/// What the database says about the authority's keys: the public keys (hex) that signed
/// its permits and the audit key ids that sealed its entries (`None`: unsealed), with
/// counts.
pub struct OnFile {
    /// Permits by signing key.
    pub permits: Vec<(String, i64)>,
    /// Audit entries by seal key id.
    pub seals: Vec<(Option<String>, i64)>,
}

/// Check the keys against the database. `new`: the key file did not exist (a key was
/// just generated). Refuses a new key when permits or sealed entries exist (every
/// earlier permit would verify as `invalid_signature` and every seal fail), keys that
/// signed none of the permits or sealed none of the entries on file, and (unless
/// sealing) entries not yet sealed; warns when some permits were signed by other keys.
pub fn check_keys(
    path: &Path,
    keys: &Keyring,
    new: bool,
    on_file: &OnFile,
    purpose: Purpose,
) -> Result<()> {
    let count = |v: &[(Option<String>, i64)], sealed: bool| -> i64 {
        v.iter()
            .filter(|(k, _)| k.is_some() == sealed)
            .map(|(_, n)| n)
            .sum()
    };
    let permits: i64 = on_file.permits.iter().map(|(_, n)| n).sum();
    let sealed = count(&on_file.seals, true);
    let unsealed = count(&on_file.seals, false);
    if new && (permits > 0 || sealed > 0) {
        bail!(
            "{}: the authority's key is missing, but the database holds {permits} permits \
             signed and {sealed} audit entries sealed with it; restore the key file (a new key \
             would make every permit verify as invalid_signature and every seal fail)",
            path.display()
        );
    }
    let publics: Vec<String> = keys
        .all()
        .map(|k| hex::encode(k.verifying_key().to_bytes()))
        .collect();
    let own: i64 = on_file
        .permits
        .iter()
        .filter(|(k, _)| publics.contains(k))
        .map(|(_, n)| n)
        .sum();
    if permits > 0 && own == 0 {
        bail!(
            "{}: these keys signed none of the {permits} permits in the database (they were \
             signed with {}); start with the key file that signed them",
            path.display(),
            on_file
                .permits
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let seal_ids: Vec<String> = keys
        .all()
        .map(|k| Keyring::seal_of(k).id().to_string())
        .collect();
    let own_seals: i64 = on_file
        .seals
        .iter()
        .filter(|(k, _)| k.as_ref().is_some_and(|k| seal_ids.contains(k)))
        .map(|(_, n)| n)
        .sum();
    if sealed > 0 && own_seals == 0 {
        bail!(
            "{}: these keys sealed none of the {sealed} audit entries in the database; start \
             with the key file that sealed them",
            path.display()
        );
    }
    if unsealed > 0 && purpose == Purpose::Write {
        bail!(
            "the database holds {unsealed} audit entries written before entries were sealed; \
             check and seal them once with `fentguard audit seal` (same --db and --key), \
             then start again"
        );
    }
    if own < permits {
        tracing::warn!(
            others = permits - own,
            "some permits on file were signed with a key not in the key file; they verify as invalid_signature"
        );
    }
    Ok(())
}

/// Write the key file, readable and writable by the owner only, replacing it atomically
/// (a crash leaves the old file or the new one, never half of one).
fn write_keys(path: &Path, keys: &Keyring, rotated_at: Option<&str>) -> Result<()> {
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    std::io::Write::write_all(&mut f, keys.text(rotated_at).as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // the rename itself survives a crash only once the directory is on disk
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn fresh_key() -> Result<SigningKey> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).context("no system randomness for a new key")?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Open the database with the authority's keys: the current key seals every audit entry
/// this process writes, so keys and database are checked against each other before
/// anything is written. The store also accepts earlier keys' seals when verifying.
pub async fn open(db: &str, path: &Path, purpose: Purpose) -> Result<(store::Store, Keyring)> {
    let existing = read_keys(path)?;
    if existing.is_none() && purpose != Purpose::Write {
        bail!(
            "{}: the authority's key is needed (it checks the audit seals and signs \
             checkpoints); give it with --key",
            path.display()
        );
    }
    let new = existing.is_none();
    let keys = match existing {
        Some(k) => k,
        None => Keyring {
            current: fresh_key()?,
            earlier: Vec::new(),
        },
    };
    let store = store::Store::connect(db, Keyring::seal_of(&keys.current))
        .await
        .with_context(|| format!("opening {db}"))?
        .with_earlier_seals(keys.earlier.iter().map(Keyring::seal_of).collect());
    if purpose != Purpose::Verify {
        let on_file = OnFile {
            permits: store.permit_keys().await?,
            seals: store.audit_keys().await?,
        };
        check_keys(path, &keys, new, &on_file, purpose)?;
    }
    if new {
        write_keys(path, &keys, None)?;
        tracing::info!(path = %path.display(), "created a new authority key (signs permits and checkpoints, seals the audit trail)");
    }
    Ok((store, keys))
}

/// Rotate the authority's key: a new current key, the old ones kept as earlier keys
/// (what they signed and sealed still verifies); audited, sealed with the new key.
/// Returns the new public key (hex).
pub async fn rotate(db: &str, path: &Path, actor: &str) -> Result<String> {
    let (store, old) = open(db, path, Purpose::Write).await?;
    store.close().await;
    let now = chrono::Utc::now();
    let mut earlier = vec![old.current.clone()];
    earlier.extend(old.earlier.iter().cloned());
    let keys = Keyring {
        current: fresh_key()?,
        earlier,
    };
    write_keys(path, &keys, Some(&now.date_naive().to_string()))?;
    let store = store::Store::connect(db, Keyring::seal_of(&keys.current))
        .await
        .with_context(|| format!("opening {db}"))?;
    let public = |k: &SigningKey| hex::encode(k.verifying_key().to_bytes());
    store
        .append_audit(
            now,
            actor,
            "authority_key.rotate",
            "authority-key",
            serde_json::json!({"key": public(&old.current), "seal_key_id": Keyring::seal_of(&old.current).id()}),
            serde_json::json!({"key": public(&keys.current), "seal_key_id": Keyring::seal_of(&keys.current).id()}),
        )
        .await?;
    store.close().await;
    Ok(public(&keys.current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_authority_key_is_never_silently_replaced_nor_loose() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("signing.key");
        let none = OnFile {
            permits: vec![],
            seals: vec![],
        };
        let ring = |k: &SigningKey| Keyring {
            current: k.clone(),
            earlier: vec![],
        };
        // First start: created, the owner's only.
        assert!(read_keys(&path).expect("absent").is_none());
        let key = SigningKey::from_bytes(&[7; 32]);
        check_keys(&path, &ring(&key), true, &none, Purpose::Write).expect("new database");
        write_keys(&path, &ring(&key), None).expect("written");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_keys(&path).expect("read"), Some(ring(&key)));
        let public = hex::encode(key.verifying_key().to_bytes());
        let seal = Keyring::seal_of(&key).id().to_string();
        let ours = OnFile {
            permits: vec![(public.clone(), 3)],
            seals: vec![(Some(seal.clone()), 10)],
        };
        // Permits signed and entries sealed with it: it loads.
        check_keys(&path, &ring(&key), false, &ours, Purpose::Write).expect("its own");
        // Another key: refused, for permits and for seals...
        let other = SigningKey::from_bytes(&[8; 32]);
        let err =
            check_keys(&path, &ring(&other), false, &ours, Purpose::Write).expect_err("permits");
        assert!(
            err.to_string().contains("signed none of the 3 permits"),
            "{err}"
        );
        let sealed_only = OnFile {
            permits: vec![],
            seals: vec![(Some(seal), 10)],
        };
        let err = check_keys(&path, &ring(&other), false, &sealed_only, Purpose::Write)
            .expect_err("seals");
        assert!(
            err.to_string()
                .contains("sealed none of the 10 audit entries"),
            "{err}"
        );
        // ...but accepted once the old key is kept as an earlier key (a rotation).
        let rotated = Keyring {
            current: other.clone(),
            earlier: vec![key.clone()],
        };
        check_keys(&path, &rotated, false, &ours, Purpose::Write).expect("rotated");
        // Missing while permits or seals exist: refused (no new key replaces it).
        let err =
            check_keys(&path, &ring(&other), true, &sealed_only, Purpose::Write).expect_err("new");
        assert!(err.to_string().contains("key is missing"), "{err}");
        // Unsealed entries: only `audit seal` may open the database.
        let legacy = OnFile {
            permits: vec![],
            seals: vec![(None, 4)],
        };
        let err =
            check_keys(&path, &ring(&key), false, &legacy, Purpose::Write).expect_err("unsealed");
        assert!(err.to_string().contains("fentguard audit seal"), "{err}");
        check_keys(&path, &ring(&key), false, &legacy, Purpose::Seal).expect("sealing");
        // The rotated file reads back, comment and all; a bad line is named.
        std::fs::remove_file(&path).expect("rm");
        write_keys(&path, &rotated, Some("2026-12-02")).expect("rotated file");
        assert_eq!(read_keys(&path).expect("read"), Some(rotated));
        // A key others may read is refused, naming the fix.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = read_keys(&path).expect_err("loose");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&path, "zz\n").expect("bad");
        let err = read_keys(&path).expect_err("bad line");
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
