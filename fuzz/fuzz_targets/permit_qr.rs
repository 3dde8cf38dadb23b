//! A scanned permit QR text: any text is a signed permit or an error saying why, never a
//! panic; a permit read is written back by `qr_text` into a text that reads as the same
//! permit.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(signed) = documents::permit_from_qr(text) {
        let again = documents::qr_text(&signed, "https://x/verify");
        assert_eq!(
            documents::permit_from_qr(&again).as_ref(),
            Ok(&signed),
            "a permit read from {text:?} does not read back"
        );
    }
});
