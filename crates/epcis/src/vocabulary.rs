//! CBV 2.0 vocabulary: the bare words EPCIS 2.0 JSON allows (`"bizStep": "shipping"`)
//! and the EPCIS 1.x URNs (`urn:epcglobal:cbv:bizstep:shipping`) both become the web
//! vocabulary URI (`https://ref.gs1.org/cbv/BizStep-shipping`), so filters and rules
//! compare one form.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Which CBV vocabulary a field's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vocabulary {
    /// Business steps.
    BizStep,
    /// Dispositions (also persistent dispositions).
    Disposition,
    /// Business transaction types.
    BusinessTransactionType,
    /// Source/destination types.
    SourceDestinationType,
    /// Error reasons of error declarations.
    ErrorReason,
}

impl Vocabulary {
    fn web_prefix(self) -> &'static str {
        match self {
            Vocabulary::BizStep => "https://ref.gs1.org/cbv/BizStep-",
            Vocabulary::Disposition => "https://ref.gs1.org/cbv/Disp-",
            Vocabulary::BusinessTransactionType => "https://ref.gs1.org/cbv/BTT-",
            Vocabulary::SourceDestinationType => "https://ref.gs1.org/cbv/SDT-",
            Vocabulary::ErrorReason => "https://ref.gs1.org/cbv/ER-",
        }
    }

    fn terms_key(self) -> &'static str {
        match self {
            Vocabulary::BizStep => "BizStep",
            Vocabulary::Disposition => "Disp",
            Vocabulary::BusinessTransactionType => "BTT",
            Vocabulary::SourceDestinationType => "SDT",
            Vocabulary::ErrorReason => "ER",
        }
    }

    /// Whether a bare word is a term of this CBV vocabulary.
    pub fn knows(self, word: &str) -> bool {
        terms()
            .get(self.terms_key())
            .is_some_and(|t| t.contains(word))
    }

    fn urn_prefix(self) -> &'static str {
        match self {
            Vocabulary::BizStep => "urn:epcglobal:cbv:bizstep:",
            Vocabulary::Disposition => "urn:epcglobal:cbv:disp:",
            Vocabulary::BusinessTransactionType => "urn:epcglobal:cbv:btt:",
            Vocabulary::SourceDestinationType => "urn:epcglobal:cbv:sdt:",
            Vocabulary::ErrorReason => "urn:epcglobal:cbv:er:",
        }
    }

    /// The web vocabulary URI of a value in any of its spellings; a value that is
    /// already some other URI (a user vocabulary), or a bare word CBV does not define,
    /// is kept as it is.
    pub fn expand(self, value: &str) -> String {
        if let Some(word) = value.strip_prefix(self.urn_prefix()) {
            return format!("{}{word}", self.web_prefix());
        }
        if is_bare_word(value) && self.knows(value) {
            return format!("{}{value}", self.web_prefix());
        }
        value.to_string()
    }

    /// The bare word of a CBV value (`shipping` for any spelling of it), or `None` for
    /// a user vocabulary value.
    pub fn word(self, value: &str) -> Option<String> {
        let expanded = self.expand(value);
        expanded.strip_prefix(self.web_prefix()).map(str::to_string)
    }
}

/// The CBV term lists (`data/cbv_terms.json`, from GS1's EPCIS 2.0 JSON-LD context), by
/// vocabulary, as sets: every bare value of every captured event is looked up here.
fn terms() -> &'static HashMap<String, HashSet<String>> {
    static TERMS: OnceLock<HashMap<String, HashSet<String>>> = OnceLock::new();
    TERMS.get_or_init(|| {
        // Compiled in and checked by a test, so a parse failure is a build defect.
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(include_str!("../data/cbv_terms.json")).unwrap_or_default();
        raw.into_iter()
            .filter_map(|(k, v)| {
                let words = v
                    .as_array()?
                    .iter()
                    .filter_map(|t| t.as_str().map(String::from));
                Some((k, words.collect()))
            })
            .collect()
    })
}

/// Old-style CBV URNs anywhere in a text become web vocabulary URIs.
pub fn web_form_of_urns(text: &str) -> String {
    let mut out = text.to_string();
    for v in [
        Vocabulary::BizStep,
        Vocabulary::Disposition,
        Vocabulary::BusinessTransactionType,
        Vocabulary::SourceDestinationType,
        Vocabulary::ErrorReason,
    ] {
        if out.contains(v.urn_prefix()) {
            out = out.replace(v.urn_prefix(), v.web_prefix());
        }
    }
    out
}

/// A bare CBV word: letters, digits and `_` only (anything else is a URI of its own).
fn is_bare_word(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_meet() {
        let b = Vocabulary::BizStep;
        assert_eq!(
            b.expand("shipping"),
            "https://ref.gs1.org/cbv/BizStep-shipping"
        );
        assert_eq!(
            b.expand("urn:epcglobal:cbv:bizstep:shipping"),
            "https://ref.gs1.org/cbv/BizStep-shipping"
        );
        assert_eq!(
            b.expand("https://example.com/steps/weigh"),
            "https://example.com/steps/weigh"
        );
        assert_eq!(
            b.word("urn:epcglobal:cbv:bizstep:receiving").as_deref(),
            Some("receiving")
        );
        assert_eq!(Vocabulary::Disposition.word("https://example.com/x"), None);
        // a bare word CBV does not define stays as written
        assert_eq!(b.expand("weighing"), "weighing");
        assert!(Vocabulary::ErrorReason.knows("incorrect_data"));
        assert!(Vocabulary::BusinessTransactionType.knows("po"));
        assert!(Vocabulary::SourceDestinationType.knows("owning_party"));
    }
}
