//! Static assets compiled into the binary: served by FentGuard itself, so a page on a
//! closed network needs nothing from the internet. Names carry no version; answers are
//! cached for a day and revalidated by ETag (the build's content hash).

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One asset: its name under `/assets/`, content type and bytes.
pub struct Asset {
    /// File name under `/assets/`.
    pub name: &'static str,
    /// Content type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
}

/// Every asset the pages use.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "portal.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/portal.css"),
    },
    Asset {
        name: "portal.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/portal.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/favicon.svg"),
    },
    Asset {
        name: "draw.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/draw.js"),
    },
    // OpenChemLib (BSD-3-Clause), the structure editor: from npm, pinned in
    // crates/portal/vendor/, copied by scripts/vendor.sh (CI checks the copy).
    Asset {
        name: "openchemlib.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/vendor/openchemlib.js"),
    },
    Asset {
        name: "openchemlib.LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../assets/vendor/openchemlib.LICENSE.txt"),
    },
];

/// A strong ETag from the content (FNV-1a, 64 bits: enough to tell builds apart).
fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let tag = etag(a.bytes);
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut res = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, a.content_type)], a.bytes).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    res
}
