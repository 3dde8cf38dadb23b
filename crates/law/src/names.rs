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

/// A normalised name folded over the spelling variants of the field, so that variants
/// compare equal: `ph`/`f`, `y`/`i` (so `-yl`/`-il`), `-ile`/`-il`, `piperidinone`/
/// `piperidone`. Used for suggestions only: a folded match is never taken as the name.
pub fn fold(name: &str) -> String {
    normalise(name)
        .replace("piperidinone", "piperidone")
        .replace("ph", "f")
        .replace('y', "i")
        .replace("ile", "il")
}

/// [`fold`] without locants (digits), for "N-phenethyl-4-piperidinone" against
/// "N-phenethyl-piperidone".
pub fn fold_without_locants(name: &str) -> String {
    fold(name).chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// Longest text for which suggestions are computed: bounds the cost (edit distance is
/// quadratic in the length) whatever the input.
pub const MAX_SUGGEST_LEN: usize = 120;

/// Up to `limit` of `candidates` closest to `query`: by edit distance (with
/// transpositions) on the folded names, with and without locants, within a quarter of
/// the name's length (at least 1, at most 3); ties go to the closer plain spelling.
pub fn suggest<'a>(
    query: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<String> {
    let q = normalise(query);
    if q.is_empty() || q.chars().count() > MAX_SUGGEST_LEN {
        return Vec::new();
    }
    let qf = fold(query);
    let ql = fold_without_locants(query);
    let budget = (qf.chars().count() / 4).clamp(1, 3);
    let mut scored: Vec<(usize, usize, String)> = Vec::new();
    for c in candidates {
        let n = normalise(c);
        if n.chars().count() > MAX_SUGGEST_LEN * 2 {
            continue;
        }
        let d = strsim::damerau_levenshtein(&qf, &fold(c))
            .min(strsim::damerau_levenshtein(&ql, &fold_without_locants(c)));
        if d <= budget && n != q {
            scored.push((d, strsim::damerau_levenshtein(&q, &n), c.to_string()));
        }
    }
    scored.sort();
    // only the closest: within one edit of the best
    let best = scored.first().map_or(0, |s| s.0);
    let mut out: Vec<String> = Vec::new();
    for (_, _, c) in scored.into_iter().filter(|s| s.0 <= best + 1) {
        if !out.iter().any(|o| normalise(o) == normalise(&c)) {
            out.push(c);
        }
        if out.len() == limit {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fold, normalise, suggest};

    #[test]
    fn variants_fold_together() {
        assert_eq!(fold("fentanil"), fold("Fentanyl"));
        assert_eq!(fold("carfentanyl"), fold("carfentanil"));
        assert_eq!(fold("carfentanile"), fold("carfentanil"));
        assert_eq!(
            super::fold_without_locants("N-phenethyl-4-piperidinone"),
            super::fold_without_locants("N-Phenethyl-4-piperidone")
        );
    }

    #[test]
    fn suggestions() {
        let names = ["Fentanyl", "Carfentanil", "4-ANPP", "Sufentanil", "acetone"];
        assert_eq!(suggest("fentanil", names, 3)[0], "Fentanyl");
        assert_eq!(suggest("carfentanyl", names, 3)[0], "Carfentanil");
        assert_eq!(suggest("4-ANNP", names, 3), vec!["4-ANPP"]);
        assert!(suggest("aspirin", names, 3).is_empty());
        assert!(suggest(&"x".repeat(10_000), names, 3).is_empty());
        // the exact name is not a suggestion of itself
        assert!(!suggest("acetone", names, 3).contains(&"acetone".to_string()));
    }

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
