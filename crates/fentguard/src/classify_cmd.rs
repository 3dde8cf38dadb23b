//! `fentguard classify`.

use anyhow::Result;
use law::{Classification, Jurisdictions};
use serde::Serialize;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// One output line of `classify --format json`.
#[derive(Serialize)]
struct Line<'a> {
    input: &'a str,
    line: usize,
    date: law::NaiveDate,
    name: Option<String>,
    error: Option<String>,
    parent_smiles: Option<String>,
    parent_inchikey: Option<String>,
    verdicts: Vec<law::Verdict>,
    other_listings: Vec<law::classify::OtherListing>,
    notes: Vec<String>,
}

pub fn run(
    changes: Option<&std::path::Path>,
    date: law::NaiveDate,
    which: Jurisdictions,
    json: bool,
    inputs: Vec<String>,
) -> Result<ExitCode> {
    let classifier = crate::catalogue_cmd::classifier(changes)?;
    let lines: Box<dyn Iterator<Item = std::io::Result<String>>> = if inputs.is_empty() {
        Box::new(std::io::stdin().lock().lines())
    } else {
        Box::new(inputs.into_iter().map(Ok))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut any_error = false;
    for (i, line) in lines.enumerate() {
        let text = line?;
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let result = classifier
            .understand(&text)
            .and_then(|q| classifier.classify(&q, which, date));
        any_error |= result.is_err();
        if json {
            let l = match result {
                Ok(c) => Line {
                    input: &text,
                    line: i + 1,
                    date,
                    name: c.name,
                    error: None,
                    parent_smiles: c.parent_smiles,
                    parent_inchikey: c.parent_inchikey,
                    verdicts: c.verdicts,
                    other_listings: c.other_listings,
                    notes: c.notes,
                },
                Err(e) => Line {
                    input: &text,
                    line: i + 1,
                    date,
                    name: None,
                    error: Some(e.to_string()),
                    parent_smiles: None,
                    parent_inchikey: None,
                    verdicts: Vec::new(),
                    other_listings: Vec::new(),
                    notes: Vec::new(),
                },
            };
            serde_json::to_writer(&mut out, &l)?;
            writeln!(out)?;
        } else {
            match result {
                Ok(c) => write_table(&mut out, i + 1, &text, &c)?,
                Err(e) => writeln!(out, "line {}: {}\n  error: {e}\n", i + 1, text.trim())?,
            }
        }
    }
    out.flush()?;
    Ok(if any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_table(
    out: &mut impl Write,
    line: usize,
    input: &str,
    c: &Classification,
) -> std::io::Result<()> {
    writeln!(out, "line {line}: {} (law as on {})", input.trim(), c.date)?;
    if let Some(n) = &c.name {
        writeln!(out, "  name:   {n}")?;
    }
    if let Some(p) = &c.parent_smiles {
        writeln!(out, "  parent: {p}")?;
    }
    if let Some(k) = &c.parent_inchikey {
        writeln!(out, "  InChIKey: {k}")?;
    }
    for n in &c.notes {
        writeln!(out, "  note:   {n}")?;
    }
    for v in &c.verdicts {
        let status = match v.status.as_str() {
            "controlled" => "CONTROLLED",
            "undetermined" => "UNDETERMINED (open text)",
            _ => "not controlled",
        };
        writeln!(out, "  {}: {status}", v.jurisdiction)?;
        if let Some(g) = &v.generic {
            let conds = if g.conditions.is_empty() {
                String::new()
            } else {
                format!(" (conditions {})", g.conditions.join(", "))
            };
            writeln!(out, "    {} {}{conds}", g.definition, g.result)?;
            for r in &g.reasons {
                writeln!(out, "      - {r}")?;
            }
            for f in &g.flags {
                writeln!(out, "      flag: {f}")?;
            }
        }
        for l in &v.listings {
            writeln!(out, "    listed: {}", listing_line(l))?;
        }
    }
    for o in &c.other_listings {
        writeln!(
            out,
            "  {}: listed: {}",
            o.jurisdiction,
            listing_line(&o.listing)
        )?;
    }
    writeln!(out)
}

/// One listing for people: entry, list, category, dates and caveats.
fn listing_line(l: &law::classify::ListingOut) -> String {
    let since = match l.effective_from {
        Some(d) => format!(", in force from {d}"),
        None => ", start date unknown".to_string(),
    };
    let until = l
        .effective_until
        .map(|d| format!(" until {d}"))
        .unwrap_or_default();
    let dest = if l.destinations.is_empty() {
        String::new()
    } else {
        format!(", exports to {}", l.destinations.join("/"))
    };
    let unc = if l.unconfirmed { " [unconfirmed]" } else { "" };
    let inc = if l.list_incomplete {
        " [list incomplete]"
    } else {
        ""
    };
    format!(
        "{} on {} ({}{since}{until}{dest}){unc}{inc}",
        l.entry, l.list, l.category
    )
}
