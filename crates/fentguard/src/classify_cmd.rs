//! `fentguard classify`.

use anyhow::{Context, Result};
use law::{Classification, Jurisdictions, Status};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// One output line of `classify --format json`: the classification, or the error with
/// the closest names on file.
#[derive(Serialize)]
struct Line<'a> {
    input: &'a str,
    line: usize,
    /// The date asked about, when no classification (which carries it) follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<law::NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    did_you_mean: &'a [String],
    #[serde(flatten)]
    classification: Option<&'a Classification>,
}

/// The texts to classify: each argument (a `.mol`/`.sdf` file's records, when the
/// argument names one), or standard input line by line.
/// Each item: the text, or why that line cannot be read (not UTF-8: reported, skipped);
/// a read error of the input itself ends it.
type Inputs = Box<dyn Iterator<Item = std::io::Result<Result<String, String>>>>;

fn inputs(args: Vec<String>) -> Result<Inputs> {
    if args.is_empty() {
        return Ok(Box::new(crate::records::text_lines(
            std::io::stdin().lock(),
        )));
    }
    let mut out = Vec::new();
    for a in args {
        let path = std::path::Path::new(&a);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if matches!(ext.as_deref(), Some("mol" | "sdf" | "sd" | "mdl")) && path.is_file() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            out.extend(
                text.split("$$$$")
                    .filter(|r| r.contains("M  END"))
                    // the line end after `$$$$`, not the (possibly empty) title line
                    .map(|r| {
                        let r = r
                            .strip_prefix("\r\n")
                            .or_else(|| r.strip_prefix('\n'))
                            .unwrap_or(r);
                        Ok(Ok(r.to_string()))
                    }),
            );
        } else {
            out.push(Ok(Ok(a)));
        }
    }
    Ok(Box::new(out.into_iter()))
}

pub fn run(
    changes: Option<&std::path::Path>,
    date: law::NaiveDate,
    which: Jurisdictions,
    json: bool,
    args: Vec<String>,
) -> Result<ExitCode> {
    let classifier = crate::catalogue_cmd::classifier(changes)?;
    let lines = inputs(args)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut any_error = false;
    for (i, line) in lines.enumerate() {
        let text = match line.context("reading standard input")? {
            Ok(t) => t,
            Err(why) => {
                any_error = true;
                if json {
                    let l = Line {
                        input: "",
                        line: i + 1,
                        date: Some(date),
                        error: Some(why),
                        did_you_mean: &[],
                        classification: None,
                    };
                    serde_json::to_writer(&mut out, &l)?;
                    writeln!(out)?;
                } else {
                    writeln!(out, "line {}:\n  error: {why}\n", i + 1)?;
                }
                continue;
            }
        };
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let result = classifier.classify_text(&text, which, date);
        any_error |= result.is_err();
        // a molfile is shown by its title line
        let shown = text.lines().next().unwrap_or_default();
        if json {
            let (error, did_you_mean) = match &result {
                Ok(_) => (None, &[][..]),
                Err(e) => (Some(e.to_string()), e.did_you_mean()),
            };
            let l = Line {
                input: if text.contains('\n') { shown } else { &text },
                line: i + 1,
                date: result.is_err().then_some(date),
                error,
                did_you_mean,
                classification: result.as_ref().ok(),
            };
            serde_json::to_writer(&mut out, &l)?;
            writeln!(out)?;
        } else {
            match result {
                Ok(c) => write_table(&mut out, i + 1, &law::excerpt(shown), &c)?,
                Err(e) => writeln!(
                    out,
                    "line {}: {}\n  error: {e}\n",
                    i + 1,
                    law::excerpt(shown.trim())
                )?,
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
        let status = match v.status {
            Status::Controlled => "CONTROLLED",
            Status::Undetermined => "UNDETERMINED (cannot be judged: never read as not controlled)",
            Status::NotControlled => "not controlled",
        };
        let carrier = match v.component.and_then(|i| c.components.get(i)) {
            Some(comp) if c.components.len() > 1 => format!(" (component {})", comp.smiles),
            _ => String::new(),
        };
        writeln!(out, "  {}: {status}{carrier}", v.jurisdiction)?;
        for u in &v.undetermined_because {
            writeln!(out, "    undetermined: {u}")?;
        }
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
