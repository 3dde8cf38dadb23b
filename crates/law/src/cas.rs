//! CAS Registry Numbers, validated by their check digit when built.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A CAS Registry Number whose check digit is correct.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CasNumber(String);

/// Why a text is not a valid CAS number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CasError {
    /// Not of the form NNNNNNN-NN-N.
    #[error("'{0}' is not a CAS number (expected 2-7 digits, 2 digits and a check digit, e.g. 437-38-7)")]
    Format(String),
    /// The check digit is wrong.
    #[error("CAS number '{text}' has check digit {given}, expected {expected}")]
    CheckDigit {
        /// The text.
        text: String,
        /// Check digit given.
        given: u32,
        /// Check digit computed.
        expected: u32,
    },
}

impl CasNumber {
    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a text has the shape of a CAS number (before its check digit is checked).
    pub fn looks_like(text: &str) -> bool {
        let parts: Vec<&str> = text.trim().split('-').collect();
        parts.len() == 3
            && (2..=7).contains(&parts[0].len())
            && parts[1].len() == 2
            && parts[2].len() == 1
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl FromStr for CasNumber {
    type Err = CasError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if !CasNumber::looks_like(t) {
            return Err(CasError::Format(t.to_string()));
        }
        let digits: Vec<u32> = t
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| (b - b'0') as u32)
            .collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        let expected = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| (i as u32 + 1) * d)
            .sum::<u32>()
            % 10;
        if expected != check[0] {
            return Err(CasError::CheckDigit {
                text: t.to_string(),
                given: check[0],
                expected,
            });
        }
        Ok(CasNumber(t.trim_start_matches('0').to_string()))
    }
}

impl fmt::Display for CasNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers() {
        assert!("437-38-7".parse::<CasNumber>().is_ok());
        assert!("39742-60-4".parse::<CasNumber>().is_ok());
        assert!("7647-01-0".parse::<CasNumber>().is_ok());
        assert!(matches!(
            "437-38-8".parse::<CasNumber>(),
            Err(CasError::CheckDigit { expected: 7, .. })
        ));
        assert!(matches!(
            "43738-7".parse::<CasNumber>(),
            Err(CasError::Format(_))
        ));
    }

    proptest! {
        #[test]
        // Bodies of 4 to 9 digits: 2-7 before the first hyphen and 2 after it.
        fn exactly_one_check_digit_is_valid(body in 1_000u32..1_000_000_000) {
            let s = body.to_string();
            let (a, b) = s.split_at(s.len() - 2);
            let ok = (0..10).filter(|d| format!("{a}-{b}-{d}").parse::<CasNumber>().is_ok()).count();
            prop_assert_eq!(ok, 1);
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<CasNumber>();
        }
    }
}
