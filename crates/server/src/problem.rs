//! Errors as `application/problem+json` (RFC 9457): every failure a client can cause
//! gets a status, a stable type and a sentence saying what and where, never a bare 500.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error as `application/problem+json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, for people.
    pub detail: String,
    /// Every individual error (e.g. each missing field), when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Extra machine-readable context (e.g. the export-rule answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    /// The closest names on file, when a substance name was not recognised.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub did_you_mean: Vec<String>,
    #[serde(skip)]
    www_authenticate: bool,
    /// Seconds a client should wait before trying again (`Retry-After`).
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem with a status, a type slug and a detail.
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Problem {
        Problem::typed(
            status,
            format!("https://fentguard.invalid/problems/{kind}"),
            detail,
        )
    }

    /// A problem whose type a standard names (e.g. EPCIS's
    /// `epcisException:ValidationException`).
    pub fn typed(status: StatusCode, type_uri: String, detail: impl Into<String>) -> Problem {
        Problem {
            kind: type_uri,
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            context: None,
            did_you_mean: Vec::new(),
            www_authenticate: status == StatusCode::UNAUTHORIZED,
            retry_after: None,
        }
    }

    /// Telling the client when to try again (`Retry-After`, seconds).
    pub fn with_retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// With every individual error.
    pub fn with_errors(mut self, errors: Vec<String>) -> Problem {
        self.errors = errors;
        self
    }

    /// With machine-readable context.
    pub fn with_context(mut self, context: impl Serialize) -> Problem {
        self.context = serde_json::to_value(context).ok();
        self
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", what)
    }

    /// 422 with a type slug.
    pub fn unprocessable(kind: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, kind, detail)
    }

    /// 409 with a type slug.
    pub fn conflict(kind: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, kind, detail)
    }
}

/// At most this many characters of a detail or of one error, and this many errors: a
/// problem says what and where, and never echoes a large input back whole. Long enough
/// for the law's own reasons (a breach names the rule, the parties and what is allowed).
const MAX_TEXT: usize = 2000;
const MAX_ERRORS: usize = 50;

/// `text` cut in the middle when it is too long: the start says what, the end often
/// says where (serde's "at line 1 column 9").
fn bounded(text: &mut String) {
    let n = text.chars().count();
    if n <= MAX_TEXT {
        return;
    }
    let head: String = text.chars().take(MAX_TEXT * 2 / 3).collect();
    let tail: String = text.chars().skip(n - MAX_TEXT / 4).collect();
    *text = format!(
        "{head} … ({} characters left out) … {tail}",
        n - head.chars().count() - tail.chars().count()
    );
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        bounded(&mut self.detail);
        if self.errors.len() > MAX_ERRORS {
            let more = self.errors.len() - MAX_ERRORS;
            self.errors.truncate(MAX_ERRORS);
            self.errors.push(format!("… and {more} more"));
        }
        self.errors.iter_mut().for_each(bounded);
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if self.www_authenticate {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"fentguard\""),
            );
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        res
    }
}

impl From<law::InputError> for Problem {
    fn from(e: law::InputError) -> Problem {
        if let law::InputError::TooLarge(l) = &e {
            return Problem::unprocessable("structure-too-large", format!("substance: {l}"));
        }
        let mut p = Problem::unprocessable("unknown-substance", format!("substance: {e}"));
        p.did_you_mean = e.did_you_mean().to_vec();
        p
    }
}

impl From<law::ExportError> for Problem {
    fn from(e: law::ExportError) -> Problem {
        match e {
            law::ExportError::Input(i) => Problem::from(i),
            other => Problem::unprocessable("export-check", other.to_string()),
        }
    }
}

impl From<store::StoreError> for Problem {
    fn from(e: store::StoreError) -> Problem {
        match &e {
            store::StoreError::NotFound(_) => Problem::not_found(e.to_string()),
            store::StoreError::Conflict(_) => Problem::conflict("conflict", e.to_string()),
            store::StoreError::Duplicate(_) => Problem::conflict("duplicate", e.to_string()),
            store::StoreError::BadCursor(_) => Problem::unprocessable("paging", e.to_string()),
            _ => {
                tracing::error!(error = %e, "storage failure");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "storage", e.to_string())
            }
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(e: JsonRejection) -> Problem {
        let status = match &e {
            JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let kind = match status {
            StatusCode::UNPROCESSABLE_ENTITY => "invalid-body",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "content-type",
            StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
            _ => "malformed-json",
        };
        let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the request body is larger than {} bytes (or could not be read)",
                crate::MAX_BODY
            )
        } else {
            e.body_text()
        };
        Problem::new(status, kind, detail)
    }
}

impl From<PathRejection> for Problem {
    fn from(e: PathRejection) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-path", e.body_text())
    }
}

impl From<control::WorkflowError> for Problem {
    fn from(e: control::WorkflowError) -> Problem {
        let kind = match e {
            control::WorkflowError::WrongState { .. } => "wrong-state",
            control::WorkflowError::NotVerified => "not-verified",
            control::WorkflowError::Objection => "objection",
            control::WorkflowError::SecondOfficerRequired => "second-officer-required",
            control::WorkflowError::ReasonsRequired => {
                return Problem::unprocessable("reasons-required", e.to_string())
            }
        };
        Problem::conflict(kind, e.to_string())
    }
}

impl From<control::Denied> for Problem {
    fn from(e: control::Denied) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", e.0)
    }
}

impl From<cases::CaseError> for Problem {
    fn from(e: cases::CaseError) -> Problem {
        use cases::CaseError as E;
        match e {
            E::Denied(d) => Problem::from(d),
            E::NotFound(what) => Problem::not_found(what),
            E::Refused {
                code,
                detail,
                errors,
                context,
            } => {
                let mut p = Problem::unprocessable(code.as_str(), detail).with_errors(errors);
                p.context = context;
                p
            }
            E::Conflict { code, detail } => Problem::conflict(code.as_str(), detail),
            E::Workflow(w) => Problem::from(w),
            E::Input(i) => Problem::from(i),
            E::Export(x) => Problem::from(x),
            E::Store(s) => Problem::from(s),
            E::Damaged(detail) => {
                tracing::error!(%detail, "damaged record");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "storage", detail)
            }
            E::Unauthenticated(detail) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            }
            e @ E::Locked {
                retry_after_seconds,
                ..
            } => Problem::new(StatusCode::TOO_MANY_REQUESTS, "locked", e.to_string())
                .with_retry_after(retry_after_seconds),
            e @ E::Busy {
                retry_after_seconds,
            } => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
                .with_retry_after(retry_after_seconds),
            E::PasswordCheck(detail) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "password-check", detail)
            }
            e @ E::NoRandomness(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no-randomness",
                e.to_string(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_details_are_cut_in_the_middle() {
        let mut d = format!("substance: {} at line 1 column 9", "C".repeat(100_000));
        bounded(&mut d);
        assert!(d.chars().count() < MAX_TEXT + 60, "{}", d.len());
        assert!(d.starts_with("substance: CCC") && d.ends_with("at line 1 column 9"));
        let mut short = "fine".to_string();
        bounded(&mut short);
        assert_eq!(short, "fine");
    }
}
