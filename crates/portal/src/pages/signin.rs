//! Sign in and sign out: the same use case as `POST /api/v1/auth/login`
//! (`cases::signin`), with the same lock-out counters, handing out a browser session
//! instead of a token.

use crate::layout::{Chosen, Nav, Shell};
use crate::session::{
    cookie, forbidden, local_path, set_cookie, visitor_form_token, Client, Forms, SignedIn,
    Visitor, FORM_COOKIE, SESSION_COOKIE,
};
use crate::Lang;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRef, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cases::signin::{Credential, LockedKey, NoSession};
use cases::{CaseError, Services};
use control::login::SessionEnd;
use maud::{html, Markup};
use serde::Deserialize;

/// Where the sign-in page was asked to return to.
#[derive(Debug, Default, Deserialize)]
pub struct Next {
    /// A path of this site.
    #[serde(default)]
    pub next: String,
}

/// The sign-in form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct SignInForm {
    /// User name.
    #[serde(default)]
    pub username: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// The form's token (also in the form cookie).
    #[serde(default)]
    pub form_token: String,
    /// Where to go after signing in.
    #[serde(default)]
    pub next: String,
}

/// The sign-out form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct SignOutForm {
    /// The session's form token.
    #[serde(default)]
    pub csrf: String,
}

/// `GET /sign-in`.
pub async fn show<S>(
    State(s): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    Client(peer): Client,
    headers: HeaderMap,
    next: Result<Query<Next>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let next = next.map(|Query(n)| n.next).unwrap_or_default();
    let l = chosen.lang;
    let notice = visitor.ended.map(|why| ended(&s, l, why));
    page(
        chosen,
        visitor,
        peer.https,
        &headers,
        StatusCode::OK,
        "",
        &next,
        notice,
    )
}

/// Why the visitor's session is over, in its language.
fn ended(s: &Services, l: Lang, why: NoSession) -> Markup {
    let policy = s.logins.sessions;
    let text = match why {
        NoSession::Expired(SessionEnd::Idle(_)) => l.t_with(
            "sign-in-ended-idle",
            &[("minutes", &policy.idle_minutes.to_string())],
        ),
        NoSession::Expired(SessionEnd::Absolute(_)) => l.t_with(
            "sign-in-ended-absolute",
            &[("hours", &policy.absolute_hours.to_string())],
        ),
        NoSession::Ended | NoSession::Unknown => l.t("sign-in-ended"),
    };
    html! { div.notice role="status" { p { (text) } } }
}

/// The sign-in page with `message` above the form, answered with `status`.
#[allow(clippy::too_many_arguments)] // one private renderer for the page's four outcomes
fn page(
    chosen: Chosen,
    visitor: Visitor,
    https: bool,
    headers: &HeaderMap,
    status: StatusCode,
    username: &str,
    next: &str,
    message: Option<Markup>,
) -> Response {
    let signed_in = visitor.session.is_some();
    let shell = Shell {
        chosen,
        path: "/sign-in".into(),
        nav: Nav::SignIn,
        session: visitor.session,
    };
    let l = shell.lang();
    let Some(token) = visitor_form_token(headers) else {
        return unavailable(shell);
    };
    let body = if signed_in {
        html! { p { a.button href="/work" { (l.t("nav-work")) } } }
    } else {
        html! {
            @if let Some(m) = message { (m) }
            form.narrow method="post" action="/sign-in" {
                input type="hidden" name="form_token" value=(token);
                input type="hidden" name="next" value=(next);
                label for="username" { (l.t("sign-in-username")) }
                input #username name="username" value=(username) autocomplete="username" required autofocus[username.is_empty()] spellcheck="false";
                label for="password" { (l.t("sign-in-password")) }
                input #password type="password" name="password" autocomplete="current-password" required;
                button type="submit" { (l.t("sign-in")) }
            }
            p.hint { (l.t("sign-in-hint")) }
        }
    };
    let mut res = shell.render(&l.t("sign-in-title"), body);
    *res.status_mut() = status;
    // A page that holds a password field is not kept by shared caches.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    if let Some(c) = set_cookie(FORM_COOKIE, &token, "/sign-in", "Strict", https, Some(3600)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

fn unavailable(shell: Shell) -> Response {
    let l = shell.lang();
    let mut res = shell.render(
        &l.t("sign-in-title"),
        html! { div.error role="alert" { p { (l.t("sign-in-unavailable")) } } },
    );
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res
}

/// `POST /sign-in`.
pub async fn submit<S>(
    State(s): State<S>,
    chosen: Chosen,
    visitor: Visitor,
    Client(peer): Client,
    forms: Forms,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !forms.allow(
        &f.form_token,
        cookie(&headers, FORM_COOKIE).unwrap_or_default(),
    ) {
        return forbidden();
    }
    let l = chosen.lang;
    let username = f.username.trim();
    let outcome =
        cases::signin::sign_in(&s, username, f.password, peer.client, Credential::Session).await;
    let signed = match outcome {
        Ok(signed) => signed,
        Err(e) => {
            let (status, text) = match &e {
                CaseError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, l.t("sign-in-wrong")),
                CaseError::Locked { until, key, .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    l.t_with(
                        match key {
                            LockedKey::Account => "sign-in-locked-account",
                            LockedKey::Address => "sign-in-locked-address",
                        },
                        &[("until", &l.moment(*until, s.rules.workflow.time_zone))],
                    ),
                ),
                CaseError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, l.t("sign-in-busy")),
                other => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{} {other}", l.t("sign-in-unavailable")),
                ),
            };
            let message = html! { div.error role="alert" { p { (text) } } };
            return page(
                chosen,
                visitor,
                peer.https,
                &headers,
                status,
                username,
                &f.next,
                Some(message),
            );
        }
    };
    let mut res = Redirect::to(local_path(&f.next, "/work")).into_response();
    let h = res.headers_mut();
    if let Some(c) = set_cookie(SESSION_COOKIE, &signed.secret, "/", "Lax", peer.https, None) {
        h.append(header::SET_COOKIE, c);
    }
    if let Some(c) = set_cookie(FORM_COOKIE, "", "/sign-in", "Strict", peer.https, Some(0)) {
        h.append(header::SET_COOKIE, c);
    }
    h.insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// `POST /sign-out`.
pub async fn sign_out<S>(
    State(s): State<S>,
    SignedIn(session): SignedIn,
    Client(peer): Client,
    forms: Forms,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !forms.allow(&f.csrf, &session.csrf) {
        return forbidden();
    }
    if let Err(e) = cases::signin::sign_out(&Services::from_ref(&s), &session).await {
        tracing::error!(error = %e, "signing out");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("The session could not be ended: {e}. Try again.\n"),
        )
            .into_response();
    }
    let mut res = Redirect::to("/").into_response();
    if let Some(c) = set_cookie(SESSION_COOKIE, "", "/", "Lax", peer.https, Some(0)) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}
