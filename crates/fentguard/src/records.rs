//! Streaming readers for screening inputs: SMILES lines, CSV with a SMILES column, SD
//! files; each optionally gzip-compressed. A bad record (a line that is not UTF-8, a
//! malformed CSV row) never stops the stream: it comes out as an error with its line
//! number. A damaged file (a read or decompression error: truncated, a CRC mismatch) is
//! different: it comes out once as [`Damaged`], naming the file and the byte offset,
//! and the stream ends there, so nothing after it is silently lost or read forever.

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

/// The file itself could not be read on from here: the stream ends with this error.
#[derive(Debug)]
pub struct Damaged {
    /// The file.
    pub file: String,
    /// Bytes of the file (as stored, compressed or not) read when it happened.
    pub offset: u64,
    /// The last line read before it.
    pub after_line: usize,
    /// What the reader said.
    pub cause: String,
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is damaged at byte {} (after line {}): {}; records after it were not read",
            self.file, self.offset, self.after_line, self.cause
        )
    }
}

impl std::error::Error for Damaged {}

/// Where a stream is, to name it in a [`Damaged`] error.
#[derive(Clone)]
struct Place {
    file: String,
    count: Arc<AtomicU64>,
}

impl Place {
    fn damaged(&self, after_line: usize, cause: impl std::fmt::Display) -> anyhow::Error {
        anyhow::Error::new(Damaged {
            file: self.file.clone(),
            offset: self.count.load(Ordering::Relaxed),
            after_line,
            cause: cause.to_string(),
        })
    }
}

/// Ends a record stream right after its first [`Damaged`] error.
fn until_damaged(
    records: impl Iterator<Item = Result<Record>> + Send,
) -> impl Iterator<Item = Result<Record>> + Send {
    let mut done = false;
    records.map_while(move |r| {
        if done {
            return None;
        }
        if let Err(e) = &r {
            done = e.downcast_ref::<Damaged>().is_some();
        }
        Some(r)
    })
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
    let place = Place {
        file: path.display().to_string(),
        count: count.clone(),
    };
    let records: Box<dyn Iterator<Item = Result<Record>> + Send> = match ext {
        "smi" | "smiles" | "txt" | "ism" => Box::new(until_damaged(smiles_lines(reader, place))),
        "csv" | "tsv" => Box::new(until_damaged(csv_records(
            reader,
            ext == "tsv",
            smiles_column,
            place,
        )?)),
        "sdf" | "sd" | "mol" => Box::new(until_damaged(sd_records(reader, limits, place))),
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

/// Lines of bytes (a line that is not UTF-8 is that line's error, not the stream's);
/// a read error is the stream's end.
pub fn text_lines<R: BufRead>(
    mut reader: R,
) -> impl Iterator<Item = std::io::Result<Result<String, String>>> {
    let mut done = false;
    let mut line = 0usize;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                line += 1;
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                Some(Ok(String::from_utf8(buf).map_err(|e| {
                    format!(
                        "line {line}: not UTF-8 text (byte {} of the line)",
                        e.utf8_error().valid_up_to() + 1
                    )
                })))
            }
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    })
}

fn smiles_lines(
    reader: Box<dyn BufRead + Send>,
    place: Place,
) -> impl Iterator<Item = Result<Record>> + Send {
    text_lines(reader).enumerate().filter_map(move |(i, line)| {
        let line = match line {
            Ok(Ok(l)) => l,
            Ok(Err(why)) => return Some(Err(anyhow::anyhow!(why))),
            Err(e) => return Some(Err(place.damaged(i, e))),
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
    place: Place,
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
        let rec = match rec {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(place.damaged(line - 1, e))
            }
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("line {line}: malformed CSV record"))
                )
            }
        };
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
    place: Place,
) -> impl Iterator<Item = Result<Record>> + Send {
    let mut last = 0usize;
    chem::molfile::SdReader::new(reader)
        .with_limits(limits)
        .map(move |r| {
            // The reader's own errors are the file's (reading it); a bad record comes
            // out as its molecule's error below.
            let r = r.map_err(|e| place.damaged(last, e))?;
            last = r.line;
            Ok(Record {
                line: r.line,
                name: r.title.trim().to_string(),
                payload: Payload::Molecule(Box::new(r.molecule.map_err(|e| e.to_string()))),
            })
        })
}
