//! # documents: what FentGuard prints
//!
//! The export permit as an A4 PDF, bilingual (every label in English and Chinese, from
//! the caller's message catalogues through [`Wording`]), with the font embedded as a
//! subset, and a QR code that carries the whole signed permit: whoever scans it opens
//! the verification page, and whoever holds the authority's public key can check the
//! permit offline ([`permit_from_qr`] then `SignedPermit::verify`).
//!
//! No I/O except reading a font file ([`Fonts`]); no browser, no network.

#![warn(missing_docs)]

pub mod drawing;
pub mod flow;
mod pdf;
mod pen;
mod qr;

pub use pdf::permit_pdf;
pub use qr::{permit_from_qr, permit_reference, qr_modules, qr_text, QrError};

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a document could not be made.
#[derive(Debug, Error)]
pub enum DocumentError {
    /// No font that renders Chinese was found or configured.
    #[error(
        "no font that renders Chinese is installed or configured for printing \
         (install fonts-noto-cjk, or give a font file with --print-font)"
    )]
    NoFont,
    /// The font file could not be read or is not a font.
    #[error("the font {path} cannot be used for printing: {why}")]
    BadFont {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The QR code could not be made (the permit is too large for one).
    #[error("the permit does not fit in a QR code: {0}")]
    Qr(String),
    /// The PDF writer failed.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// A text in both languages of the document: English first, then Chinese.
pub type Bilingual = [String; 2];

/// The labels of a printed permit; the caller words them (its message catalogues).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The document's title ("Export permit").
    Title,
    /// "Permit number".
    Number,
    /// "Issued by".
    Issuer,
    /// "Exporter".
    Exporter,
    /// "Importer".
    Importer,
    /// "Consignee".
    Consignee,
    /// "Substance".
    Substance,
    /// "CAS number".
    Cas,
    /// "HS code".
    HsCode,
    /// "Quantity (kg)".
    Quantity,
    /// "Country of destination".
    Destination,
    /// "Valid from".
    ValidFrom,
    /// "Valid until".
    ValidUntil,
    /// "Verification code".
    Code,
    /// What the QR code is for and how to check the permit.
    ScanNote,
    /// "Signature (Ed25519)".
    Signature,
    /// "Signing key".
    Key,
}

impl Label {
    /// Every label, in the order the document prints the permit's fields.
    pub const ALL: [Label; 17] = [
        Label::Title,
        Label::Number,
        Label::Issuer,
        Label::Exporter,
        Label::Importer,
        Label::Consignee,
        Label::Substance,
        Label::Cas,
        Label::HsCode,
        Label::Quantity,
        Label::Destination,
        Label::ValidFrom,
        Label::ValidUntil,
        Label::Code,
        Label::ScanNote,
        Label::Signature,
        Label::Key,
    ];

    /// The message id a catalogue keeps this label under.
    pub fn id(self) -> &'static str {
        match self {
            Label::Title => "permit-pdf-title",
            Label::Number => "permit-pdf-number",
            Label::Issuer => "permit-pdf-issuer",
            Label::Exporter => "permit-pdf-exporter",
            Label::Importer => "permit-pdf-importer",
            Label::Consignee => "permit-pdf-consignee",
            Label::Substance => "permit-pdf-substance",
            Label::Cas => "permit-pdf-cas",
            Label::HsCode => "permit-pdf-hs",
            Label::Quantity => "permit-pdf-quantity",
            Label::Destination => "permit-pdf-destination",
            Label::ValidFrom => "permit-pdf-valid-from",
            Label::ValidUntil => "permit-pdf-valid-until",
            Label::Code => "permit-pdf-code",
            Label::ScanNote => "permit-pdf-scan-note",
            Label::Signature => "permit-pdf-signature",
            Label::Key => "permit-pdf-key",
        }
    }
}

/// How the caller words a document: labels and dates in English and Chinese.
pub trait Wording {
    /// The label in both languages.
    fn label(&self, label: Label) -> Bilingual;
    /// A date as people read it, in both languages.
    fn date(&self, date: chrono::NaiveDate) -> Bilingual;
}

/// The font documents are set in: one face that covers Latin and Chinese, embedded in
/// each PDF as the subset of glyphs it uses.
#[derive(Clone)]
pub struct Fonts {
    face: krilla::text::Font,
}

/// Where Debian and other distributions put fonts that cover Simplified Chinese (and
/// Latin), tried in order by [`Fonts::find`]: (path, face index in a collection).
const WELL_KNOWN: [(&str, u32); 6] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        2,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
];

/// The most bytes a font file may have (the Noto CJK collection is about 20 MB).
const MAX_FONT_BYTES: u64 = 64 << 20;

impl Fonts {
    /// The face `index` of the font file at `path` (0 unless it is a collection).
    pub fn from_file(path: &Path, index: u32) -> Result<Fonts, DocumentError> {
        let bad = |why: String| DocumentError::BadFont {
            path: path.to_path_buf(),
            why,
        };
        let len = std::fs::metadata(path)
            .map_err(|e| bad(e.to_string()))?
            .len();
        if len > MAX_FONT_BYTES {
            return Err(bad(format!("{len} bytes is more than a font should have")));
        }
        let data = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let face = krilla::text::Font::new(data.into(), index)
            .ok_or_else(|| bad(format!("face {index} is not a font krilla can embed")))?;
        Ok(Fonts { face })
    }

    /// The first well-known font that covers Chinese, or [`DocumentError::NoFont`].
    pub fn find() -> Result<Fonts, DocumentError> {
        WELL_KNOWN
            .iter()
            .filter(|(p, _)| Path::new(p).is_file())
            .find_map(|(p, i)| Fonts::from_file(Path::new(p), *i).ok())
            .ok_or(DocumentError::NoFont)
    }
}
