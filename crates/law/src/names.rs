//! Name matching: case, space and hyphen insensitive, Chinese names included.

/// Normalise a substance name for lookup: lowercase, without white space, hyphens,
/// commas, apostrophes or primes; Greek letters spelled out.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.trim().chars() {
        match ch {
            c if c.is_whitespace() => {}
            '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | ',' | '\''
            | '\u{2032}' | '\u{2019}' | '_' => {}
            'α' => out.push_str("alpha"),
            'β' => out.push_str("beta"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn insensitive() {
        assert_eq!(
            normalise("Alpha-Methyl Fentanyl"),
            normalise("alphamethylfentanyl")
        );
        assert_eq!(
            normalise("α-methylfentanyl"),
            normalise("alpha-methylfentanyl")
        );
        assert_eq!(normalise("4-ANPP"), "4anpp");
        assert_eq!(normalise(" 芬太尼 "), "芬太尼");
    }
}
