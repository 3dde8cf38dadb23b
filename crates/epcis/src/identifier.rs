//! Identifiers: EPC URNs (pure identity, class and pattern URIs) and GS1 Digital Link
//! URIs brought to one canonical Digital Link form, so `urn:epc:id:sgtin:0614141.107346.2017`
//! and `https://example.com/01/10614141073464/21/2017` name the same pack.
//!
//! The conversions follow the GS1 EPC Tag Data Standard and the Digital Link standard
//! as GS1's reference event-hash generator applies them (its output is this crate's test
//! oracle). A URI that is neither comes back unchanged from [`canonical_or_same`].

const CANONICAL: &str = "https://id.gs1.org";

/// The GS1 mod-10 check digit of a key given without its check digit.
pub fn check_digit(digits: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let d = c.to_digit(10)?;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some((10 - sum % 10) % 10)
}

/// The canonical GS1 Digital Link form of an EPC URI or a Digital Link URI, or `None`
/// when the text is neither (or is malformed).
pub fn canonical(uri: &str) -> Option<String> {
    if let Some(rest) = uri.strip_prefix("urn:epc:") {
        return from_epc_urn(rest);
    }
    if uri.starts_with("http://") || uri.starts_with("https://") {
        return from_digital_link(uri);
    }
    None
}

/// [`canonical`], or the text itself when it has no canonical form.
pub fn canonical_or_same(uri: &str) -> String {
    canonical(uri).unwrap_or_else(|| uri.to_string())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Characters GS1 allows in serials, lots and extensions of an EPC URI (or `%xx`).
fn epc_serial_ok(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else if b[i].is_ascii_alphanumeric() || b"!')(*+,.:;=_-".contains(&b[i]) {
            i += 1;
        } else {
            return false;
        }
        n += 1;
    }
    (1..=max).contains(&n)
}

/// Percent-encodes what GS1 Digital Link requires encoded in a path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '!' => out.push_str("%21"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '*' => out.push_str("%2A"),
            '+' => out.push_str("%2B"),
            ',' => out.push_str("%2C"),
            ':' => out.push_str("%3A"),
            _ => out.push(c),
        }
    }
    out
}

/// Splits `prefix.reference` where the two together have `total` digits and the company
/// prefix has 6 to 12 of them.
fn company_and_reference(s: &str, total: usize) -> Option<(&str, &str)> {
    let (cp, rest) = s.split_once('.')?;
    if !(6..=12).contains(&cp.len()) || !all_digits(cp) || cp.len() + rest.len() != total {
        return None;
    }
    if !rest.is_empty() && !all_digits(rest) {
        return None;
    }
    Some((cp, rest))
}

/// GTIN-14 (with check digit) from company prefix and indicator + item reference.
fn gtin(cp: &str, item: &str) -> Option<String> {
    let (indicator, item) = item.split_at(1);
    let raw = format!("{indicator}{cp}{item}");
    Some(format!("{raw}{}", check_digit(&raw)?))
}

fn with_check(raw: &str) -> Option<String> {
    Some(format!("{raw}{}", check_digit(raw)?))
}

fn from_epc_urn(rest: &str) -> Option<String> {
    let (scheme, body) = rest.split_once(':')?;
    let (kind, value) = body.split_once(':')?;
    // Pieces separated by '.', the last one free text for the identity URIs.
    match (scheme, kind) {
        ("id", "sgtin") => {
            let (keys, serial) = split_last_dot_after(value, 2)?;
            let (cp, item) = company_and_reference(keys, 13)?;
            epc_serial_ok(serial, 20).then_some(())?;
            Some(format!(
                "{CANONICAL}/01/{}/21/{}",
                gtin(cp, item)?,
                encode_segment(serial)
            ))
        }
        ("class", "lgtin") => {
            let (keys, lot) = split_last_dot_after(value, 2)?;
            let (cp, item) = company_and_reference(keys, 13)?;
            epc_serial_ok(lot, 20).then_some(())?;
            Some(format!(
                "{CANONICAL}/01/{}/10/{}",
                gtin(cp, item)?,
                encode_segment(lot)
            ))
        }
        ("idpat", "sgtin") => {
            let keys = value.strip_suffix(".*")?;
            let (cp, item) = company_and_reference(keys, 13)?;
            Some(format!("{CANONICAL}/01/{}", gtin(cp, item)?))
        }
        ("id", "sscc") => {
            let (cp, serial) = company_and_reference(value, 17)?;
            let (ext, serial) = serial.split_at(1);
            Some(format!(
                "{CANONICAL}/00/{}",
                with_check(&format!("{ext}{cp}{serial}"))?
            ))
        }
        ("id", "sgln") => {
            let (keys, ext) = split_last_dot_after(value, 2)?;
            let (cp, loc) = company_and_reference(keys, 12)?;
            epc_serial_ok(ext, 20).then_some(())?;
            let gln = with_check(&format!("{cp}{loc}"))?;
            if ext == "0" {
                Some(format!("{CANONICAL}/414/{gln}"))
            } else {
                Some(format!("{CANONICAL}/414/{gln}/254/{}", encode_segment(ext)))
            }
        }
        ("id", "pgln") => {
            let (cp, party) = company_and_reference(value, 12)?;
            Some(format!(
                "{CANONICAL}/417/{}",
                with_check(&format!("{cp}{party}"))?
            ))
        }
        ("id", "grai") => {
            let (keys, serial) = split_last_dot_after(value, 2)?;
            let (cp, asset) = company_and_reference(keys, 12)?;
            epc_serial_ok(serial, 16).then_some(())?;
            let key = with_check(&format!("0{cp}{asset}"))?;
            Some(format!("{CANONICAL}/8003/{key}{}", encode_segment(serial)))
        }
        ("id", "giai") => {
            let (cp, asset) = value.split_once('.')?;
            if !(6..=12).contains(&cp.len()) || !all_digits(cp) {
                return None;
            }
            epc_serial_ok(asset, 30 - cp.len()).then_some(())?;
            Some(format!("{CANONICAL}/8004/{cp}{}", encode_segment(asset)))
        }
        ("id", "gsrn") | ("id", "gsrnp") => {
            let (cp, service) = company_and_reference(value, 17)?;
            let ai = if kind == "gsrn" { "8018" } else { "8017" };
            Some(format!(
                "{CANONICAL}/{ai}/{}",
                with_check(&format!("{cp}{service}"))?
            ))
        }
        ("id", "gdti") => {
            let (keys, serial) = split_last_dot_after(value, 2)?;
            let (cp, doc) = company_and_reference(keys, 12)?;
            epc_serial_ok(serial, 17).then_some(())?;
            let key = with_check(&format!("{cp}{doc}"))?;
            Some(format!("{CANONICAL}/253/{key}{}", encode_segment(serial)))
        }
        ("id", "sgcn") => {
            let (keys, serial) = split_last_dot_after(value, 2)?;
            let (cp, coupon) = company_and_reference(keys, 12)?;
            (all_digits(serial) && serial.len() <= 12).then_some(())?;
            let key = with_check(&format!("{cp}{coupon}"))?;
            Some(format!("{CANONICAL}/255/{key}{serial}"))
        }
        _ => None,
    }
}

/// Splits `a.b.rest` into (`a.b`, `rest`) where `a.b` holds `dots_before - 1` dots; the
/// free-text part may itself contain dots.
fn split_last_dot_after(value: &str, pieces: usize) -> Option<(&str, &str)> {
    let mut seen = 0;
    for (i, b) in value.bytes().enumerate() {
        if b == b'.' {
            seen += 1;
            if seen == pieces {
                return Some((&value[..i], &value[i + 1..]));
            }
        }
    }
    None
}

/// Short names the Digital Link standard allows for primary keys and qualifiers.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("gtin", "01"),
    ("itip", "8006"),
    ("cpid", "8010"),
    ("gln", "414"),
    ("party", "417"),
    ("gsrnp", "8017"),
    ("gsrn", "8018"),
    ("gcn", "255"),
    ("sscc", "00"),
    ("gdti", "253"),
    ("ginc", "401"),
    ("gsin", "402"),
    ("grai", "8003"),
    ("giai", "8004"),
    ("cpv", "22"),
    ("lot", "10"),
    ("ser", "21"),
];

const PRIMARY_KEYS: &[&str] = &[
    "01", "8006", "8010", "414", "417", "8017", "8018", "255", "00", "253", "401", "402", "8003",
    "8004",
];

/// Characters of the GS1 AI encodable set that survive in a canonical URI segment.
fn dl_segment_ok(s: &str, max: usize) -> bool {
    s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'"' | b'\'' | b'-' | b'.' | b';'..=b'?' | b'_')
        })
}

fn from_digital_link(uri: &str) -> Option<String> {
    let uri = uri.split(['?', '#']).next()?;
    let after_scheme = uri.split_once("://")?.1;
    let path = after_scheme.find('/').map(|i| &after_scheme[i..])?;
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            SHORT_NAMES
                .iter()
                .find(|(short, _)| *short == s)
                .map(|(_, ai)| ai.to_string())
                .unwrap_or_else(|| s.to_string())
        })
        .collect();
    // The primary key may follow a custom path prefix (e.g. https://example.com/foo/01/...).
    let start = segments
        .iter()
        .position(|s| PRIMARY_KEYS.contains(&s.as_str()))?;
    segments.drain(..start);
    if segments.len() < 2 || !segments.len().is_multiple_of(2) {
        return None;
    }
    let ai = segments[0].clone();
    let mut key = segments[1].clone();
    let mut qualifiers: Vec<(String, String)> = segments[2..]
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    if key.len() < 4 || !key.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if ai == "01" {
        // GTIN-8/12/13 padded to 14 digits.
        if all_digits(&key) && matches!(key.len(), 8 | 12 | 13) {
            key = format!("{key:0>14}");
        }
        // The consumer product variant does not identify the item; the lowest level wins.
        qualifiers.retain(|(q, _)| q != "22");
        if qualifiers.iter().any(|(q, _)| q == "21") {
            qualifiers.retain(|(q, _)| q != "10");
        }
    }
    let mut out = format!("{CANONICAL}/{ai}/{key}");
    for (q, v) in &qualifiers {
        out.push_str(&format!("/{q}/{v}"));
    }
    valid_canonical(&ai, &key, &qualifiers).then_some(out)
}

fn valid_canonical(ai: &str, key: &str, q: &[(String, String)]) -> bool {
    let digits = |n: usize| key.len() == n && all_digits(key);
    let q: Vec<(&str, &str)> = q.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    match (ai, q.as_slice()) {
        ("00", []) => digits(18),
        ("01", []) => digits(14),
        ("01", [("21", v)]) | ("01", [("10", v)]) => digits(14) && dl_segment_ok(v, 20),
        ("01", [("235", v)]) => digits(14) && dl_segment_ok(v, 28),
        ("253", []) => digits_then_text(key, 13, 17),
        ("255", []) => key.len() >= 13 && key.len() <= 25 && all_digits(key),
        ("401", []) | ("8004", []) => dl_segment_ok(key, 30),
        ("402", []) => digits(17),
        ("414", []) | ("417", []) => digits(13),
        ("414", [("254", v)]) => digits(13) && dl_segment_ok(v, 20),
        ("8003", []) => digits_then_text(key, 14, 16),
        ("8006", []) => digits(18),
        ("8006", [("21", v)]) | ("8006", [("10", v)]) => digits(18) && dl_segment_ok(v, 20),
        ("8010", []) => cpid_ok(key),
        ("8010", [("8011", v)]) => {
            cpid_ok(key) && v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit())
        }
        ("8017", []) | ("8018", []) => digits(18),
        _ => false,
    }
}

/// `n` digits followed by up to `max` characters of serial text.
fn digits_then_text(key: &str, n: usize, max: usize) -> bool {
    match (key.get(..n), key.get(n..)) {
        (Some(d), Some(t)) => all_digits(d) && dl_segment_ok(t, max),
        _ => false,
    }
}

fn cpid_ok(key: &str) -> bool {
    key.len() <= 30
        && key.bytes().all(|b| {
            b.is_ascii_digit() || b.is_ascii_uppercase() || matches!(b, b'#' | b'-' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        assert_eq!(check_digit("1061414107346"), Some(4));
        assert_eq!(check_digit("061414107346"), Some(7));
        assert_eq!(check_digit("12a"), None);
    }

    #[test]
    fn epc_urns() {
        let cases = [
            (
                "urn:epc:id:sgtin:0614141.107346.2017",
                "https://id.gs1.org/01/10614141073464/21/2017",
            ),
            (
                "urn:epc:class:lgtin:4012345.022222.87545GHGH",
                "https://id.gs1.org/01/04012345222227/10/87545GHGH",
            ),
            (
                "urn:epc:idpat:sgtin:4012345.044444.*",
                "https://id.gs1.org/01/04012345444445",
            ),
            (
                "urn:epc:id:sgln:0614141.07346.1234",
                "https://id.gs1.org/414/0614141073467/254/1234",
            ),
            (
                "urn:epc:id:sgln:0012345.11111.0",
                "https://id.gs1.org/414/0012345111112",
            ),
            (
                "urn:epc:id:sscc:0614141.1234567890",
                "https://id.gs1.org/00/106141412345678908",
            ),
            (
                "urn:epc:id:pgln:0614141.00002",
                "https://id.gs1.org/417/0614141000029",
            ),
        ];
        for (urn, dl) in cases {
            assert_eq!(canonical(urn).as_deref(), Some(dl), "{urn}");
        }
        assert_eq!(canonical("urn:epc:id:sgtin:0614141.107346"), None);
        assert_eq!(canonical("urn:epc:id:sgtin:061.107346.1"), None);
        assert_eq!(canonical_or_same("urn:uuid:1"), "urn:uuid:1");
    }

    #[test]
    fn digital_links() {
        assert_eq!(
            canonical("https://example.com/gtin/614141123452/lot/ABC/ser/12?x=1").as_deref(),
            Some("https://id.gs1.org/01/00614141123452/21/12")
        );
        assert_eq!(
            canonical("https://id.gs1.org/01/09521234543213/22/2A/10/LOT1").as_deref(),
            Some("https://id.gs1.org/01/09521234543213/10/LOT1")
        );
        assert_eq!(canonical("https://example.com/products/42"), None);
    }
}
