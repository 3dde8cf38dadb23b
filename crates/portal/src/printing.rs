//! Printed documents: the permit's PDF in the portal's words. Where its QR code points
//! (the verification page at the deployment's public address) and the font it is set in
//! are the deployment's, given at start; the font is read on the first print, not at
//! start (the Noto CJK collection is 20 MB).

use crate::Lang;
use documents::{Bilingual, DocumentError, Fonts, Label, Wording};
use std::path::PathBuf;
use std::sync::OnceLock;

/// How this deployment prints.
pub struct Printing {
    verify_page: String,
    font: Option<(PathBuf, u32)>,
    loaded: OnceLock<Result<Fonts, String>>,
}

impl Printing {
    /// Printing for a deployment reached at `public_url` (e.g.
    /// `https://fentguard.example.gov.cn`), set in the font file `font` (path and face
    /// index), or when `None` the first well-known font that covers Chinese.
    pub fn new(public_url: &str, font: Option<(PathBuf, u32)>) -> Printing {
        Printing {
            verify_page: format!("{}/verify", public_url.trim_end_matches('/')),
            font,
            loaded: OnceLock::new(),
        }
    }

    /// The verification page the permits' QR codes open.
    pub fn verify_page(&self) -> &str {
        &self.verify_page
    }

    /// The font, read once; why there is none when there is none.
    pub fn fonts(&self) -> Result<&Fonts, String> {
        self.loaded
            .get_or_init(|| {
                match &self.font {
                    Some((path, index)) => Fonts::from_file(path, *index),
                    None => Fonts::find(),
                }
                .map_err(|e: DocumentError| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Default for Printing {
    /// The address of `fentguard serve`'s default listener.
    fn default() -> Printing {
        Printing::new("http://localhost:8080", None)
    }
}

/// The portal's catalogues, English then Chinese, for a document.
pub struct Catalogues;

impl Wording for Catalogues {
    fn label(&self, label: Label) -> Bilingual {
        Lang::ALL.map(|l| l.t(label.id()))
    }

    fn date(&self, date: chrono::NaiveDate) -> Bilingual {
        Lang::ALL.map(|l| l.date(date))
    }
}
