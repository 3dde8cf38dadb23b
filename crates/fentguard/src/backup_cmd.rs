//! `fentguard admin backup` and `admin restore` (issue 11 item 12): a copy of the
//! database taken while the server runs, and a restore that is put to use only once
//! `audit verify` accepts it.
//!
//! SQLite is copied by the store (`VACUUM INTO`); PostgreSQL by its own tools, `pg_dump`
//! and `pg_restore`, which must be on the PATH (Debian: postgresql-client). The
//! authority's key file is never in a backup, since the database must not hold it: keep a
//! copy of it apart, or the restored trail's seals cannot be checked.

use crate::keys::{open, Purpose};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The file of a `sqlite://` URL.
fn sqlite_file(db: &str) -> Result<PathBuf> {
    let file = store::sqlite_file(db)
        .with_context(|| format!("{db}: use sqlite://FILE or postgres://..."))?;
    if file.is_empty() || file.starts_with(':') {
        bail!("{db}: an in-memory database has nothing to back up or restore into");
    }
    Ok(PathBuf::from(file))
}

/// Run a PostgreSQL tool, naming it when it is missing or fails.
fn run_tool(tool: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(tool).args(args).output().with_context(|| {
        format!("running {tool} (install PostgreSQL's client tools, e.g. postgresql-client)")
    })?;
    if !out.status.success() {
        bail!(
            "{tool} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

pub fn backup(db: &str, key: &Path, to: &Path) -> Result<ExitCode> {
    if to.exists() {
        bail!(
            "{}: exists already; a backup never overwrites",
            to.display()
        );
    }
    let target = to.to_str().context("the backup path is not UTF-8")?;
    if store::is_postgres_url(db) {
        run_tool(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                target,
                "--dbname",
                db,
            ],
        )?;
        say!(
            "backed up {} to {target} (pg_dump custom format); restore it with \
             `fentguard admin restore --from {target}` into an empty database",
            redact(db)
        );
    } else {
        let rt = crate::serve_cmd::runtime()?;
        rt.block_on(async {
            let (store, _) = open(db, key, Purpose::Verify).await?;
            let res = store.backup_into(to).await;
            store.close().await;
            res.with_context(|| format!("backing up {db} to {target}"))
        })?;
        say!("backed up {db} to {target}; checking the copy:");
        // A copy that does not verify is no backup: said now, not on the day of restore.
        let code = crate::serve_cmd::audit_verify(&format!("sqlite://{target}"), key, &[])?;
        if code != ExitCode::SUCCESS {
            say!("the copy does NOT verify; keep the database and look into it");
            return Ok(code);
        }
    }
    say!(
        "the authority's key ({}) is not in the backup: keep a copy of it apart",
        key.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restore(from: &Path, db: &str, key: &Path) -> Result<ExitCode> {
    let source = from.to_str().context("the backup path is not UTF-8")?;
    if !from.is_file() {
        bail!("{source}: no such backup file");
    }
    if store::is_postgres_url(db) {
        let empty = crate::serve_cmd::runtime()?
            .block_on(store::postgres_is_empty(db))
            .with_context(|| format!("opening {}", redact(db)))?;
        if !empty {
            bail!(
                "{}: the database holds tables; restore only into a new, empty database",
                redact(db)
            );
        }
        run_tool(
            "pg_restore",
            &[
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                db,
                source,
            ],
        )?;
        say!("restored {source} into {}; checking it:", redact(db));
        let code = crate::serve_cmd::audit_verify(db, key, &[])?;
        if code != ExitCode::SUCCESS {
            say!("the restored database does NOT verify; do not serve from it");
        }
        return Ok(code);
    }
    let target = sqlite_file(db)?;
    for f in [target.clone(), with_suffix(&target, "-wal")] {
        if f.exists() {
            bail!(
                "{}: exists already; restore only into a new file",
                f.display()
            );
        }
    }
    copy_private(from, &target)?;
    say!("restored {source} to {}; checking it:", target.display());
    let code = crate::serve_cmd::audit_verify(db, key, &[])?;
    if code != ExitCode::SUCCESS {
        // Nothing unverified is left where `serve` would open it.
        let aside = with_suffix(&target, ".unverified");
        std::fs::rename(&target, &aside)
            .with_context(|| format!("moving {} aside", target.display()))?;
        say!(
            "the restored copy does NOT verify; it was moved to {}",
            aside.display()
        );
    }
    Ok(code)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Copy `from` to the new file `to`, the owner's only, on disk before it is used.
fn copy_private(from: &Path, to: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut out = opts
        .open(to)
        .with_context(|| format!("creating {}", to.display()))?;
    let mut src =
        std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    std::io::copy(&mut src, &mut out)
        .and_then(|_| out.sync_all())
        .with_context(|| format!("writing {}", to.display()))?;
    Ok(())
}

/// A database URL without its password, for messages.
fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &db[scheme + 3..at];
            let user = user.split(':').next().unwrap_or(user);
            format!("{}{user}@{}", &db[..scheme + 3], &db[at + 1..])
        }
        _ => db.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://fg:s3cret@db:5432/fg"),
            "postgres://fg@db:5432/fg"
        );
        assert_eq!(redact("postgres://db/fg"), "postgres://db/fg");
        assert!(sqlite_file("sqlite://:memory:").is_err());
        assert_eq!(
            sqlite_file("sqlite:///var/lib/fg.db?mode=rwc").expect("file"),
            PathBuf::from("/var/lib/fg.db")
        );
    }
}
