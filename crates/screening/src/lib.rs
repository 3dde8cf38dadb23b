//! Screening free text (online listings, messages, goods descriptions) for substances
//! under control and the signs of an illicit offer.
//!
//! A [`Screener`] is built once from the law's catalogue and the screening data
//! (`data/screening/`): every name and synonym of the catalogue (English and Chinese),
//! the misspellings, code words and trade names of `terms.csv`, one-letter slips of the
//! long names (a letter missing, two letters swapped), and the signals of `signals.csv`.
//! [`Screener::screen`] then finds in a text, with byte offsets into it:
//! - names, however written: case, spacing and punctuation inside words, look-alike
//!   letters of other scripts, full-width forms, zero-width characters, leetspeak
//!   ([`fold`]);
//! - CAS numbers with any separators or none, check digit validated, on file;
//! - SMILES and InChIKeys, judged by the law (an analogue not on any list is still
//!   found controlled by the generic definitions);
//! - sales signals (stock, price per kilogram, discreet shipping, customs clearance,
//!   contact handles, payment) and benign contexts (seizures, prescriptions, teaching).
//!
//! Each hit carries the substance's status per jurisdiction on the date; the text gets a
//! score and a [`Decision`] with its reasons. A substance named alone is at most
//! `review`: an offer needs the signs of one.
//!
//! Invariant: the cost of screening a text is linear in its length: the automata scan
//! each view once, the CAS scan walks the text once, and at most [`MAX_STRUCTURES`]
//! structures per text are judged.

mod data;
pub mod fold;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use chrono::NaiveDate;
use fold::{Folded, Gap, View};
use law::{Classifier, Status};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use thiserror::Error;

pub use data::Scoring;

/// The longest text screened (bytes); a longer one is refused, not cut.
pub const MAX_TEXT: usize = 1 << 20;
/// Structures (SMILES) judged per text; those beyond are listed as not judged.
pub const MAX_STRUCTURES: usize = 16;

/// Why the screener could not be built or a text screened.
#[derive(Debug, Error)]
pub enum ScreenError {
    /// A data file does not read.
    #[error("{file} row {row}: {message}")]
    Data {
        /// Which file.
        file: &'static str,
        /// Which row (1 = first after the header).
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// The text is longer than [`MAX_TEXT`].
    #[error("text {id} is {len} bytes; at most {max} are screened")]
    TooLong {
        /// The text's id.
        id: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// What a text's findings make of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Nothing that needs a person.
    Clear,
    /// A person should look.
    Review,
    /// An offer of a controlled substance, on the face of it.
    Flag,
}

impl Decision {
    /// The word used in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Clear => "clear",
            Decision::Review => "review",
            Decision::Flag => "flag",
        }
    }
}

/// How a substance was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// Its preferred name.
    Name,
    /// A synonym of the catalogue (systematic name, Chinese name).
    Synonym,
    /// An abbreviation of the catalogue (NPP, 4-ANPP).
    Abbreviation,
    /// A trade name of a medicine.
    TradeName,
    /// A known misspelling or another language's spelling, or a slip of one letter.
    Misspelling,
    /// A code word of the street trade.
    CodeWord,
    /// Its CAS number.
    Cas,
    /// A SMILES string.
    Smiles,
    /// Its InChIKey.
    Inchikey,
}

/// What was undone to find a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Letters in unusual case ("fEnTaNyL").
    Case,
    /// Spaces or punctuation inside the word.
    Spacing,
    /// Look-alike letters of another script.
    Confusable,
    /// Full-width forms.
    FullWidth,
    /// Zero-width characters.
    ZeroWidth,
    /// Digits or symbols for letters.
    Leetspeak,
    /// A misspelling.
    Misspelling,
    /// A CAS number written with other separators, or none.
    CasSeparators,
}

/// How strongly the law controls a substance, for the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Not controlled in any jurisdiction judged.
    NotControlled,
    /// A precursor under control somewhere.
    Precursor,
    /// Could not be judged: never read as harmless.
    Undetermined,
    /// A drug under control somewhere (listed, or by a generic definition).
    Drug,
}

/// A substance found in a text.
#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    /// Byte offset of its first character in the text.
    pub start: usize,
    /// Byte offset just after its last character.
    pub end: usize,
    /// The text as written there.
    pub text: String,
    /// How it was found.
    pub kind: HitKind,
    /// The substance's name (none for a structure not on file).
    pub substance: Option<String>,
    /// Its CAS number, if known.
    pub cas: Option<String>,
    /// The term it matched, as the catalogue or the data spells it.
    pub matched: String,
    /// Its status per jurisdiction on the date.
    pub status: BTreeMap<String, Status>,
    /// Drug, precursor, not controlled or undetermined.
    pub tier: Tier,
    /// The lists naming it on the date (list ids).
    pub listed: Vec<String>,
    /// What was undone to find it.
    pub normalisations: Vec<Normalisation>,
}

/// A sales signal or benign context found.
#[derive(Clone, Debug, Serialize)]
pub struct SignalHit {
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset after its last character.
    pub end: usize,
    /// As written.
    pub text: String,
    /// Its id in `signals.csv`.
    pub id: String,
    /// What it signals.
    pub kind: String,
    /// Its weight.
    pub weight: f64,
}

/// What the screening found in one text.
#[derive(Clone, Debug, Serialize)]
pub struct TextReport {
    /// The text's id.
    pub id: String,
    /// The decision.
    pub decision: Decision,
    /// The score (0 to 1), rounded to 3 places.
    pub score: f64,
    /// The substances found.
    pub hits: Vec<Hit>,
    /// The signals found.
    pub signals: Vec<SignalHit>,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
}

/// One term of an automaton.
#[derive(Clone, Debug)]
struct Term {
    /// Catalogue index of the substance.
    substance: usize,
    kind: HitKind,
    /// As written in the catalogue or the data.
    written: String,
    /// Folded length in chars of the plain view (short terms match only whole).
    short: bool,
    /// Word gaps in the term as written ("potassium permanganate": 1), so that only
    /// more count as spacing.
    spaces: usize,
}

/// The law's answer about one substance on one date, kept for the next text.
#[derive(Clone, Debug)]
struct Judged {
    status: BTreeMap<String, Status>,
    tier: Tier,
    listed: Vec<String>,
}

struct Signal {
    row: data::SignalRow,
    regex: Option<regex::Regex>,
}

/// Screens texts; build once, share between threads.
pub struct Screener {
    classifier: Arc<Classifier>,
    scoring: Scoring,
    drug_lists: HashSet<String>,
    terms: [Vec<Term>; 2],
    automata: [AhoCorasick; 2],
    signals: Vec<Signal>,
    literal_signals: AhoCorasick,
    literal_ids: Vec<usize>,
    judged: Mutex<HashMap<(usize, NaiveDate), Judged>>,
    /// Catalogue id → index in the catalogue's substances.
    index: HashMap<String, usize>,
    structure_cache: Mutex<HashMap<(String, NaiveDate), Hit>>,
}

/// Structures whose judgement is kept for the next text.
const STRUCTURE_CACHE: usize = 4096;

/// Terms shorter than this (folded) match only as a whole word, with at most hyphens
/// inside, and never in the leet view: "4 ap" in a sentence is not 4-AP.
const SHORT: usize = 5;
/// Names at least this long (folded) also match with one letter missing or two swapped.
const SLIP: usize = 8;

fn row_error(file: &'static str) -> impl Fn(usize, String) -> ScreenError {
    move |row, message| ScreenError::Data { file, row, message }
}

impl Screener {
    /// The screener of the built-in data over `classifier`'s catalogue.
    pub fn builtin(classifier: Arc<Classifier>) -> Result<Screener, ScreenError> {
        Screener::from_data(
            classifier,
            data::TERMS_CSV,
            data::SIGNALS_CSV,
            data::SCORING_JSON,
        )
    }

    /// A screener of the given data (the texts of `data/screening/`).
    pub fn from_data(
        classifier: Arc<Classifier>,
        terms_csv: &str,
        signals_csv: &str,
        scoring_json: &str,
    ) -> Result<Screener, ScreenError> {
        let scoring: Scoring =
            serde_json::from_str(scoring_json).map_err(|e| ScreenError::Data {
                file: "scoring.json",
                row: 0,
                message: e.to_string(),
            })?;
        let catalogue = classifier.catalogue();
        // Every list must be known as one of drugs or precursors: an unknown list would
        // otherwise be weighed as nothing.
        let known: HashSet<&String> = scoring
            .drug_lists
            .drugs
            .iter()
            .chain(&scoring.drug_lists.precursors)
            .collect();
        for l in catalogue.lists() {
            if !known.contains(&l.list_id) {
                return Err(ScreenError::Data {
                    file: "scoring.json",
                    row: 0,
                    message: format!(
                        "list {} is neither in drug_lists.drugs nor in drug_lists.precursors",
                        l.list_id
                    ),
                });
            }
        }
        let index: HashMap<String, usize> = catalogue
            .substances()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        let mut raw: Vec<(usize, HitKind, String)> = Vec::new();
        for (i, s) in catalogue.substances().iter().enumerate() {
            raw.push((i, HitKind::Name, s.name.clone()));
            for syn in &s.synonyms {
                // "Chinese name (English gloss)": both parts are terms; a systematic
                // name's parentheses are its own
                if syn.chars().any(fold::is_han) && syn.contains('(') {
                    for part in syn
                        .split(['(', ')'])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                    {
                        raw.push((i, synonym_kind(part), part.to_string()));
                    }
                } else {
                    raw.push((i, synonym_kind(syn), syn.clone()));
                }
            }
        }
        let mut r = csv::Reader::from_reader(terms_csv.as_bytes());
        let err = row_error("terms.csv");
        for (n, row) in r.deserialize::<data::TermRow>().enumerate() {
            let row = row.map_err(|e| err(n + 1, e.to_string()))?;
            let Some(&i) = index.get(row.substance.as_str()) else {
                return Err(err(
                    n + 1,
                    format!("no substance '{}' in the catalogue", row.substance),
                ));
            };
            let kind = match row.kind.as_str() {
                "misspelling" => HitKind::Misspelling,
                "code_word" => HitKind::CodeWord,
                "trade_name" => HitKind::TradeName,
                other => return Err(err(n + 1, format!("unknown kind '{other}'"))),
            };
            if row.source.trim().is_empty() {
                return Err(err(n + 1, "no source".into()));
            }
            raw.push((i, kind, row.term));
        }
        // One-letter slips of long names: generated, never shadowing a real term.
        let real: HashSet<String> = raw
            .iter()
            .map(|(_, _, t)| fold::fold_term(t, View::Plain))
            .collect();
        let mut slips = Vec::new();
        let mut seen_slips = HashSet::new();
        let mut generated = Vec::new();
        for (i, kind, t) in &raw {
            if !matches!(kind, HitKind::Name | HitKind::Synonym) {
                continue;
            }
            let f = fold::fold_term(t, View::Plain);
            if f.len() < SLIP || !f.is_ascii() {
                continue;
            }
            let b = f.as_bytes();
            for k in 0..b.len() {
                let mut v = b.to_vec();
                v.remove(k);
                slips.push(v);
                if k + 1 < b.len() && b[k] != b[k + 1] {
                    let mut w = b.to_vec();
                    w.swap(k, k + 1);
                    slips.push(w);
                }
            }
            for v in slips.drain(..) {
                let v = String::from_utf8(v).unwrap_or_default();
                if !real.contains(&v) && seen_slips.insert(v.clone()) {
                    generated.push((*i, HitKind::Misspelling, v));
                }
            }
        }
        raw.extend(generated);
        let mut terms: [Vec<Term>; 2] = [Vec::new(), Vec::new()];
        let mut patterns: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for (view_i, view) in [View::Plain, View::Leet].into_iter().enumerate() {
            let mut seen = HashSet::new();
            for (i, kind, t) in &raw {
                let plain = fold::fold_term(t, View::Plain);
                // too short or only digits to name anything ("2", "1R")
                if plain.chars().count() < 3 || plain.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let short = plain.chars().count() < SHORT;
                if view == View::Leet && short {
                    continue;
                }
                let p = fold::fold_term(t, view);
                if !seen.insert((p.clone(), *i)) {
                    continue;
                }
                patterns[view_i].push(p);
                let spaces = fold::fold(t, view)
                    .gap
                    .iter()
                    .skip(1)
                    .filter(|g| **g == Gap::Space)
                    .count();
                terms[view_i].push(Term {
                    substance: *i,
                    kind: *kind,
                    written: t.clone(),
                    short,
                    spaces,
                });
            }
        }
        let build = |p: &Vec<String>| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                // a DFA: built once, the fastest to scan with
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(p)
                .map_err(|e| ScreenError::Data {
                    file: "terms",
                    row: 0,
                    message: e.to_string(),
                })
        };
        let automata = [build(&patterns[0])?, build(&patterns[1])?];
        let mut signals = Vec::new();
        let mut literals = Vec::new();
        let mut literal_ids = Vec::new();
        let mut r = csv::Reader::from_reader(signals_csv.as_bytes());
        let err = row_error("signals.csv");
        for (n, row) in r.deserialize::<data::SignalRow>().enumerate() {
            let row = row.map_err(|e| err(n + 1, e.to_string()))?;
            if !(0.0..1.0).contains(&row.weight) {
                return Err(err(
                    n + 1,
                    format!("weight {} is not in [0, 1)", row.weight),
                ));
            }
            if row.source.trim().is_empty() {
                return Err(err(n + 1, "no source".into()));
            }
            let regex = if row.regex.is_empty() {
                if row.pattern.is_empty() {
                    return Err(err(n + 1, "neither a pattern nor a regex".into()));
                }
                literals.push(row.pattern.to_lowercase());
                literal_ids.push(signals.len());
                None
            } else {
                Some(
                    regex::RegexBuilder::new(&row.regex)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| err(n + 1, e.to_string()))?,
                )
            };
            signals.push(Signal { row, regex });
        }
        let literal_signals = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&literals)
            .map_err(|e| ScreenError::Data {
                file: "signals.csv",
                row: 0,
                message: e.to_string(),
            })?;
        let drug_lists = scoring.drug_lists.drugs.iter().cloned().collect();
        Ok(Screener {
            classifier,
            scoring,
            drug_lists,
            terms,
            automata,
            signals,
            literal_signals,
            literal_ids,
            judged: Mutex::new(HashMap::new()),
            index,
            structure_cache: Mutex::new(HashMap::new()),
        })
    }

    /// The weights and thresholds in use.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// How many terms the name automata hold (plain view, leet view).
    pub fn term_count(&self) -> (usize, usize) {
        (self.terms[0].len(), self.terms[1].len())
    }

    /// Screens one text as the law stood on `date`.
    pub fn screen(&self, id: &str, text: &str, date: NaiveDate) -> Result<TextReport, ScreenError> {
        if text.len() > MAX_TEXT {
            return Err(ScreenError::TooLong {
                id: id.to_string(),
                len: text.len(),
                max: MAX_TEXT,
            });
        }
        let mut found: Vec<Found> = Vec::new();
        for (view_i, view) in [View::Plain, View::Leet].into_iter().enumerate() {
            let folded = fold::fold(text, view);
            self.names(&folded, view_i, text, &mut found);
        }
        self.cas_numbers(text, &mut found);
        let mut hits: Vec<Hit> = Vec::new();
        for f in choose(found) {
            let judged = self.judge_substance(f.substance, date);
            let s = &self.classifier.catalogue().substances()[f.substance];
            hits.push(Hit {
                start: f.start,
                end: f.end,
                text: text[f.start..f.end].to_string(),
                kind: f.kind,
                substance: Some(s.name.clone()),
                cas: s.cas.as_ref().map(|c| c.as_str().to_string()),
                matched: f.written,
                status: judged.status,
                tier: judged.tier,
                listed: judged.listed,
                normalisations: f.normalisations,
            });
        }
        let mut notes = Vec::new();
        self.structures(text, date, &mut hits, &mut notes);
        hits.sort_by_key(|h| (h.start, h.end));
        let signals = self.signals_in(text);
        Ok(self.decide(id, hits, signals, notes))
    }

    fn names(&self, folded: &Folded, view_i: usize, text: &str, out: &mut Vec<Found>) {
        let bytes = folded.text.as_bytes();
        for m in self.automata[view_i].find_overlapping_iter(&folded.text) {
            let (s, e) = (m.start(), m.end());
            let term = &self.terms[view_i][m.pattern().as_usize()];
            let first_han = fold::han_at(&folded.text[s..e], true);
            let last_han = fold::han_at(&folded.text[s..e], false);
            // a word boundary before and after (Han characters are words of their own)
            let before = s == 0
                || folded.gap[s] >= Gap::Hyphen
                || first_han
                || fold::han_at(&folded.text[..s], false);
            let after = e == bytes.len()
                || folded.gap[e] >= Gap::Hyphen
                || last_han
                || fold::han_at(&folded.text[e..], true);
            if !(before && after) {
                continue;
            }
            let inner = &folded.gap[s + 1..e];
            // a short term is spaced out only letter by letter ("N P P"), never across
            // words ("version 4 AP")
            let inner_chars = folded.text[s..e]
                .char_indices()
                .skip(1)
                .map(|(k, _)| folded.gap[s + k]);
            if term.short
                && inner.contains(&Gap::Space)
                && inner_chars.clone().any(|g| g < Gap::Hyphen)
            {
                continue;
            }
            let (start, end) = (folded.start[s] as usize, folded.end[e - 1] as usize);
            let mut n: Vec<Normalisation> = Vec::new();
            let flags = folded.flags[s..e].iter().fold(0u8, |a, f| a | f);
            if flags & fold::flag::CONFUSABLE != 0 {
                n.push(Normalisation::Confusable);
            }
            if flags & fold::flag::FULL_WIDTH != 0 {
                n.push(Normalisation::FullWidth);
            }
            if flags & fold::flag::ZERO_WIDTH != 0 {
                n.push(Normalisation::ZeroWidth);
            }
            if flags & fold::flag::LEET != 0 {
                n.push(Normalisation::Leetspeak);
            }
            if inner.iter().filter(|g| **g == Gap::Space).count() > term.spaces {
                n.push(Normalisation::Spacing);
            }
            if odd_case(&text[start..end]) {
                n.push(Normalisation::Case);
            }
            if term.kind == HitKind::Misspelling {
                n.push(Normalisation::Misspelling);
            }
            out.push(Found {
                start,
                end,
                substance: term.substance,
                kind: term.kind,
                written: term.written.clone(),
                normalisations: n,
            });
        }
    }

    fn cas_numbers(&self, text: &str, out: &mut Vec<Found>) {
        let catalogue = self.classifier.catalogue();
        for run in digit_runs(text) {
            let g = &run.groups;
            let mut i = 0;
            while i < g.len() {
                let mut taken = None;
                // the longest window of groups from i that is a CAS number on file
                for j in (i..g.len().min(i + 5)).rev() {
                    let digits: String = g[i..=j].iter().map(|d| d.digits.as_str()).collect();
                    if !(5..=10).contains(&digits.len()) {
                        continue;
                    }
                    let n = digits.len();
                    let canonical = format!(
                        "{}-{}-{}",
                        &digits[..n - 3],
                        &digits[n - 3..n - 1],
                        &digits[n - 1..]
                    );
                    let Ok(cas) = canonical.parse::<law::cas::CasNumber>() else {
                        continue;
                    };
                    let Some(s) = catalogue.by_cas(&cas) else {
                        continue;
                    };
                    let (start, end) = (g[i].start, g[j].end);
                    let written = &text[start..end];
                    let mut n = Vec::new();
                    if written != canonical {
                        n.push(Normalisation::CasSeparators);
                    }
                    if written
                        .chars()
                        .any(|c| ('\u{FF10}'..='\u{FF19}').contains(&c))
                    {
                        n.push(Normalisation::FullWidth);
                    }
                    if written.chars().any(fold::is_invisible) {
                        n.push(Normalisation::ZeroWidth);
                    }
                    let Some(&idx) = self.index.get(&s.id) else {
                        continue;
                    };
                    taken = Some((
                        j,
                        Found {
                            start,
                            end,
                            substance: idx,
                            kind: HitKind::Cas,
                            written: canonical,
                            normalisations: n,
                        },
                    ));
                    break;
                }
                match taken {
                    Some((j, f)) => {
                        out.push(f);
                        i = j + 1;
                    }
                    None => i += 1,
                }
            }
        }
    }

    fn structures(
        &self,
        text: &str,
        date: NaiveDate,
        hits: &mut Vec<Hit>,
        notes: &mut Vec<String>,
    ) {
        let catalogue = self.classifier.catalogue();
        let mut judged = 0;
        for (start, token) in tokens(text) {
            if looks_like_inchikey(token) {
                if let Some(s) = catalogue.by_inchikey(token) {
                    let Some(&idx) = self.index.get(&s.id) else {
                        continue;
                    };
                    let j = self.judge_substance(idx, date);
                    hits.push(Hit {
                        start,
                        end: start + token.len(),
                        text: token.to_string(),
                        kind: HitKind::Inchikey,
                        substance: Some(s.name.clone()),
                        cas: s.cas.as_ref().map(|c| c.as_str().to_string()),
                        matched: token.to_string(),
                        status: j.status,
                        tier: j.tier,
                        listed: j.listed,
                        normalisations: Vec::new(),
                    });
                }
                continue;
            }
            if !looks_like_smiles(token) {
                continue;
            }
            if judged == MAX_STRUCTURES {
                notes.push(format!(
                    "more than {MAX_STRUCTURES} structures in the text: '{}' and any after it were not judged",
                    law::excerpt(token)
                ));
                break;
            }
            // the same structure is asked again and again (a listing reposted)
            let key = (token.to_string(), date);
            if let Some(mut h) = self
                .structure_cache
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned())
            {
                judged += 1;
                h.start = start;
                h.end = start + token.len();
                hits.push(h);
                continue;
            }
            // Only what reads as SMILES goes to the law: its resolver would otherwise
            // look for names close to each word-like token.
            if chem::smiles::parse_within(token, self.classifier.limits()).is_err() {
                continue;
            }
            let Ok(query) = self.classifier.resolve(token) else {
                continue;
            };
            if !matches!(query, law::Query::Structure { .. }) {
                continue;
            }
            judged += 1;
            let c = self
                .classifier
                .classify(&query, law::Jurisdictions::All, date);
            let j = self.judgement(&c);
            // the substance on file with this structure, if any
            let on_file = c
                .parent_smiles
                .as_deref()
                .and_then(|k| catalogue.by_structure_key(k).into_iter().next());
            let hit = Hit {
                start,
                end: start + token.len(),
                text: token.to_string(),
                kind: HitKind::Smiles,
                substance: on_file.map(|s| s.name.clone()).or_else(|| c.name.clone()),
                cas: on_file
                    .and_then(|s| s.cas.as_ref())
                    .map(|c| c.as_str().to_string()),
                matched: c.parent_smiles.clone().unwrap_or_else(|| token.to_string()),
                status: j.status,
                tier: j.tier,
                listed: j.listed,
                normalisations: Vec::new(),
            };
            if let Ok(mut cache) = self.structure_cache.lock() {
                if cache.len() >= STRUCTURE_CACHE {
                    cache.clear();
                }
                cache.insert(key, hit.clone());
            }
            hits.push(hit);
        }
    }

    fn judge_substance(&self, idx: usize, date: NaiveDate) -> Judged {
        if let Ok(cache) = self.judged.lock() {
            if let Some(j) = cache.get(&(idx, date)) {
                return j.clone();
            }
        }
        let s = &self.classifier.catalogue().substances()[idx];
        let query = law::Query::Substance {
            id: s.id.clone(),
            matched_by: law::MatchedBy::Name,
            salt: None,
        };
        let c = self
            .classifier
            .classify(&query, law::Jurisdictions::All, date);
        let j = self.judgement(&c);
        if let Ok(mut cache) = self.judged.lock() {
            // the dates asked are few; bound the map all the same
            if cache.len() > 100_000 {
                cache.clear();
            }
            cache.insert((idx, date), j.clone());
        }
        j
    }

    fn judgement(&self, c: &law::Classification) -> Judged {
        let mut status = BTreeMap::new();
        let mut listed = Vec::new();
        // controlled anywhere decides the tier; undetermined only when nowhere controlled
        let mut tier = Tier::NotControlled;
        let mut undetermined = false;
        for v in &c.verdicts {
            status.insert(v.jurisdiction.clone(), v.status);
            let t = match v.status {
                Status::Undetermined => {
                    undetermined = true;
                    Tier::NotControlled
                }
                Status::NotControlled => Tier::NotControlled,
                Status::Controlled => {
                    let generic = v
                        .generic
                        .as_ref()
                        .is_some_and(|g| g.in_force && g.result == law::Outcome::Match);
                    // a drug list's entry, unless the list names it as a precursor
                    // (Schedule II's "immediate precursor" ANPP)
                    let drug = generic
                        || v.listings.iter().any(|l| {
                            self.drug_lists.contains(&l.list_id)
                                && !l.category.to_lowercase().contains("precursor")
                        });
                    if drug {
                        Tier::Drug
                    } else {
                        Tier::Precursor
                    }
                }
            };
            tier = tier.max(t);
            for l in &v.listings {
                if !listed.contains(&l.list_id) {
                    listed.push(l.list_id.clone());
                }
            }
        }
        if tier == Tier::NotControlled && undetermined {
            tier = Tier::Undetermined;
        }
        for o in &c.other_listings {
            if !listed.contains(&o.listing.list_id) {
                listed.push(o.listing.list_id.clone());
            }
        }
        Judged {
            status,
            tier,
            listed,
        }
    }

    fn signals_in(&self, text: &str) -> Vec<SignalHit> {
        let mut out = Vec::new();
        let hit = |s: &Signal, start: usize, end: usize| SignalHit {
            start,
            end,
            text: text[start..end].to_string(),
            id: s.row.id.clone(),
            kind: s.row.kind.clone(),
            weight: s.row.weight,
        };
        for m in self.literal_signals.find_iter(text) {
            // a word's start: "btc" is not inside "abtc"
            let before = text[..m.start()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric())
                && text[m.start()..].starts_with(|c: char| c.is_ascii_alphanumeric())
            {
                continue;
            }
            let s = &self.signals[self.literal_ids[m.pattern().as_usize()]];
            out.push(hit(s, m.start(), m.end()));
        }
        for s in &self.signals {
            if let Some(re) = &s.regex {
                for m in re.find_iter(text).take(64) {
                    // a pattern's leading context (the space before a handle) is not
                    // the signal
                    let lead = m.as_str().len()
                        - m.as_str()
                            .trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '(')
                            .len();
                    out.push(hit(s, m.start() + lead, m.end()));
                }
            }
        }
        out.sort_by_key(|h| (h.start, h.end));
        out
    }

    fn decide(
        &self,
        id: &str,
        hits: Vec<Hit>,
        signals: Vec<SignalHit>,
        notes: Vec<String>,
    ) -> TextReport {
        let sc = &self.scoring;
        let mut reasons = Vec::new();
        // each kind of signal counts once, at its strongest
        let mut kinds: BTreeMap<&str, (f64, &SignalHit)> = BTreeMap::new();
        for g in &signals {
            let e = kinds.entry(g.kind.as_str()).or_insert((g.weight, g));
            if g.weight > e.0 {
                *e = (g.weight, g);
            }
        }
        let offer_kinds = kinds.keys().filter(|k| **k != "benign_context").count();
        // the strongest substance found; a code word (often an ordinary word: "apache")
        // counts only beside two kinds of sales signal
        let mut strongest: Option<(f64, &Hit)> = None;
        for h in &hits {
            if h.kind == HitKind::CodeWord && offer_kinds < 2 {
                reasons.push(format!(
                    "'{}' is a code word for {}, but without two kinds of sales signal beside it it counts for nothing",
                    h.text,
                    h.substance.as_deref().unwrap_or("a substance")
                ));
                continue;
            }
            let w = self.weight(h);
            if strongest.is_none_or(|(best, _)| w > best) {
                strongest = Some((w, h));
            }
        }
        let s = strongest.map(|(w, _)| w).unwrap_or(0.0);
        if let Some((w, h)) = strongest {
            let name = h.substance.clone().unwrap_or_else(|| "a structure".into());
            let how = if h.normalisations.is_empty() {
                String::new()
            } else {
                format!(
                    " after undoing {}",
                    h.normalisations
                        .iter()
                        .map(|n| format!("{n:?}").to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let tier = match h.tier {
                Tier::Drug => "a controlled drug",
                Tier::Precursor => "a controlled precursor",
                Tier::Undetermined => "a substance that could not be judged",
                Tier::NotControlled => "a substance not under control",
            };
            reasons.push(format!(
                "{name} ({tier}; listed: {}) is named as '{}' ({:?}){how}: weight {w:.2}",
                if h.listed.is_empty() {
                    "none".to_string()
                } else {
                    h.listed.join(", ")
                },
                h.text,
                h.kind
            ));
        }
        let mut keep = 1.0 - s;
        let mut benign = 1.0;
        for (kind, (w, g)) in &kinds {
            if *kind == "benign_context" {
                // an offer that speaks of seizures ("reship if seized") is still an offer
                if offer_kinds >= 2 {
                    reasons.push(format!(
                        "'{}' would suggest a harmless context, but the text has {offer_kinds} kinds of sales signal",
                        g.text
                    ));
                    continue;
                }
                benign *= 1.0 - w;
                reasons.push(format!(
                    "'{}' suggests a harmless context: score x {:.2}",
                    g.text,
                    1.0 - w
                ));
            } else {
                keep *= 1.0 - w;
                reasons.push(format!("sales signal {kind}: '{}' (weight {w:.2})", g.text));
            }
        }
        let mut score = (1.0 - keep) * benign;
        // a substance named alone, or signals without a substance, are at most review
        let offer_signs = kinds.keys().any(|k| *k != "benign_context");
        let mut decision = if score >= sc.flag {
            Decision::Flag
        } else if score >= sc.review {
            Decision::Review
        } else {
            Decision::Clear
        };
        if decision == Decision::Flag && (s == 0.0 || !offer_signs) {
            decision = Decision::Review;
            reasons.push("no substance and signs of an offer together: review, not flag".into());
        }
        // Fail safe: a structure that could not be judged is never cleared.
        if decision == Decision::Clear && hits.iter().any(|h| h.tier == Tier::Undetermined) {
            decision = Decision::Review;
            score = score.max(sc.review);
            reasons.push("a substance named could not be judged: review".into());
        }
        reasons.push(format!(
            "score {score:.3}: {} (flag at {:.2}, review at {:.2})",
            decision.as_str(),
            sc.flag,
            sc.review
        ));
        reasons.extend(notes);
        TextReport {
            id: id.to_string(),
            decision,
            score: (score * 1000.0).round() / 1000.0,
            hits,
            signals,
            reasons,
        }
    }

    fn weight(&self, h: &Hit) -> f64 {
        let sc = &self.scoring;
        let by_tier = match h.tier {
            Tier::Drug => sc.drug,
            Tier::Precursor => h
                .substance
                .as_deref()
                .and_then(|n| self.classifier.catalogue().by_name(n))
                .and_then(|s| sc.substance_weight(&s.id))
                .unwrap_or(sc.precursor),
            Tier::Undetermined => sc.review,
            Tier::NotControlled => 0.0,
        };
        if h.kind == HitKind::CodeWord {
            by_tier.min(sc.code_word)
        } else {
            by_tier
        }
    }
}

/// A candidate hit on a catalogue substance.
#[derive(Clone, Debug)]
struct Found {
    start: usize,
    end: usize,
    substance: usize,
    kind: HitKind,
    written: String,
    normalisations: Vec<Normalisation>,
}

/// Overlapping candidates: the longest span wins, then the one with fewest
/// normalisations; identical spans and substances are one hit.
fn choose(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.normalisations.len().cmp(&b.normalisations.len()))
            .then(a.kind.cmp(&b.kind))
            .then(a.start.cmp(&b.start))
    });
    let mut taken: Vec<Found> = Vec::new();
    for f in found {
        if taken.iter().any(|t| f.start < t.end && t.start < f.end) {
            continue;
        }
        taken.push(f);
    }
    taken.sort_by_key(|f| f.start);
    taken
}

fn synonym_kind(s: &str) -> HitKind {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    if s.len() <= 12 && upper >= 2 && upper * 2 >= letters.len() {
        HitKind::Abbreviation
    } else {
        HitKind::Synonym
    }
}

/// Case that disguises: a capital after a small letter inside a word ("fEnTaNyL"),
/// not "Fentanyl", "FENTANYL" or "4-ANPP".
fn odd_case(s: &str) -> bool {
    let mut prev_lower = false;
    let mut switches = 0;
    for c in s.chars() {
        if c.is_uppercase() && prev_lower {
            switches += 1;
        }
        if c.is_alphabetic() {
            prev_lower = c.is_lowercase();
        }
    }
    switches > 0 && s.chars().filter(|c| c.is_alphabetic()).count() > 3
}

struct DigitGroup {
    digits: String,
    start: usize,
    end: usize,
}

struct DigitRun {
    groups: Vec<DigitGroup>,
}

/// Runs of digit groups separated by at most three separator characters (spaces,
/// hyphens, dots, slashes, zero-width characters); full-width digits read as digits.
fn digit_runs(text: &str) -> Vec<DigitRun> {
    let mut runs = Vec::new();
    let mut groups: Vec<DigitGroup> = Vec::new();
    let mut sep = 0usize;
    let mut in_group = false;
    for (at, c) in text.char_indices() {
        let digit = if c.is_ascii_digit() {
            Some(c)
        } else if ('\u{FF10}'..='\u{FF19}').contains(&c) {
            char::from_u32(c as u32 - 0xFF10 + '0' as u32)
        } else {
            None
        };
        if let Some(d) = digit {
            if in_group {
                if let Some(g) = groups.last_mut() {
                    g.digits.push(d);
                    g.end = at + c.len_utf8();
                }
            } else {
                if sep > 3 && !groups.is_empty() {
                    runs.push(DigitRun {
                        groups: std::mem::take(&mut groups),
                    });
                }
                groups.push(DigitGroup {
                    digits: d.to_string(),
                    start: at,
                    end: at + c.len_utf8(),
                });
                in_group = true;
            }
            sep = 0;
        } else if !groups.is_empty()
            && (c == ' '
                || c == '.'
                || c == '_'
                || c == '/'
                || fold::is_invisible(c)
                || is_sep_hyphen(c))
        {
            in_group = false;
            sep += 1;
        } else {
            in_group = false;
            if !groups.is_empty() {
                runs.push(DigitRun {
                    groups: std::mem::take(&mut groups),
                });
            }
            sep = 0;
        }
    }
    if !groups.is_empty() {
        runs.push(DigitRun { groups });
    }
    runs
}

fn is_sep_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}' | '\u{3000}'
    )
}

/// Tokens between whitespace and list punctuation, trailing sentence punctuation cut,
/// with their byte offsets.
fn tokens<'a>(text: &'a str) -> Vec<(usize, &'a str)> {
    let sep = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | '，' | '；' | '、');
    let mut out = Vec::new();
    let mut start = None;
    let push = |out: &mut Vec<(usize, &'a str)>, s: usize, e: usize| {
        let t = text[s..e].trim_end_matches(['.', ':', '。', '：']);
        if !t.is_empty() {
            out.push((s, t));
        }
    };
    for (at, c) in text.char_indices() {
        match (sep(c), start) {
            (true, Some(s)) => {
                push(&mut out, s, at);
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(s) = start {
        push(&mut out, s, text.len());
    }
    out
}

fn looks_like_inchikey(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 27
        && b[14] == b'-'
        && b[25] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 14 || i == 25 || c.is_ascii_uppercase())
}

fn looks_like_smiles(t: &str) -> bool {
    if t.len() < 6 || t.len() > 1000 || t.contains("://") {
        return false;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "()[]=#@+-\\/%.:*".contains(c);
    if !t.chars().all(allowed) {
        return false;
    }
    let structural = t.chars().any(|c| "()=#[]".contains(c));
    let ring = t
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_digit());
    let atoms = t.chars().filter(|c| "CNOcnosSF".contains(*c)).count();
    (structural || ring) && atoms >= 4 && !t.chars().all(|c| c.is_ascii_digit() || c == '-')
}
