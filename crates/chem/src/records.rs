//! Streams of structure records from files of many structures: SMILES lines (`SMILES
//! name`), CSV or TSV with a SMILES column, and SD files. One reader for every caller
//! (`fentguard screen`, the portal's batch check), reading from any `BufRead` (the caller
//! opens files and decompresses).
//!
//! A bad record (a line that is not UTF-8, a malformed CSV row, a molfile that does not
//! parse) never stops the stream: it comes out as that record's error, with its line. A
//! read error (a truncated or damaged file) is different: it comes out once, as
//! [`RecordError::Read`], and the stream ends there, so nothing after it is read forever
//! or lost without a word.

use crate::limits::Limits;
use crate::molecule::Molecule;
use std::io::BufRead;
use thiserror::Error;

/// The kinds of file read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One `SMILES [name]` a line (`.smi`, `.smiles`, `.ism`, `.txt`).
    Smiles,
    /// Comma-separated, with a header naming a SMILES column (`.csv`).
    Csv,
    /// Tab-separated, likewise (`.tsv`).
    Tsv,
    /// An SD file or a molfile (`.sdf`, `.sd`, `.mol`).
    Sd,
}

impl Format {
    /// The format a file name says (case-insensitive), and whether it is gzip-compressed
    /// (`.gz` after the format's extension); `None` for an extension not read here.
    pub fn of_file_name(name: &str) -> Option<(Format, bool)> {
        let name = name.to_ascii_lowercase();
        let (stem, gz) = match name.strip_suffix(".gz") {
            Some(s) => (s.to_string(), true),
            None => (name, false),
        };
        let format = match stem.rsplit_once('.')?.1 {
            "smi" | "smiles" | "txt" | "ism" => Format::Smiles,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "sdf" | "sd" | "mol" => Format::Sd,
            _ => return None,
        };
        Some((format, gz))
    }
}

/// One record.
#[derive(Debug)]
pub struct Record {
    /// 1-based line of the record's start.
    pub line: usize,
    /// Its name: the SMILES line's second field, the CSV's `name` or `id` column, the
    /// molfile's title.
    pub name: String,
    /// The structure.
    pub payload: Payload,
}

/// The structure of a record.
#[derive(Debug)]
pub enum Payload {
    /// A SMILES string, to be parsed by whoever takes the record.
    Smiles(String),
    /// A molecule already read (SD files), or why it could not be.
    Molecule(Box<Result<Molecule, String>>),
}

/// Why a record, or the rest of the stream, could not be read.
#[derive(Debug, Error)]
pub enum RecordError {
    /// A line that is not UTF-8 text (that record only).
    #[error("line {line}: not UTF-8 text (byte {byte} of the line)")]
    NotUtf8 {
        /// The line.
        line: usize,
        /// The first byte that is not UTF-8, 1-based.
        byte: usize,
    },
    /// A CSV row that cannot be read (that record only).
    #[error("line {line}: malformed CSV record: {why}")]
    MalformedCsv {
        /// The line.
        line: usize,
        /// What the CSV reader said.
        why: String,
    },
    /// The CSV header has no such column (nothing is read).
    #[error("no column named '{0}' in the CSV header")]
    NoSuchColumn(String),
    /// The CSV header names no SMILES column (nothing is read).
    #[error("no SMILES column in the CSV header (name one 'smiles', or say which column)")]
    NoSmilesColumn,
    /// The file could not be read on from here: the stream ends with this error.
    #[error("reading stopped after line {after_line}: {cause}")]
    Read {
        /// The last line read before it.
        after_line: usize,
        /// What the reader said.
        cause: String,
    },
}

impl RecordError {
    /// Whether nothing after this error is read (the file is damaged or unreadable).
    pub fn ends_stream(&self) -> bool {
        matches!(
            self,
            RecordError::Read { .. } | RecordError::NoSuchColumn(_) | RecordError::NoSmilesColumn
        )
    }
}

/// A stream of records and errors.
pub type Records<'r> = Box<dyn Iterator<Item = Result<Record, RecordError>> + Send + 'r>;

/// The records of `reader`, read as `format`; `smiles_column` names a CSV's SMILES
/// column (default: the column named `smiles`, else the first whose name contains it).
/// SD records are read within `limits`.
pub fn records<'r, R: BufRead + Send + 'r>(
    reader: R,
    format: Format,
    smiles_column: Option<&str>,
    limits: Limits,
) -> Result<Records<'r>, RecordError> {
    Ok(match format {
        Format::Smiles => Box::new(until_ended(smiles_lines(reader))),
        Format::Csv | Format::Tsv => Box::new(until_ended(csv_records(
            reader,
            format == Format::Tsv,
            smiles_column,
        )?)),
        Format::Sd => Box::new(until_ended(sd_records(reader, limits))),
    })
}

/// Ends a stream right after its first error that ends it.
fn until_ended<'r>(
    records: impl Iterator<Item = Result<Record, RecordError>> + Send + 'r,
) -> impl Iterator<Item = Result<Record, RecordError>> + Send + 'r {
    let mut done = false;
    records.map_while(move |r| {
        if done {
            return None;
        }
        if let Err(e) = &r {
            done = e.ends_stream();
        }
        Some(r)
    })
}

/// Lines of bytes: a line that is not UTF-8 is that line's error, not the stream's; a
/// read error ends the stream.
pub fn text_lines<R: BufRead>(mut reader: R) -> impl Iterator<Item = Result<String, RecordError>> {
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
                Some(String::from_utf8(buf).map_err(|e| RecordError::NotUtf8 {
                    line,
                    byte: e.utf8_error().valid_up_to() + 1,
                }))
            }
            Err(e) => {
                done = true;
                Some(Err(RecordError::Read {
                    after_line: line,
                    cause: e.to_string(),
                }))
            }
        }
    })
}

fn smiles_lines<R: BufRead>(reader: R) -> impl Iterator<Item = Result<Record, RecordError>> {
    text_lines(reader).enumerate().filter_map(|(i, line)| {
        let line = match line {
            Ok(l) => l,
            Err(e) => return Some(Err(e)),
        };
        let t = line.trim();
        let header = i == 0
            && t.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case("smiles"));
        if t.is_empty() || t.starts_with('#') || header {
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

fn csv_records<R: BufRead>(
    reader: R,
    tab: bool,
    column: Option<&str>,
) -> Result<impl Iterator<Item = Result<Record, RecordError>>, RecordError> {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(if tab { b'\t' } else { b',' })
        .flexible(true)
        .from_reader(reader);
    let headers = r
        .headers()
        .map_err(|e| RecordError::Read {
            after_line: 0,
            cause: format!("the CSV header cannot be read: {e}"),
        })?
        .clone();
    let find = |want: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(want))
    };
    let smiles_idx = match column {
        Some(c) => find(c).ok_or_else(|| RecordError::NoSuchColumn(c.to_string()))?,
        None => find("smiles")
            .or_else(|| {
                headers
                    .iter()
                    .position(|h| h.to_ascii_lowercase().contains("smiles"))
            })
            .ok_or(RecordError::NoSmilesColumn)?,
    };
    let name_idx = find("name").or_else(|| find("id"));
    Ok(r.into_records().enumerate().map(move |(i, rec)| {
        // the header is line 1; records without embedded newlines are one line each
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(RecordError::Read {
                    after_line: line - 1,
                    cause: e.to_string(),
                })
            }
            Err(e) => {
                return Err(RecordError::MalformedCsv {
                    line,
                    why: e.to_string(),
                })
            }
        };
        Ok(Record {
            line,
            name: name_idx.and_then(|k| rec.get(k)).unwrap_or("").to_string(),
            payload: Payload::Smiles(rec.get(smiles_idx).unwrap_or("").trim().to_string()),
        })
    }))
}

fn sd_records<R: BufRead>(
    reader: R,
    limits: Limits,
) -> impl Iterator<Item = Result<Record, RecordError>> {
    let mut last = 0usize;
    crate::molfile::SdReader::new(reader)
        .with_limits(limits)
        .map(move |r| {
            // The reader's own errors are the file's (reading it); a bad record comes
            // out as its molecule's error below.
            let r = r.map_err(|e| RecordError::Read {
                after_line: last,
                cause: e.to_string(),
            })?;
            last = r.line;
            Ok(Record {
                line: r.line,
                name: r.title.trim().to_string(),
                payload: Payload::Molecule(Box::new(r.molecule.map_err(|e| e.to_string()))),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, format: Format) -> Vec<Result<Record, RecordError>> {
        records(text.as_bytes(), format, None, Limits::DEFAULT)
            .expect("records")
            .collect()
    }

    #[test]
    fn formats_by_file_name() {
        assert_eq!(
            Format::of_file_name("Library.SDF"),
            Some((Format::Sd, false))
        );
        assert_eq!(
            Format::of_file_name("hits.csv.gz"),
            Some((Format::Csv, true))
        );
        assert_eq!(Format::of_file_name("x.smi"), Some((Format::Smiles, false)));
        assert_eq!(Format::of_file_name("x.xlsx"), None);
        assert_eq!(Format::of_file_name("noextension"), None);
    }

    #[test]
    fn smiles_lines_skip_blanks_comments_and_a_header_and_keep_names() {
        let r = all(
            "smiles\n# a comment\n\nCCO ethanol\nC1CC1  cyclo propane\n",
            Format::Smiles,
        );
        let names: Vec<(usize, String)> = r
            .into_iter()
            .map(|x| x.expect("record"))
            .map(|x| (x.line, x.name))
            .collect();
        assert_eq!(
            names,
            vec![(4, "ethanol".into()), (5, "cyclo propane".into())]
        );
    }

    #[test]
    fn a_bad_line_is_its_own_error_and_the_stream_goes_on() {
        let mut bytes = b"CCO a\n".to_vec();
        bytes.extend_from_slice(b"C\xffC b\nCCN c\n");
        let r: Vec<_> = records(&bytes[..], Format::Smiles, None, Limits::DEFAULT)
            .expect("records")
            .collect();
        assert_eq!(r.len(), 3);
        assert!(matches!(
            r[1],
            Err(RecordError::NotUtf8 { line: 2, byte: 2 })
        ));
        assert_eq!(r[2].as_ref().expect("third").name, "c");
    }

    #[test]
    fn csv_finds_its_smiles_and_name_columns_or_says_what_is_missing() {
        let r = all(
            "ID,Structure SMILES,other\nx1,CCO,1\nx2,CCN,2\n",
            Format::Csv,
        );
        let r: Vec<Record> = r.into_iter().map(|x| x.expect("record")).collect();
        assert_eq!((r[1].line, r[1].name.as_str()), (3, "x2"));
        assert!(matches!(&r[0].payload, Payload::Smiles(s) if s == "CCO"));
        let none = records("a,b\n1,2\n".as_bytes(), Format::Csv, None, Limits::DEFAULT);
        assert!(matches!(none.err(), Some(RecordError::NoSmilesColumn)));
        let named = records(
            "a,b\n1,2\n".as_bytes(),
            Format::Csv,
            Some("c"),
            Limits::DEFAULT,
        );
        assert!(matches!(named.err(), Some(RecordError::NoSuchColumn(c)) if c == "c"));
    }

    #[test]
    fn sd_records_carry_molecules_or_their_errors() {
        let good = "ethanol\n\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 C   0  0\n    0.0000    0.0000    0.0000 O   0  0\n  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n";
        let bad =
            "broken\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nnot an atom line\nM  END\n$$$$\n";
        let r = all(&format!("{good}{bad}"), Format::Sd);
        assert_eq!(r.len(), 2);
        let first = r[0].as_ref().expect("first");
        assert_eq!(first.name, "ethanol");
        assert!(matches!(&first.payload, Payload::Molecule(m) if m.is_ok()));
        assert!(
            matches!(&r[1].as_ref().expect("second").payload, Payload::Molecule(m) if m.is_err())
        );
    }
}
