//! Every list answers one page at a time (issue 11 item 10): `?limit=` (1–1000, default
//! 100) and `?cursor=`; the body stays a JSON array and, when there is more, a
//! `Link: <…>; rel="next"` header (RFC 8288) gives the URL of the next page, as the EPCIS
//! query interface does.

use crate::Problem;
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{Page, PageRequest};
use utoipa::IntoParams;

/// Which page of a list.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<usize>,
    /// Where to continue: as given in the previous page's `Link: rel="next"`.
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
}

impl Paging {
    /// The page to read, or a 400 naming what is wrong.
    pub fn read(q: Result<Query<Paging>, QueryRejection>) -> Result<PageRequest, Problem> {
        let Query(p) =
            q.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "query", e.body_text()))?;
        Ok(PageRequest::new(p.limit, p.cursor.as_deref())?)
    }
}

/// A page as the answer: the items, and the next page's URL in `Link`.
pub struct Paged<T>(pub Page<T>, pub Uri);

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let Paged(page, uri) = self;
        let link = page.next.as_deref().and_then(|next| {
            let kept = uri
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="))
                .map(|kv| format!("{kv}&"))
                .collect::<String>();
            // The cursor is hex, so it needs no escaping.
            HeaderValue::from_str(&format!(
                "<{}?{kept}cursor={next}>; rel=\"next\"",
                uri.path()
            ))
            .ok()
        });
        let mut res = Json(page.items).into_response();
        if let Some(l) = link {
            res.headers_mut().insert(header::LINK, l);
        }
        res
    }
}
