//! `fentguard screen`: stream a large file through the classifier in parallel, in
//! bounded memory (chunks of records), writing hits as they are found.

use crate::records::{self, Payload, Record};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use law::{Classification, Classifier, Outcome, Status};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Records handed to the workers at a time: bounds memory whatever the file size.
const CHUNK: usize = 8192;
/// Bad records reported one by one before only counting.
const MAX_REPORTED_ERRORS: usize = 50;

/// A record and, when it could be read, its screening result (the classification of a
/// hit).
type Screened = (
    Result<Record>,
    Option<Result<Option<Classification>, String>>,
);

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines, one hit a line, with the full classification.
    Json,
    /// CSV, one hit a row: status, generic result, conditions, listings and reasons per
    /// jurisdiction.
    Csv,
    /// Aligned columns for people.
    Table,
}

pub struct ScreenArgs {
    pub changes: Option<PathBuf>,
    pub date: law::NaiveDate,
    pub file: PathBuf,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub format: Format,
    pub smiles_column: Option<String>,
    pub quiet: bool,
}

/// One hit of `screen --format json`: the same answer as `classify` gives.
#[derive(Serialize)]
struct Hit<'a> {
    line: usize,
    name: &'a str,
    smiles: &'a str,
    /// Generic result per definition (of the component carrying each verdict).
    results: BTreeMap<&'a str, &'static str>,
    /// Names of the listed substances found.
    listed: Vec<&'a str>,
    parent_smiles: Option<&'a str>,
    parent_inchikey: Option<&'a str>,
    components: &'a [law::classify::ComponentOut],
    verdicts: &'a [law::Verdict],
    other_listings: &'a [law::classify::OtherListing],
    notes: &'a [String],
}

/// Totals printed at the end.
#[derive(Default, Serialize)]
pub struct Summary {
    pub read: u64,
    pub parsed: u64,
    pub failed: u64,
    /// Records reported (controlled or undetermined somewhere).
    pub hits: u64,
    /// Hits controlled by a listing somewhere.
    pub listed: u64,
    /// Hits matching a generic definition somewhere.
    pub generic: u64,
    /// Hits undetermined somewhere.
    pub undetermined: u64,
    /// Generic matches per definition.
    pub matched: BTreeMap<String, u64>,
    /// Generic ambiguous readings per definition.
    pub ambiguous: BTreeMap<String, u64>,
    pub seconds: f64,
    pub molecules_per_second: f64,
    /// Why the file could not be read to its end (then the exit code is 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damaged: Option<String>,
}

/// The jurisdictions whose columns `csv` and `table` show, in order.
const JURISDICTIONS: [&str; 2] = ["CN", "US"];

fn generic_word(v: Option<&law::Verdict>) -> &'static str {
    v.and_then(|v| v.generic.as_ref())
        .map_or("", |g| g.result.as_str())
}

fn listed_names(c: &Classification) -> Vec<&str> {
    let mut names: Vec<&str> = c
        .verdicts
        .iter()
        .flat_map(|v| v.listings.iter().map(|l| l.entry.as_str()))
        .chain(c.other_listings.iter().map(|o| o.listing.entry.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn csv_header(classifier: &Classifier) -> Vec<String> {
    let mut h = vec![
        "line".to_string(),
        "name".into(),
        "smiles".into(),
        "parent_smiles".into(),
    ];
    for j in JURISDICTIONS {
        let def = classifier
            .definitions()
            .iter()
            .find(|d| d.jurisdiction == j)
            .map_or(format!("{j}_generic"), |d| d.id.clone());
        h.extend([
            format!("{j}_status"),
            def,
            format!("{j}_conditions"),
            format!("{j}_listings"),
            format!("{j}_reasons"),
        ]);
    }
    h
}

fn csv_row(line: usize, name: &str, smiles: &str, c: &Classification) -> Vec<String> {
    let mut row = vec![
        line.to_string(),
        name.to_string(),
        smiles.to_string(),
        c.parent_smiles.clone().unwrap_or_default(),
    ];
    for j in JURISDICTIONS {
        let v = c.verdict(j);
        let g = v.and_then(|v| v.generic.as_ref());
        row.push(v.map_or("", |v| v.status.as_str()).to_string());
        row.push(generic_word(v).to_string());
        row.push(g.map(|g| g.conditions.join(";")).unwrap_or_default());
        row.push(
            v.map(|v| {
                v.listings
                    .iter()
                    .map(|l| format!("{} ({}, {})", l.entry, l.list_id, l.category))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
        );
        let mut reasons: Vec<String> = g.map(|g| g.reasons.clone()).unwrap_or_default();
        if let Some(v) = v {
            reasons.extend(v.undetermined_because.iter().cloned());
        }
        row.push(reasons.join(" | "));
    }
    row
}

/// One hit as a row of the table: status per jurisdiction and what carries it.
fn table_row(line: usize, name: &str, c: &Classification) -> String {
    let cell = |j: &str| -> String {
        match c.verdict(j) {
            None => "-".into(),
            Some(v) => {
                let mut why = Vec::new();
                if let Some(g) = v.generic.as_ref().filter(|g| g.result != Outcome::NoMatch) {
                    why.push(if g.conditions.is_empty() {
                        g.result.as_str().to_string()
                    } else {
                        format!("{} {}", g.result, g.conditions.join("+"))
                    });
                }
                if !v.listings.is_empty() {
                    why.push("listed".into());
                }
                let word = match v.status {
                    Status::Controlled => "CONTROLLED",
                    Status::Undetermined => "UNDETERMINED",
                    Status::NotControlled => "no",
                };
                if why.is_empty() {
                    word.to_string()
                } else {
                    format!("{word} ({})", why.join(", "))
                }
            }
        }
    };
    let listed = listed_names(c).join("; ");
    let shown: String = if name.is_empty() {
        c.parent_smiles.clone().unwrap_or_default()
    } else {
        name.to_string()
    };
    let shown: String = shown.chars().take(40).collect();
    format!(
        "{line:>8}  {shown:<40}  {:<28}  {:<28}  {listed}\n",
        cell("CN"),
        cell("US")
    )
}

pub fn run(args: ScreenArgs) -> Result<ExitCode> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool.build().context("starting worker threads")?;
    let classifier = crate::catalogue_cmd::classifier(args.changes.as_deref())?;
    let input = records::open(
        &args.file,
        args.smiles_column.as_deref(),
        *classifier.limits(),
    )?;
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
    match args.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(csv_header(&classifier))?;
            out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
        }
        Format::Table => {
            out.write_all(
                format!(
                    "{:>8}  {:<40}  {:<28}  {:<28}  {}\n",
                    "line", "name", "CN", "US", "listed as"
                )
                .as_bytes(),
            )?;
        }
        Format::Json => {}
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::with_draw_target(Some(input.size), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    let mut summary = Summary::default();
    for d in classifier.definitions() {
        summary.matched.insert(d.id.clone(), 0);
        summary.ambiguous.insert(d.id.clone(), 0);
    }
    let start = Instant::now();
    let mut records = input.records;
    let mut reported = 0usize;
    let stderr = std::io::stderr();
    loop {
        let chunk: Vec<Result<Record>> = records.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let results: Vec<Screened> = pool.install(|| {
            chunk
                .into_par_iter()
                .map(|rec| {
                    let res = match &rec {
                        Ok(r) => Some(classifier.screen_record(r, args.date)),
                        Err(_) => None,
                    };
                    (rec, res)
                })
                .collect()
        });
        for (rec, res) in results {
            summary.read += 1;
            let (rec, res) = match (rec, res) {
                (Ok(r), Some(res)) => (r, res),
                (Err(e), _) if e.downcast_ref::<records::Damaged>().is_some() => {
                    // Not a record: the file ends here (the reader stops after it).
                    summary.read -= 1;
                    summary.damaged = Some(format!("{e:#}"));
                    continue;
                }
                (Err(e), _) => {
                    summary.failed += 1;
                    report(&stderr, &mut reported, &format!("{e:#}"));
                    continue;
                }
                (Ok(_), None) => continue,
            };
            let outcome = match res {
                Ok(o) => o,
                Err(e) => {
                    summary.failed += 1;
                    report(&stderr, &mut reported, &format!("line {}: {e}", rec.line));
                    continue;
                }
            };
            summary.parsed += 1;
            let Some(c) = outcome else { continue };
            summary.hits += 1;
            let mut generic = false;
            for v in &c.verdicts {
                if let Some(g) = &v.generic {
                    match g.result {
                        Outcome::Match => {
                            generic = true;
                            *summary.matched.entry(g.definition.clone()).or_default() += 1
                        }
                        Outcome::Ambiguous => {
                            *summary.ambiguous.entry(g.definition.clone()).or_default() += 1
                        }
                        Outcome::NoMatch => {}
                    }
                }
            }
            summary.generic += u64::from(generic);
            summary.listed += u64::from(c.verdicts.iter().any(|v| !v.listings.is_empty()));
            summary.undetermined +=
                u64::from(c.verdicts.iter().any(|v| v.status == Status::Undetermined));
            let smiles = match &rec.payload {
                Payload::Smiles(s) => s.as_str(),
                Payload::Molecule(_) => c.parent_smiles.as_deref().unwrap_or(""),
            };
            match args.format {
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(Vec::new());
                    w.write_record(csv_row(rec.line, &rec.name, smiles, &c))?;
                    out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
                }
                Format::Table => out.write_all(table_row(rec.line, &rec.name, &c).as_bytes())?,
                Format::Json => {
                    let hit = Hit {
                        line: rec.line,
                        name: &rec.name,
                        smiles,
                        results: c
                            .verdicts
                            .iter()
                            .filter_map(|v| v.generic.as_ref())
                            .map(|g| (g.definition.as_str(), g.result.as_str()))
                            .collect(),
                        listed: listed_names(&c),
                        parent_smiles: c.parent_smiles.as_deref(),
                        parent_inchikey: c.parent_inchikey.as_deref(),
                        components: &c.components,
                        verdicts: &c.verdicts,
                        other_listings: &c.other_listings,
                        notes: &c.notes,
                    };
                    serde_json::to_writer(&mut out, &hit)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        bar.set_position(input.bytes_read.load(Ordering::Relaxed));
        bar.set_message(format!("{} read, {} failed", summary.read, summary.failed));
    }
    out.flush()?;
    bar.finish_and_clear();
    summary.seconds = start.elapsed().as_secs_f64();
    summary.molecules_per_second = if summary.seconds > 0.0 {
        summary.read as f64 / summary.seconds
    } else {
        0.0
    };
    if reported < summary.failed as usize {
        eprintln!(
            "... {} more bad records not shown",
            summary.failed as usize - reported
        );
    }
    if let Some(d) = &summary.damaged {
        eprintln!("error: {d}");
    }
    eprintln!("summary: {}", serde_json::to_string(&summary)?);
    Ok(if summary.damaged.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(stderr: &std::io::Stderr, reported: &mut usize, msg: &str) {
    if *reported < MAX_REPORTED_ERRORS {
        let _ = writeln!(stderr.lock(), "skipped: {msg}");
        *reported += 1;
    }
}
