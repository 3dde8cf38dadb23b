//! `fentguard catalogue ...` and loading the catalogue with a changes file.

use anyhow::{Context, Result};
use law::Classifier;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The size limits of structures, set once from the command line.
static LIMITS: std::sync::OnceLock<chem::Limits> = std::sync::OnceLock::new();

/// Set the size limits every classifier of this process reads structures within.
pub fn set_limits(limits: chem::Limits) {
    let _ = LIMITS.set(limits);
}

/// The built-in classifier, with the changes file applied when one is given.
pub fn classifier(changes: Option<&Path>) -> Result<Classifier> {
    let mut c = Classifier::builtin()?;
    c.set_limits(LIMITS.get().copied().unwrap_or_default());
    if let Some(p) = changes {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        c.apply_changes_csv(&text)
            .with_context(|| format!("{}", p.display()))?;
    }
    Ok(c)
}

pub fn diff(
    changes: Option<&Path>,
    from: law::NaiveDate,
    to: law::NaiveDate,
    json: bool,
) -> Result<ExitCode> {
    anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    let c = classifier(changes)?;
    let cat = c.catalogue();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let diffs = cat.diff(from, to);
    for d in &diffs {
        if json {
            serde_json::to_writer(&mut out, d)?;
            writeln!(out)?;
        } else {
            let list = cat
                .list(&d.list_id)
                .map_or(d.list_id.as_str(), |l| l.name.as_str());
            let prev = d
                .previous_category
                .as_ref()
                .map(|p| format!(" (was {p})"))
                .unwrap_or_default();
            let unc = if d.unconfirmed { " [unconfirmed]" } else { "" };
            writeln!(
                out,
                "{} {:<9} {} on {}: {}{prev}{unc}",
                d.date, d.kind, d.substance, list, d.category
            )?;
        }
    }
    // Generic definitions entering into force in the window.
    for def in c.definitions() {
        if let Ok(start) = law::NaiveDate::parse_from_str(&def.in_force_from, "%Y-%m-%d") {
            if start > from && start <= to {
                if json {
                    let v = serde_json::json!({"date": start, "kind": "definition_in_force", "definition": def.id, "jurisdiction": def.jurisdiction, "source": def.instrument});
                    serde_json::to_writer(&mut out, &v)?;
                    writeln!(out)?;
                } else {
                    writeln!(
                        out,
                        "{start} in force  generic definition {} ({}): {}",
                        def.id, def.jurisdiction, def.title
                    )?;
                }
            }
        }
    }
    if !json && diffs.is_empty() {
        writeln!(out, "no catalogue changes after {from} up to {to}")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn check(file: &Path) -> Result<ExitCode> {
    classifier(Some(file))?;
    say!("{}: all changes valid", file.display());
    Ok(ExitCode::SUCCESS)
}
