//! # law: is this chemical controlled, where, and why?
//!
//! The regulatory knowledge of FentGuard as data plus the engine that applies it: the
//! named lists (China's narcotic catalogue and supplementary list, precursor classes, UN
//! Tables, US schedules and List I, EU categories) and the generic structural definitions
//! of fentanyl-related substances (China 2019, US class). Pure: no I/O beyond the data
//! embedded at build time, no HTTP, no SQL.
//!
//! ```
//! let classifier = law::Classifier::builtin().unwrap();
//! let q = classifier.resolve("CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1 acetylfentanyl").unwrap();
//! let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
//! let c = classifier.classify(&q, law::Jurisdictions::All, date);
//! let cn = c.verdict("CN").unwrap();
//! assert_eq!(cn.generic.as_ref().unwrap().result, law::Outcome::Match);
//! assert_eq!(cn.generic.as_ref().unwrap().conditions, vec!["1"]);
//! ```

#![warn(missing_docs)]

pub mod cas;
pub mod catalogue;
pub mod classify;
pub mod export;
pub mod fentanyl_class;
pub mod groups;
pub mod hs;
pub mod names;
pub mod salts;

pub use chrono::NaiveDate;
pub use classify::{
    excerpt, Classification, Classifier, InputError, Jurisdictions, LoadError, MatchedBy, Query,
    Status, Verdict,
};
pub use export::{ExportAnswer, ExportChecker, ExportDecision, ExportError};
pub use fentanyl_class::Outcome;
