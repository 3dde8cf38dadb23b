//! `fentguard screen`: stream a large file through the classifier in parallel, in
//! bounded memory (chunks of records), writing hits as they are found.

use crate::records::{self, Payload, Record};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use law::{Classifier, Outcome, ScreenOutcome};
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

/// A record and, when it could be read, its screening result.
type Screened = (Result<Record>, Option<Result<ScreenOutcome, String>>);

pub struct ScreenArgs {
    pub changes: Option<PathBuf>,
    pub date: law::NaiveDate,
    pub file: PathBuf,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub csv: bool,
    pub smiles_column: Option<String>,
    pub quiet: bool,
}

#[derive(Serialize)]
struct Hit<'a> {
    line: usize,
    name: &'a str,
    smiles: &'a str,
    parent_smiles: Option<&'a str>,
    results: BTreeMap<&'a str, &'static str>,
    listed: &'a [String],
}

/// Totals printed at the end.
#[derive(Default, Serialize)]
pub struct Summary {
    pub read: u64,
    pub parsed: u64,
    pub failed: u64,
    pub matched: BTreeMap<String, u64>,
    pub ambiguous: BTreeMap<String, u64>,
    pub listed: u64,
    pub seconds: f64,
    pub molecules_per_second: f64,
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Match => "match",
        Outcome::NoMatch => "no_match",
        Outcome::Ambiguous => "ambiguous",
    }
}

pub fn run(args: ScreenArgs) -> Result<ExitCode> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool.build().context("starting worker threads")?;
    let classifier = crate::catalogue_cmd::classifier(args.changes.as_deref())?;
    let input = records::open(&args.file, args.smiles_column.as_deref())?;
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, sink);
    if args.csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "line".to_string(),
            "name".into(),
            "smiles".into(),
            "parent_smiles".into(),
        ];
        header.extend(classifier.definitions().iter().map(|d| d.id.clone()));
        header.push("listed".into());
        w.write_record(&header)?;
        out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
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
                        Ok(r) => Some(screen_one(&classifier, r, args.date)),
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
            for (id, o) in &outcome.outcomes {
                match o {
                    Outcome::Match => *summary.matched.entry(id.clone()).or_default() += 1,
                    Outcome::Ambiguous => *summary.ambiguous.entry(id.clone()).or_default() += 1,
                    Outcome::NoMatch => {}
                }
            }
            if !outcome.listed.is_empty() {
                summary.listed += 1;
            }
            if outcome.is_hit() {
                let smiles = match &rec.payload {
                    Payload::Smiles(s) => s.as_str(),
                    Payload::Molecule(_) => outcome.parent_smiles.as_deref().unwrap_or(""),
                };
                if args.csv {
                    let mut w = csv::Writer::from_writer(Vec::new());
                    let mut row = vec![
                        rec.line.to_string(),
                        rec.name.clone(),
                        smiles.to_string(),
                        outcome.parent_smiles.clone().unwrap_or_default(),
                    ];
                    row.extend(
                        outcome
                            .outcomes
                            .iter()
                            .map(|(_, o)| outcome_word(*o).to_string()),
                    );
                    row.push(outcome.listed.join("; "));
                    w.write_record(&row)?;
                    out.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
                } else {
                    let hit = Hit {
                        line: rec.line,
                        name: &rec.name,
                        smiles,
                        parent_smiles: outcome.parent_smiles.as_deref(),
                        results: outcome
                            .outcomes
                            .iter()
                            .map(|(id, o)| (id.as_str(), outcome_word(*o)))
                            .collect(),
                        listed: &outcome.listed,
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
    eprintln!("summary: {}", serde_json::to_string(&summary)?);
    Ok(ExitCode::SUCCESS)
}

fn report(stderr: &std::io::Stderr, reported: &mut usize, msg: &str) {
    if *reported < MAX_REPORTED_ERRORS {
        let _ = writeln!(stderr.lock(), "skipped: {msg}");
        *reported += 1;
    }
}

fn screen_one(
    classifier: &Classifier,
    rec: &Record,
    date: law::NaiveDate,
) -> Result<ScreenOutcome, String> {
    match &rec.payload {
        Payload::Smiles(s) => {
            if s.is_empty() {
                return Err("empty SMILES".into());
            }
            let mol = chem::smiles::parse(s).map_err(|e| e.to_string())?;
            Ok(classifier.screen(&mol, date))
        }
        Payload::Molecule(m) => match m.as_ref() {
            Ok(mol) => Ok(classifier.screen(mol, date)),
            Err(e) => Err(e.clone()),
        },
    }
}
