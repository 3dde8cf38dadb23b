//! Salt forms named by their counter-ion ("fentanyl citrate"), from
//! `data/reference/salts.csv`: which counter-ion, and in what ratio to the base.

use serde::Deserialize;

const SALTS_CSV: &str = include_str!("../../../data/reference/salts.csv");

/// A salt form named by its counter-ion.
#[derive(Clone, Debug, Deserialize)]
pub struct Salt {
    /// Its name as written after a base name (`citrate`).
    pub name: String,
    /// Other spellings, `;`-separated.
    pub synonyms: String,
    /// The counter-ion (as its neutral acid).
    pub counter_ion_smiles: String,
    /// Base molecules per counter-ion.
    pub parent_per_counter_ion: f64,
}

/// The salt table.
#[derive(Clone, Debug, Default)]
pub struct Salts {
    salts: Vec<Salt>,
}

impl Salts {
    /// The table shipped in `data/reference/salts.csv`.
    pub fn builtin() -> Result<Salts, String> {
        let salts = csv::Reader::from_reader(SALTS_CSV.as_bytes())
            .deserialize::<Salt>()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("data/reference/salts.csv: {e}"))?;
        for s in &salts {
            chem::smiles::parse(&s.counter_ion_smiles)
                .map_err(|e| format!("data/reference/salts.csv: counter-ion of {}: {e}", s.name))?;
        }
        Ok(Salts { salts })
    }

    /// Split "BASE SALT" at a salt name the table knows (case-insensitive, whole
    /// word): the base text as written and the salt. `None` when no salt name ends it.
    pub fn split<'t>(&self, text: &'t str) -> Option<(&'t str, &Salt)> {
        let t = text.trim();
        let lower = t.to_lowercase();
        let mut best: Option<(usize, &Salt)> = None;
        for salt in &self.salts {
            let names =
                std::iter::once(salt.name.as_str()).chain(salt.synonyms.split(';').map(str::trim));
            for n in names.filter(|n| !n.is_empty()) {
                let suffix = n.to_lowercase();
                let Some(base) = lower.strip_suffix(&suffix) else {
                    continue;
                };
                // a whole word: "citrate" in "fentanyl citrate", not in "xcitrate"
                if !base.ends_with(char::is_whitespace) || base.trim().is_empty() {
                    continue;
                }
                let cut = base.trim_end().len();
                // the longest salt name wins ("hydrogen tartrate" over "tartrate")
                if best.is_none_or(|(c, _)| cut < c) {
                    best = Some((cut, salt));
                }
            }
        }
        // `lower` and `t` differ in length only for characters whose lower case is
        // longer; then give up rather than cut `t` at a wrong place.
        best.filter(|_| lower.len() == t.len())
            .map(|(cut, s)| (&t[..cut], s))
    }

    /// kg of free base per kg of the salt of a base of molecular weight `base_mw`.
    pub fn base_ratio(salt: &Salt, base_mw: f64) -> f64 {
        let counter = chem::smiles::parse(&salt.counter_ion_smiles)
            .map(|m| chem::formula::molecular_weight(&m))
            .unwrap_or(0.0);
        let mb = base_mw * salt.parent_per_counter_ion;
        if mb + counter <= 0.0 {
            1.0
        } else {
            mb / (mb + counter)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Salts;

    #[test]
    fn splits_at_a_whole_salt_word() {
        let s = Salts::builtin().unwrap();
        let (base, salt) = s.split("Fentanyl Citrate").unwrap();
        assert_eq!((base, salt.name.as_str()), ("Fentanyl", "citrate"));
        assert!(s.split("citrate").is_none());
        assert!(s.split("fentanylcitrate").is_none());
        let (base, salt) = s.split("x hydrogen tartrate").unwrap();
        assert_eq!((base, salt.name.as_str()), ("x", "tartrate"));
    }
}
