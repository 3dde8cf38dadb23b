//! Structure files opened for screening: the file, its gzip compression and a byte
//! counter (for the progress bar) around `chem::records`, the one reader of SMILES lines,
//! CSV/TSV with a SMILES column and SD files. A bad record comes out as its own error
//! and the stream goes on; a damaged file (a read or decompression error: truncated, a
//! CRC mismatch) comes out once as [`Damaged`], naming the file and the byte offset, and
//! the stream ends there, so nothing after it is silently lost or read forever.

use anyhow::{bail, Context, Result};
use chem::records::{Format, RecordError};
pub use chem::records::{Payload, Record};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some((format, gz)) = Format::of_file_name(name) else {
        bail!(
            "{}: unknown file type (expected .smi, .csv, .tsv or .sdf, optionally .gz)",
            path.display()
        );
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let count = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: file,
        count: count.clone(),
    };
    let reader: Box<dyn BufRead + Send> = if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::new(counting)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, counting))
    };
    let file = path.display().to_string();
    let records = chem::records::records(reader, format, smiles_column, limits)
        .with_context(|| format!("{file}: cannot read its records"))?;
    let bytes_read = count.clone();
    let records = records.map(move |r| {
        r.map_err(|e| match e {
            RecordError::Read { after_line, cause } => anyhow::Error::new(Damaged {
                file: file.clone(),
                offset: count.load(Ordering::Relaxed),
                after_line,
                cause,
            }),
            other => anyhow::Error::new(other),
        })
    });
    Ok(Input {
        records: Box::new(records),
        bytes_read,
        size,
    })
}

/// Lines of text for `classify`: a line that is not UTF-8 is that line's error (the
/// message), a read error ends the input.
pub fn text_lines<R: BufRead>(
    reader: R,
) -> impl Iterator<Item = std::io::Result<Result<String, String>>> {
    chem::records::text_lines(reader).map(|l| match l {
        Ok(text) => Ok(Ok(text)),
        Err(RecordError::Read { cause, .. }) => Err(std::io::Error::other(cause)),
        Err(other) => Ok(Err(other.to_string())),
    })
}
