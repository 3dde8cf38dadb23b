//! `fentguard scan-text`: each line of each file (or of standard input) is a text, or a
//! JSON object with `id` and `text` (JSON Lines); each text's report is printed as JSON
//! Lines or as a table for people.

use anyhow::{Context, Result};
use screening::{Decision, Screener, TextReport};
use serde::Deserialize;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// A line of JSON Lines input.
#[derive(Deserialize)]
struct Given {
    #[serde(default)]
    id: Option<serde_json::Value>,
    text: String,
}

/// Reads a line as a text: a JSON object with `text` (and `id`) when it is one, the line
/// itself otherwise.
fn read_line(line: &str, fallback_id: String) -> (String, String) {
    if line.trim_start().starts_with('{') {
        if let Ok(g) = serde_json::from_str::<Given>(line) {
            let id = match g.id {
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => fallback_id,
            };
            return (id, g.text);
        }
    }
    (fallback_id, line.to_string())
}

/// Screens every text; exit code 0 whatever the decisions (a flag is an answer, not a
/// failure), 1 when a line could not be read or a text was refused.
pub fn run(
    changes: Option<&std::path::Path>,
    date: law::NaiveDate,
    json: bool,
    files: Vec<String>,
) -> Result<ExitCode> {
    let classifier = crate::catalogue_cmd::classifier(changes)?;
    let screener = Screener::builtin(Arc::new(classifier)).context("loading the screening data")?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    let sources: Vec<(String, Box<dyn BufRead>)> = if files.is_empty() {
        vec![("stdin".into(), Box::new(std::io::stdin().lock()))]
    } else {
        let mut v: Vec<(String, Box<dyn BufRead>)> = Vec::new();
        for f in files {
            let file = std::fs::File::open(&f).with_context(|| format!("opening {f}"))?;
            v.push((f, Box::new(std::io::BufReader::new(file))));
        }
        v
    };
    if !json {
        writeln!(out, "{:<24} {:<8} {:>5}  found", "id", "decision", "score")?;
    }
    for (name, reader) in sources {
        for (i, line) in crate::records::text_lines(reader).enumerate() {
            let line_id = format!("{name}:{}", i + 1);
            let text = match line.with_context(|| format!("reading {name}"))? {
                Ok(t) => t,
                Err(why) => {
                    failed = true;
                    eprintln!("{line_id}: {why}");
                    continue;
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            let (id, text) = read_line(&text, line_id.clone());
            let report = match screener.screen(&id, &text, date) {
                Ok(r) => r,
                Err(e) => {
                    failed = true;
                    eprintln!("{line_id}: {e}");
                    continue;
                }
            };
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                writeln!(out, "{}", table_row(&report))?;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn table_row(r: &TextReport) -> String {
    let found: Vec<String> = r
        .hits
        .iter()
        .map(|h| {
            let status: Vec<String> = h
                .status
                .iter()
                .map(|(j, s)| format!("{j} {}", s.as_str()))
                .collect();
            format!(
                "'{}' = {} ({})",
                h.text,
                h.substance.as_deref().unwrap_or("a structure"),
                status.join(", ")
            )
        })
        .chain(r.signals.iter().map(|s| format!("{} '{}'", s.kind, s.text)))
        .collect();
    let decision = match r.decision {
        Decision::Flag => "FLAG",
        Decision::Review => "review",
        Decision::Clear => "clear",
    };
    format!(
        "{:<24} {:<8} {:>5.2}  {}",
        r.id,
        decision,
        r.score,
        found.join("; ")
    )
}
