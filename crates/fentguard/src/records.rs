//! Streaming readers for screening inputs: SMILES lines, CSV with a SMILES column, SD
//! files; each optionally gzip-compressed. A bad record never stops the stream: it comes
//! out as a record whose payload is an error, with its line number.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One input record.
pub struct Record {
    /// 1-based line of the record's start.
    pub line: usize,
    /// Name or id column, if any.
    pub name: String,
    /// What to parse.
    pub payload: Payload,
}

/// The structure text of a record.
pub enum Payload {
    /// A SMILES string, parsed by the worker.
    Smiles(String),
    /// A molecule already read (SD files), or why it could not be.
    Molecule(Box<Result<chem::Molecule, String>>),
}

/// Counts bytes read from the underlying file (for the progress bar).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An open input: its records and a byte counter.
pub struct Input {
    /// Records, in file order.
    pub records: Box<dyn Iterator<Item = Result<Record>> + Send>,
    /// Bytes of the file read so far.
    pub bytes_read: Arc<AtomicU64>,
    /// File size in bytes.
    pub size: u64,
}

/// Open a file, choosing the format by its extension.
pub fn open(path: &Path, smiles_column: Option<&str>, limits: chem::Limits) -> Result<Input> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let count = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: file,
        count: count.clone(),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(s) => (s.to_string(), true),
        None => (name.clone(), false),
    };
    let reader: Box<dyn BufRead + Send> = if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::new(counting)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, counting))
    };
    let ext = stem.rsplit('.').next().unwrap_or("");
    let records: Box<dyn Iterator<Item = Result<Record>> + Send> = match ext {
        "smi" | "smiles" | "txt" | "ism" => Box::new(smiles_lines(reader)),
        "csv" | "tsv" => Box::new(csv_records(reader, ext == "tsv", smiles_column)?),
        "sdf" | "sd" | "mol" => Box::new(sd_records(reader, limits)),
        _ => bail!(
            "{}: unknown file type '.{ext}' (expected .smi, .csv, .tsv or .sdf, optionally .gz)",
            path.display()
        ),
    };
    Ok(Input {
        records,
        bytes_read: count,
        size,
    })
}

fn smiles_lines(reader: Box<dyn BufRead + Send>) -> impl Iterator<Item = Result<Record>> + Send {
    reader.lines().enumerate().filter_map(|(i, line)| {
        let line = match line {
            Ok(l) => l,
            Err(e) => return Some(Err(anyhow::Error::new(e).context(format!("line {}", i + 1)))),
        };
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || (i == 0 && t.eq_ignore_ascii_case("smiles")) {
            return None;
        }
        let (smi, name) = match t.split_once(char::is_whitespace) {
            Some((a, b)) => (a.to_string(), b.trim().to_string()),
            None => (t.to_string(), String::new()),
        };
        Some(Ok(Record {
            line: i + 1,
            name,
            payload: Payload::Smiles(smi),
        }))
    })
}

fn csv_records(
    reader: Box<dyn BufRead + Send>,
    tab: bool,
    column: Option<&str>,
) -> Result<impl Iterator<Item = Result<Record>> + Send> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(if tab { b'\t' } else { b',' })
        .flexible(true)
        .from_reader(reader);
    let headers = r.headers().context("reading the CSV header")?.clone();
    let find = |want: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(want))
    };
    let smiles_idx = match column {
        Some(c) => find(c).with_context(|| format!("no column named '{c}' in the CSV header"))?,
        None => find("smiles")
            .or_else(|| {
                headers
                    .iter()
                    .position(|h| h.to_ascii_lowercase().contains("smiles"))
            })
            .context("no SMILES column in the CSV header (name it with --smiles-column)")?,
    };
    let name_idx = find("name").or_else(|| find("id"));
    Ok(r.into_records().enumerate().map(move |(i, rec)| {
        // header is line 1; records without embedded newlines are one line each
        let line = i + 2;
        let rec = rec.with_context(|| format!("line {line}: malformed CSV record"))?;
        let smi = rec.get(smiles_idx).unwrap_or("").trim().to_string();
        let name = name_idx.and_then(|k| rec.get(k)).unwrap_or("").to_string();
        Ok(Record {
            line,
            name,
            payload: Payload::Smiles(smi),
        })
    }))
}

fn sd_records(
    reader: Box<dyn BufRead + Send>,
    limits: chem::Limits,
) -> impl Iterator<Item = Result<Record>> + Send {
    chem::molfile::SdReader::new(reader)
        .with_limits(limits)
        .map(|r| {
            let r = r.context("reading the SD file")?;
            Ok(Record {
                line: r.line,
                name: r.title.trim().to_string(),
                payload: Payload::Molecule(Box::new(r.molecule.map_err(|e| e.to_string()))),
            })
        })
}
