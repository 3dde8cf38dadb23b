//! Batch checks: a file of structures (SMILES lines, CSV or TSV with a SMILES column, an
//! SD file; gzip-compressed or not) screened against the law on a date, in the
//! background, its progress readable while it runs, its hits kept for an hour. The same
//! reader as `fentguard screen` (`chem::records`) and the same answer per record
//! (`law::Classifier::screen_record`): a record that cannot be read is reported with its
//! line, never counted as "not controlled".
//!
//! Asking reads no one's records, so anyone may ask (`control::Operation::CheckSubstance`).
//! The cost is bounded whoever asks: the upload's size, the text it decompresses to, the
//! records read, the hits and errors kept, the batches kept and the batches running at
//! once. A batch is found by its id (128 random bits), which only its uploader is shown.

use crate::{CaseError, Code, Services};
use chem::records::{Format, RecordError};
use chrono::NaiveDate;
use law::{Classification, Status};
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The most bytes a batch's text may have once decompressed.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;
/// The most records one batch reads.
pub const MAX_RECORDS: usize = 200_000;
/// Hits listed (more are counted).
pub const MAX_HITS: usize = 20_000;
/// Unreadable records listed (more are counted).
pub const MAX_ERRORS: usize = 1_000;
/// How long a batch's answer is kept.
pub const KEEP_FOR: Duration = Duration::from_secs(3600);
/// Batches kept at once (the oldest finished goes first).
const MAX_BATCHES: usize = 64;
/// Batches running at once; more are refused until one ends.
const MAX_RUNNING: usize = 2;

/// One record the law controls or could not judge.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The record's line in the file.
    pub line: usize,
    /// Its name in the file.
    pub name: String,
    /// The structure judged (canonical SMILES of the component that carries the verdict).
    pub smiles: String,
    /// Status per jurisdiction.
    pub status: BTreeMap<String, Status>,
    /// Why, in short: the first reason of each verdict, or its listings.
    pub why: Vec<String>,
}

/// Where a batch stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading and judging.
    Running,
    /// Every record read.
    Done,
    /// Stopped before the end of the file (damaged, too large): why, and the records
    /// after that point were not read.
    Stopped(String),
}

/// What a batch has found so far.
#[derive(Clone, Debug)]
pub struct Progress {
    /// Where it stands.
    pub stage: Stage,
    /// Records read.
    pub read: usize,
    /// Records not controlled anywhere.
    pub clear: usize,
    /// Hits, in file order (at most [`MAX_HITS`]).
    pub hits: Vec<Hit>,
    /// Hits beyond [`MAX_HITS`], counted only.
    pub more_hits: usize,
    /// Records that could not be read or judged: line and why (at most [`MAX_ERRORS`]).
    pub errors: Vec<(usize, String)>,
    /// Such records beyond [`MAX_ERRORS`], counted only.
    pub more_errors: usize,
}

/// A batch.
pub struct Batch {
    /// Its id (the capability to read it).
    pub id: String,
    /// The file's name as uploaded.
    pub file: String,
    /// The law as it stood on this date.
    pub date: NaiveDate,
    /// The upload's size in bytes.
    pub size: u64,
    started: Instant,
    consumed: AtomicU64,
    progress: Mutex<Progress>,
}

impl Batch {
    /// Bytes of the upload read so far (for a progress bar over [`Batch::size`]).
    pub fn consumed(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed).min(self.size)
    }

    /// What it has found so far (held briefly: the batch goes on while it is held).
    pub fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The hits as CSV: line, name, SMILES, a status column per jurisdiction, why.
    pub fn csv(&self) -> String {
        let p = self.progress();
        let jurisdictions: Vec<String> = p
            .hits
            .iter()
            .flat_map(|h| h.status.keys().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut out = String::from("line,name,smiles");
        for j in &jurisdictions {
            out.push(',');
            out.push_str(j);
        }
        out.push_str(",why\n");
        for h in &p.hits {
            let mut row = vec![h.line.to_string(), h.name.clone(), h.smiles.clone()];
            row.extend(
                jurisdictions
                    .iter()
                    .map(|j| h.status.get(j).map(crate::api_name).unwrap_or_default()),
            );
            row.push(h.why.join("; "));
            out.push_str(
                &row.iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        out
    }
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is prefixed with
/// `'` so that a spreadsheet never runs a record's name as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The batches of this process.
#[derive(Default)]
pub struct Batches {
    kept: Mutex<Vec<Arc<Batch>>>,
    running: Arc<AtomicUsize>,
}

impl Batches {
    /// The batch `id`, while it is kept.
    pub fn get(&self, id: &str) -> Option<Arc<Batch>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|b| crate::same_secret(&b.id, id) && b.started.elapsed() < KEEP_FOR)
            .cloned()
    }
}

/// Starts screening `bytes`, the file `file` (its name says its format), against the law
/// on `date` (default: today). Refused when the name says no format read here, or when
/// [`MAX_RUNNING`] batches are running already.
pub fn start(
    s: &Services,
    file: &str,
    bytes: Vec<u8>,
    date: Option<NaiveDate>,
) -> Result<Arc<Batch>, CaseError> {
    let Some((format, gz)) = Format::of_file_name(file) else {
        return Err(CaseError::refused(
            Code::InvalidInput,
            format!(
                "{}: not a file of structures read here (.smi, .csv, .tsv, .sdf or .mol, optionally .gz)",
                file.chars().take(80).collect::<String>()
            ),
        ));
    };
    let batches = &s.batches;
    // One slot, taken before anything is kept: released when the batch's thread ends.
    if batches
        .running
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_RUNNING).then_some(n + 1)
        })
        .is_err()
    {
        return Err(CaseError::conflict(
            Code::WrongState,
            format!(
                "{MAX_RUNNING} batches are being checked already; try again when one has finished"
            ),
        ));
    }
    let batch = Arc::new(Batch {
        id: crate::random_hex(16)?,
        file: file.chars().take(200).collect(),
        date: date.unwrap_or_else(|| s.clock.now().date_naive()),
        size: bytes.len() as u64,
        started: Instant::now(),
        consumed: AtomicU64::new(0),
        progress: Mutex::new(Progress {
            stage: Stage::Running,
            read: 0,
            clear: 0,
            hits: Vec::new(),
            more_hits: 0,
            errors: Vec::new(),
            more_errors: 0,
        }),
    });
    {
        let mut kept = batches.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|b| b.started.elapsed() < KEEP_FOR);
        while kept.len() >= MAX_BATCHES {
            // the oldest finished one, else the oldest
            let i = kept
                .iter()
                .position(|b| b.progress().stage != Stage::Running)
                .unwrap_or(0);
            kept.remove(i);
        }
        kept.push(batch.clone());
    }
    let rules = s.rules.clone();
    let running = batches.running.clone();
    let job = batch.clone();
    let spawned = std::thread::Builder::new()
        .name("batch-check".into())
        .spawn(move || {
            run(&rules.classifier, &job, bytes, format, gz);
            running.fetch_sub(1, Ordering::AcqRel);
        });
    if let Err(e) = spawned {
        batches.running.fetch_sub(1, Ordering::AcqRel);
        batch.progress().stage = Stage::Stopped(format!("the check could not be started: {e}"));
    }
    Ok(batch)
}

/// Counts what is read of the upload, and stops reading past a limit of decompressed text.
struct Metered<R> {
    inner: R,
    seen: u64,
    limit: u64,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        if self.seen > self.limit {
            return Err(std::io::Error::other(format!(
                "the file is larger than {} MB of text",
                self.limit >> 20
            )));
        }
        Ok(n)
    }
}

/// Counts the upload's bytes as the reader takes them.
struct Consumed<'a> {
    bytes: &'a [u8],
    at: &'a AtomicU64,
}

impl Read for Consumed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.bytes.read(buf)?;
        self.at.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn run(classifier: &law::Classifier, batch: &Batch, bytes: Vec<u8>, format: Format, gz: bool) {
    let raw = Consumed {
        bytes: &bytes,
        at: &batch.consumed,
    };
    let text: Box<dyn Read + Send + '_> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let reader = BufReader::with_capacity(
        1 << 16,
        Metered {
            inner: text,
            seen: 0,
            limit: MAX_TEXT_BYTES,
        },
    );
    let records = match chem::records::records(reader, format, None, *classifier.limits()) {
        Ok(r) => r,
        Err(e) => {
            batch.progress().stage = Stage::Stopped(e.to_string());
            return;
        }
    };
    let mut stage = Stage::Done;
    for (n, record) in records.enumerate() {
        if n >= MAX_RECORDS {
            stage = Stage::Stopped(format!(
                "more than {MAX_RECORDS} records: the rest were not read"
            ));
            break;
        }
        let judged = match &record {
            Ok(r) => Some(classifier.screen_record(r, batch.date)),
            Err(_) => None,
        };
        let mut p = batch.progress();
        match (record, judged) {
            (Err(e @ RecordError::Read { .. }), _) => {
                stage = Stage::Stopped(e.to_string());
                break;
            }
            (Err(e), _) => {
                p.read += 1;
                let line = match &e {
                    RecordError::NotUtf8 { line, .. } | RecordError::MalformedCsv { line, .. } => {
                        *line
                    }
                    _ => 0,
                };
                note_error(&mut p, line, e.to_string());
            }
            (Ok(r), Some(Err(why))) => {
                p.read += 1;
                note_error(&mut p, r.line, why);
            }
            (Ok(_), Some(Ok(None))) | (Ok(_), None) => {
                p.read += 1;
                p.clear += 1;
            }
            (Ok(r), Some(Ok(Some(c)))) => {
                p.read += 1;
                if p.hits.len() < MAX_HITS {
                    p.hits.push(hit(r.line, r.name, &c));
                } else {
                    p.more_hits += 1;
                }
            }
        }
    }
    batch.progress().stage = stage;
}

fn note_error(p: &mut Progress, line: usize, why: String) {
    if p.errors.len() < MAX_ERRORS {
        p.errors.push((line, why));
    } else {
        p.more_errors += 1;
    }
}

fn hit(line: usize, name: String, c: &Classification) -> Hit {
    let mut why = Vec::new();
    for v in &c.verdicts {
        if v.status == Status::NotControlled {
            continue;
        }
        let first = v
            .listings
            .first()
            .map(|l| format!("{}: {} ({})", v.jurisdiction, l.entry, l.list))
            .or_else(|| {
                v.generic
                    .as_ref()
                    .and_then(|g| g.reasons.first())
                    .map(|r| format!("{}: {r}", v.jurisdiction))
            })
            .or_else(|| {
                v.undetermined_because
                    .first()
                    .map(|r| format!("{}: {r}", v.jurisdiction))
            });
        why.extend(first);
    }
    Hit {
        line,
        name,
        smiles: c.parent_smiles.clone().unwrap_or_default(),
        status: c
            .verdicts
            .iter()
            .map(|v| (v.jurisdiction.clone(), v.status))
            .collect(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
