//! `fentguard export-check`.

use anyhow::Result;
use law::{ExportAnswer, ExportChecker, ExportDecision};
use std::io::Write;
use std::process::ExitCode;

pub struct ExportArgs {
    pub changes: Option<std::path::PathBuf>,
    pub substance: String,
    pub destination: String,
    pub quantity: Option<String>,
    pub date: law::NaiveDate,
    pub mixture: Option<String>,
    pub from: String,
    pub json: bool,
}

pub fn run(a: ExportArgs) -> Result<ExitCode> {
    let classifier = crate::catalogue_cmd::classifier(a.changes.as_deref())?;
    let checker = ExportChecker::builtin()?;
    let answer = checker.check(
        &classifier,
        &a.substance,
        &a.destination,
        a.quantity.as_deref(),
        a.date,
        a.mixture.as_deref(),
        &a.from,
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json {
        serde_json::to_writer(&mut out, &answer)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &answer)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_table(out: &mut impl Write, a: &ExportAnswer) -> std::io::Result<()> {
    let what = a
        .substance
        .as_deref()
        .or(a.parent_smiles.as_deref())
        .unwrap_or("?");
    writeln!(
        out,
        "{what}: export from {} to {} on {}",
        a.from, a.destination, a.date
    )?;
    let decision = match a.decision {
        ExportDecision::LicenceRequired => "LICENCE REQUIRED",
        ExportDecision::Prohibited => "PROHIBITED",
        ExportDecision::Undetermined => {
            "UNDETERMINED (cannot be judged: not 'no licence required')"
        }
        ExportDecision::NoLicenceRequired => "no licence required",
    };
    writeln!(out, "  decision: {decision}")?;
    if let Some(q) = &a.quantity {
        writeln!(
            out,
            "  quantity: {} = {:.6} kg declared, {:.6} kg of the substance as base (factor {:.4})",
            q.declared, q.declared_kg, q.base_equivalent_kg, q.factor
        )?;
    }
    for r in &a.reasons {
        writeln!(out, "  - {r}")?;
    }
    for g in &a.regimes {
        writeln!(out, "  regime {} ({})", g.id, g.decision)?;
        writeln!(out, "    authority: {}", g.authority)?;
        writeln!(out, "    basis:     {}", g.basis)?;
        match g.review_days {
            Some(d) => writeln!(out, "    review:    {d} days")?,
            None => writeln!(out, "    review:    statutory time not on file")?,
        }
        if let Some(v) = &g.verification {
            writeln!(out, "    verification: {v}")?;
        }
        for d in &g.documents {
            writeln!(out, "    document:  {d}")?;
        }
    }
    for w in &a.warnings {
        writeln!(out, "  warning: {w}")?;
    }
    Ok(())
}
