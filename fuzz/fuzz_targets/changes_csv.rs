//! Catalogue changes CSV: any text is applied whole or refused with the row named, never
//! a panic; a refused file leaves the catalogue as it was.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn builtin() -> &'static law::Classifier {
    static C: OnceLock<law::Classifier> = OnceLock::new();
    C.get_or_init(|| law::Classifier::builtin().expect("catalogue"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut c = builtin().clone();
    let before = c.catalogue().substances().len();
    if c.apply_changes_csv(text).is_err() {
        assert_eq!(
            c.catalogue().substances().len(),
            before,
            "a refused file changed the catalogue"
        );
    }
});
