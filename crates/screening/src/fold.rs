//! Folding a text for matching: what an obfuscation changes is undone, and every kept
//! character remembers where it came from in the original (byte offsets) and what was
//! undone to get it.
//!
//! Two views are made of each text. *Plain*: lower case, look-alike letters of other
//! scripts and full-width forms mapped to Latin, zero-width characters dropped, and every
//! character that is not a letter or digit dropped as a gap (so "f e n t a n y l",
//! "f.e.n.t.a.n.y.l" and "fentanyl" fold alike). *Leet*: the plain view with digits and
//! symbols read as the letters they stand for (`0`→o, `1 ! |`→l, `3`→e, `4 @`→a,
//! `5 $`→s, `7 +`→t), and `i` read as `l`, applied alike to the text and to the terms.

/// What folding undid to produce a character (bits of [`Folded::flags`]).
pub mod flag {
    /// A look-alike letter of another script (Cyrillic, Greek).
    pub const CONFUSABLE: u8 = 1;
    /// A full-width form.
    pub const FULL_WIDTH: u8 = 2;
    /// A zero-width character (or soft hyphen) removed just before it.
    pub const ZERO_WIDTH: u8 = 4;
    /// A digit or symbol read as a letter.
    pub const LEET: u8 = 8;
}

/// How characters dropped before a kept character separated it from the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gap {
    /// Nothing dropped.
    None,
    /// Only zero-width characters: not a word boundary.
    Invisible,
    /// A hyphen (as in "4-AP").
    Hyphen,
    /// Space or other punctuation: a word boundary.
    Space,
}

/// A folded view of a text.
pub struct Folded {
    /// The folded characters.
    pub text: String,
    /// For each byte of `text`: where its character starts in the original.
    pub start: Vec<u32>,
    /// For each byte of `text`: where its character ends in the original.
    pub end: Vec<u32>,
    /// For each byte of `text`: what separated its character from the previous kept one.
    pub gap: Vec<Gap>,
    /// For each byte of `text`: what was undone ([`flag`]).
    pub flags: Vec<u8>,
}

/// Which view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Case, scripts, width, separators.
    Plain,
    /// And digits and symbols read as letters.
    Leet,
}

/// Zero-width characters and the soft hyphen: invisible, used to break words for filters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Han ideographs (and CJK punctuation is not among them): Chinese names have no spaces
/// around them, so a Han character is a word of its own for boundaries.
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The Latin letter a look-alike of another script stands for (after lower-casing).
fn confusable(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'һ' => 'h',
        'ӏ' => 'l',
        // Greek
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'ω' => 'w',
        // Latin look-alikes
        'ı' => 'i',
        'ɡ' => 'g',
        'ⅼ' => 'l',
        _ => return None,
    })
}

/// A digit or symbol read as a letter, and letters merged with them.
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' | 'i' => 'l',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        _ => return None,
    })
}

/// Folds `text` into `view`.
pub fn fold(text: &str, view: View) -> Folded {
    let mut f = Folded {
        text: String::with_capacity(text.len()),
        start: Vec::with_capacity(text.len()),
        end: Vec::with_capacity(text.len()),
        gap: Vec::with_capacity(text.len()),
        flags: Vec::with_capacity(text.len()),
    };
    let mut gap = Gap::None;
    let mut pending = 0u8;
    let mut buf = [0u8; 4];
    for (at, raw) in text.char_indices() {
        let end = (at + raw.len_utf8()) as u32;
        let mut flags = 0u8;
        // full-width ASCII forms
        let mut c = if ('\u{FF01}'..='\u{FF5E}').contains(&raw) {
            flags |= flag::FULL_WIDTH;
            char::from_u32(raw as u32 - 0xFEE0).unwrap_or(raw)
        } else {
            raw
        };
        if c.is_ascii() {
            c = c.to_ascii_lowercase();
        } else if c.is_uppercase() {
            // one-to-one lower-casing; the rare expanding cases keep their first char
            c = c.to_lowercase().next().unwrap_or(c);
        }
        if let Some(l) = confusable(c) {
            flags |= flag::CONFUSABLE;
            c = l;
        }
        if view == View::Leet {
            if let Some(l) = leet(c) {
                if c != 'i' {
                    flags |= flag::LEET;
                }
                c = l;
            }
        }
        if !(c.is_alphanumeric()) {
            if is_invisible(c) {
                gap = gap.max(Gap::Invisible);
                pending |= flag::ZERO_WIDTH;
            } else if is_hyphen(c) {
                gap = gap.max(Gap::Hyphen);
            } else {
                gap = Gap::Space;
            }
            continue;
        }
        let s = c.encode_utf8(&mut buf);
        f.text.push_str(s);
        for _ in 0..s.len() {
            f.start.push(at as u32);
            f.end.push(end);
            f.gap.push(gap);
            f.flags.push(flags | pending);
        }
        gap = Gap::None;
        pending = 0;
    }
    f
}

/// A term folded as text is, for the automaton (no offsets needed).
pub fn fold_term(term: &str, view: View) -> String {
    fold(term, view).text
}

/// Whether the term's folded form ends in a Han character or starts with one.
pub fn han_at(s: &str, start: bool) -> bool {
    let c = if start {
        s.chars().next()
    } else {
        s.chars().next_back()
    };
    c.is_some_and(is_han)
}
