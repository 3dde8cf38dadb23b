//! The page shell every page shares: language, header with navigation and the language
//! switch, main content, footer; and the response headers every page carries.

use crate::i18n::Lang;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use cases::signin::Session;
use maud::{html, Markup, DOCTYPE};
use std::convert::Infallible;

/// What a page may load: its own styles, images and scripts, which may fetch from
/// FentGuard only; forms posting to itself; no framing, nothing from elsewhere.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether the signed-in user has an inbox of pre-export notifications.
fn reads_notifications(s: &cases::signin::Session) -> bool {
    let p = &s.principal;
    control::may(
        p,
        &control::Operation::ReadNotification {
            country: &p.country,
        },
    )
    .is_ok()
}

/// The cookie that remembers a chosen language.
const LANG_COOKIE: &str = "fg_lang";

/// The request's language, and whether `?lang=` chose it now (then it is remembered).
#[derive(Clone, Copy, Debug)]
pub struct Chosen {
    /// The language.
    pub lang: Lang,
    /// Chosen by `?lang=` on this request.
    pub by_query: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Chosen {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Chosen, Infallible> {
        let query = parts.uri.query().unwrap_or("");
        let from_query = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .and_then(Lang::from_tag);
        if let Some(lang) = from_query {
            return Ok(Chosen {
                lang,
                by_query: true,
            });
        }
        let cookie = crate::session::cookie(&parts.headers, LANG_COOKIE).and_then(Lang::from_tag);
        let accept = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        };
        Ok(Chosen {
            lang: cookie.or_else(accept).unwrap_or(Lang::En),
            by_query: false,
        })
    }
}

/// Which navigation entry a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The landing page.
    Home,
    /// Check a chemical.
    Check,
    /// The API reference.
    Api,
    /// The signed-in user's work.
    Work,
    /// Pre-export notifications.
    Notifications,
    /// Verify a permit.
    Verify,
    /// Customs: permit lookup and declarations.
    Customs,
    /// The importing authority's receipts.
    Receipts,
    /// The sign-in page.
    SignIn,
}

/// A page being rendered: its language, its path (for the language switch) and which
/// navigation entry is current.
pub struct Shell {
    /// The language.
    pub chosen: Chosen,
    /// The page's path, without query (the switch links to it with `?lang=`).
    pub path: String,
    /// The current navigation entry.
    pub nav: Nav,
    /// The signed-in visitor's session, if any (the header shows who, and sign-out).
    pub session: Option<Session>,
}

impl Shell {
    /// The language.
    pub fn lang(&self) -> Lang {
        self.chosen.lang
    }

    /// The whole page around `body`, as a response with the page headers.
    pub fn render(&self, title: &str, body: Markup) -> Response {
        let l = self.lang();
        let item = |nav: Nav, href: &str, id: &str| {
            html! {
                li { a href=(href) aria-current=[(self.nav == nav).then_some("page")] { (l.t(id)) } }
            }
        };
        let page = html! {
            (DOCTYPE)
            html lang=(l.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · FentGuard" }
                    link rel="stylesheet" href="/assets/portal.css";
                    link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                }
                body {
                    a.skip href="#main" { (l.t("skip-to-content")) }
                    header.top {
                        a.brand href="/" { "FentGuard" }
                        nav aria-label=(l.t("nav-label")) {
                            ul {
                                (item(Nav::Home, "/", "nav-home"))
                                (item(Nav::Check, "/check", "nav-check"))
                                (item(Nav::Verify, "/verify", "nav-verify"))
                                @if self.session.is_some() { (item(Nav::Work, "/work", "nav-work")) }
                                @if self.session.as_ref().is_some_and(reads_notifications) {
                                    (item(Nav::Notifications, "/notifications", "nav-notifications"))
                                }
                                @if self.session.as_ref().is_some_and(|s| control::may(&s.principal, &control::Operation::Customs).is_ok()) {
                                    (item(Nav::Customs, "/customs", "nav-customs"))
                                }
                                @if self.session.as_ref().is_some_and(|s| s.principal.role == control::Role::ForeignAuthorityOfficer) {
                                    (item(Nav::Receipts, "/receipts", "nav-receipts"))
                                }
                                (item(Nav::Api, "/docs", "nav-api"))
                            }
                        }
                        div.who {
                            @if let Some(session) = &self.session {
                                span.user { (l.t_with("signed-in-as", &[("user", &session.username), ("organisation", &session.organisation)])) }
                                form.inline method="post" action="/sign-out" {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    button.link type="submit" { (l.t("sign-out")) }
                                }
                            } @else if self.nav != Nav::SignIn {
                                a href="/sign-in" { (l.t("sign-in")) }
                            }
                        }
                        nav.langs aria-label=(l.t("language-label")) {
                            ul {
                                @for other in Lang::ALL {
                                    li {
                                        @if other == l {
                                            span aria-current="true" lang=(other.tag()) { (other.own_name()) }
                                        } @else {
                                            a href={ (self.path) "?lang=" (other.tag()) } lang=(other.tag()) hreflang=(other.tag()) { (other.own_name()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main #main { h1 { (title) } (body) }
                    footer {
                        p { (l.t_with("footer-version", &[("version", env!("CARGO_PKG_VERSION"))])) }
                        p { (l.t("footer-offline")) }
                    }
                }
            }
        };
        let mut res = (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page.into_string(),
        )
            .into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        h.insert(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
        if self.chosen.by_query {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                l.tag()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                h.insert(header::SET_COOKIE, v);
            }
        }
        res
    }
}
