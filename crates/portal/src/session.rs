//! Who is signed in, from the session cookie, and the protections of every form.
//!
//! The cookie holds the session's secret: `HttpOnly` (no script reads it), `SameSite=Lax`
//! (another site's form posts arrive without it), `Secure` when the request came over
//! HTTPS (FentGuard's own TLS, or a trusted proxy saying so), no `Max-Age` (it ends with
//! the browser). The session itself ends when idle or at its absolute limit
//! (`control::login::SessionPolicy`), checked in the database on every request.
//!
//! Invariant: every state-changing form carries a token the page put there, and its
//! handler checks it before anything else ([`Forms::allow`]): a signed-in form the
//! session's token ([`cases::signin::csrf_token`]), the sign-in form a token it also set
//! in a cookie of its own (double submit). A request another site's page makes
//! (`Sec-Fetch-Site: cross-site`) is refused whatever it carries.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cases::signin::{NoSession, Peer, Session};
use cases::Services;
use std::convert::Infallible;

/// The session cookie.
pub const SESSION_COOKIE: &str = "fg_session";

/// The sign-in form's own token cookie (before there is a session).
pub const FORM_COOKIE: &str = "fg_form";

/// The value of cookie `name` in `headers`, if sent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// A `Set-Cookie` value for `name`: HttpOnly, `same_site`, Secure over HTTPS; gone at
/// once with `max_age` 0.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    secure: bool,
    max_age: Option<u64>,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite={same_site}");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).ok()
}

/// The visitor: signed in ([`Session`]) or not, and why a presented session is not good.
#[derive(Clone, Debug, Default)]
pub struct Visitor {
    /// The session, when it is good.
    pub session: Option<Session>,
    /// Why the session cookie sent is not good (the sign-in page says so).
    pub ended: Option<NoSession>,
}

impl<S> FromRequestParts<S> for Visitor
where
    Services: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Visitor, Infallible> {
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Visitor::default());
        };
        // Bounded before it is hashed or looked up: a secret is 68 characters.
        if secret.len() > 128 {
            return Ok(Visitor {
                session: None,
                ended: Some(NoSession::Unknown),
            });
        }
        match cases::signin::session(&Services::from_ref(s), secret).await {
            Ok(Ok(session)) => Ok(Visitor {
                session: Some(session),
                ended: None,
            }),
            Ok(Err(why)) => Ok(Visitor {
                session: None,
                ended: Some(why),
            }),
            // The database did not answer: shown as signed out (a page that needs a
            // session sends the visitor to sign in, which says what failed).
            Err(e) => {
                tracing::warn!(error = %e, "reading the session");
                Ok(Visitor::default())
            }
        }
    }
}

/// A signed-in visitor; anyone else is sent to the sign-in page and back.
pub struct SignedIn(pub Session);

impl<S> FromRequestParts<S> for SignedIn
where
    Services: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<SignedIn, Response> {
        let Ok(v) = Visitor::from_request_parts(parts, s).await;
        match v.session {
            Some(session) => Ok(SignedIn(session)),
            None => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Err(Redirect::to(&format!("/sign-in?{q}")).into_response())
            }
        }
    }
}

/// Where a form may send the browser after it succeeds: a path of this site only (never
/// `//elsewhere` or `https://elsewhere`), else `fallback`.
pub fn local_path<'a>(next: &'a str, fallback: &'a str) -> &'a str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 512
        && !next.chars().any(|c| c.is_control());
    if ok {
        next
    } else {
        fallback
    }
}

/// The client as the server's edge established it (address, HTTPS); unknown when the
/// edge did not say.
pub struct Client(pub Peer);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Client, Infallible> {
        Ok(Client(parts.extensions.get::<Peer>().copied().unwrap_or(
            Peer {
                client: None,
                https: false,
            },
        )))
    }
}

/// What the form protections need of a request: its fetch metadata.
pub struct Forms {
    cross_site: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Forms {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Forms, Infallible> {
        Ok(Forms {
            cross_site: parts
                .headers
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("cross-site")),
        })
    }
}

impl Forms {
    /// Whether a form may be acted on: not sent by another site's page, and carrying
    /// `sent` equal to `expected` (compared in constant time). `expected` empty never
    /// matches. When not, the handler answers [`forbidden`] and does nothing else.
    pub fn allow(&self, sent: &str, expected: &str) -> bool {
        !self.cross_site && !expected.is_empty() && cases::same_secret(sent.trim(), expected)
    }
}

/// The token of a form a visitor may send without a session (sign-in, a batch check):
/// the one in the form cookie when it looks like ours, else a new one (`None`: the
/// system has no randomness). The page puts it in the form and in the cookie (Strict,
/// for the form's path); the handler checks both agree ([`Forms::allow`]).
pub fn visitor_form_token(headers: &HeaderMap) -> Option<String> {
    match cookie(headers, FORM_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => Some(t.into()),
        _ => cases::random_hex(32).ok(),
    }
}

/// The answer to a forged or stale form: 403, nothing done.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "This form was not sent from a FentGuard page of your session, or the page is too old: \
         nothing was done. Go back, reload the page and try again.\n\
         此表单不是从您当前会话的 FentGuard 页面提交的，或页面已过期：未执行任何操作。请返回、刷新页面后重试。\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_a_form() {
        assert_eq!(local_path("/work", "/"), "/work");
        assert_eq!(local_path("/check?q=x", "/"), "/check?q=x");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "work",
            "",
            "/a\nb",
        ] {
            assert_eq!(local_path(bad, "/work"), "/work", "{bad:?}");
        }
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xfg_session=no; fg_session=yes; fg_lang=zh-CN"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("yes"));
        assert_eq!(cookie(&h, "fg_lang"), Some("zh-CN"));
        assert_eq!(cookie(&h, "fg_form"), None);
    }
}
