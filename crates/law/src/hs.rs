//! Customs headings of catalogue substances (`data/hs/headings.csv`): the Harmonized
//! System subheading (six digits, WCO nomenclature) and, where a source gives one,
//! China's ten-digit customs code, each with its source and what is unconfirmed. A
//! substance without a row has no heading on file, which is said as such, never guessed.

use serde::Deserialize;
use std::collections::HashMap;

const HEADINGS_CSV: &str = include_str!("../../../data/hs/headings.csv");

/// A substance's customs headings.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct HsHeading {
    /// Catalogue id of the substance.
    pub substance: String,
    /// Harmonized System subheading (`2933.37`).
    pub hs: String,
    /// China's customs code (ten digits), if a source gives it.
    #[serde(default)]
    pub cn_code: String,
    /// Where it comes from (instrument, subheading, date).
    pub source: String,
    /// Which of `hs`, `cn_code` are not confirmed against an official text.
    #[serde(default)]
    pub unconfirmed: String,
}

impl HsHeading {
    /// Whether the subheading is confirmed against an official text.
    pub fn hs_confirmed(&self) -> bool {
        !self.unconfirmed.split(';').any(|f| f.trim() == "hs")
    }
}

/// The headings on file, by substance.
#[derive(Clone, Debug, Default)]
pub struct HsHeadings {
    by_substance: HashMap<String, HsHeading>,
}

impl HsHeadings {
    /// The headings shipped with FentGuard; a malformed row (a subheading that is not
    /// `dddd.dd`, a China code that is not ten digits, a substance twice) is an error.
    pub fn builtin() -> Result<HsHeadings, String> {
        let mut by_substance = HashMap::new();
        let mut r = csv::Reader::from_reader(HEADINGS_CSV.as_bytes());
        for (i, row) in r.deserialize::<HsHeading>().enumerate() {
            let h = row.map_err(|e| format!("data/hs/headings.csv row {}: {e}", i + 1))?;
            let hs_ok = h.hs.len() == 7
                && h.hs.as_bytes()[4] == b'.'
                && h.hs.chars().filter(char::is_ascii_digit).count() == 6;
            let cn_ok = h.cn_code.is_empty()
                || (h.cn_code.len() == 10 && h.cn_code.chars().all(|c| c.is_ascii_digit()));
            if !hs_ok || !cn_ok {
                return Err(format!(
                    "data/hs/headings.csv row {}: '{}' / '{}' is not a subheading dddd.dd and a ten-digit code",
                    i + 1,
                    h.hs,
                    h.cn_code
                ));
            }
            if by_substance.insert(h.substance.clone(), h).is_some() {
                return Err(format!(
                    "data/hs/headings.csv row {}: the substance has a row already",
                    i + 1
                ));
            }
        }
        Ok(HsHeadings { by_substance })
    }

    /// The headings of a catalogue substance.
    pub fn of(&self, substance: &str) -> Option<&HsHeading> {
        self.by_substance.get(substance)
    }

    /// Every row (for checks against the catalogue).
    pub fn all(&self) -> impl Iterator<Item = &HsHeading> {
        self.by_substance.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_load_and_every_row_names_a_catalogue_substance() {
        let h = HsHeadings::builtin().expect("headings");
        let npp = h.of("n-phenethyl-4-piperidone").expect("NPP");
        assert_eq!(npp.hs, "2933.37");
        assert!(npp.hs_confirmed());
        assert!(!h
            .of("4-anilino-n-phenethylpiperidine")
            .expect("ANPP")
            .hs_confirmed());
        assert_eq!(
            h.of("norfentanyl").expect("norfentanyl").cn_code,
            "2933399073"
        );
        let catalogue = crate::catalogue::Catalogue::builtin().expect("catalogue");
        for row in h.all() {
            assert!(
                catalogue.substance(&row.substance).is_some(),
                "{} is not in the catalogue",
                row.substance
            );
        }
    }
}
