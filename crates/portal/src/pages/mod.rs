//! One module per page, and the pieces the pages of a case share.

pub mod apply;
pub mod batch;
pub mod case;
pub mod check;
pub mod customs;
pub mod landing;
pub mod notifications;
pub mod permit;
pub mod receipts;
pub mod report;
pub mod signin;
pub mod verify;
pub mod work;

use crate::layout::Shell;
use crate::Lang;
use axum::http::StatusCode;
use axum::response::Response;
use cases::{CaseError, ErrorKind};
use maud::{html, Markup};
use serde::Deserialize;

/// What a step's form sends: the session's form token, which step, and its text (a
/// question, an answer, reasons).
#[derive(Debug, Default, Deserialize)]
pub struct StepFields {
    /// The session's form token.
    #[serde(default)]
    pub csrf: String,
    /// The step's name.
    #[serde(default)]
    pub step: String,
    /// The question, answer or reasons.
    #[serde(default)]
    pub text: String,
}

/// What the last step did (`?done=`, after the redirect that follows a form): an
/// outcome's name, shown only when the page's catalogue has a message for it.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// An outcome's name; anything else is ignored.
    #[serde(default)]
    pub done: String,
}

impl Done {
    /// The message id `{prefix}-{done}` when the catalogue has it (only an outcome's
    /// own message is ever shown), else none.
    pub fn notice(&self, l: Lang, prefix: &str) -> Option<String> {
        Some(format!("{prefix}-{}", self.done)).filter(|id| l.has(id))
    }
}

/// One step a user may take on a record, as its own form posting to `action`: the
/// session's form token, the step's name, a text box when the step needs words
/// (`label`: its message id), and a button (`button`: its message id; `danger` for a
/// step that ends or blocks something).
pub struct StepForm<'a> {
    /// Where the form posts (the record's page).
    pub action: &'a str,
    /// The session's form token.
    pub csrf: &'a str,
    /// The step's name, sent as `step`.
    pub name: &'a str,
    /// The text box's label, when the step needs words (sent as `text`).
    pub label: Option<&'a str>,
    /// The button's message id.
    pub button: &'a str,
    /// Whether the button is drawn as a warning.
    pub danger: bool,
}

impl StepForm<'_> {
    /// The form.
    pub fn render(&self, l: Lang) -> Markup {
        let field = format!("text-{}", self.name);
        html! {
            form.step method="post" action=(self.action) {
                input type="hidden" name="csrf" value=(self.csrf);
                input type="hidden" name="step" value=(self.name);
                @if let Some(label) = self.label {
                    label for=(field) { (l.t(label)) }
                    textarea id=(field) name="text" rows="3" required {}
                }
                button type="submit" class=[self.danger.then_some("danger")] { (l.t(self.button)) }
            }
        }
    }
}

/// The page status and message for an error of a use case.
pub fn error_answer(l: Lang, e: &CaseError) -> (StatusCode, Markup) {
    let (status, id) = match e.kind() {
        ErrorKind::Denied => (StatusCode::FORBIDDEN, "error-denied"),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
        ErrorKind::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "error-invalid"),
        ErrorKind::Conflict => (StatusCode::CONFLICT, "error-conflict"),
        ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "error-unauthenticated"),
        ErrorKind::TooMany => (StatusCode::TOO_MANY_REQUESTS, "error-too-many"),
        ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
    };
    // The detail names what and where (in English, as the API gives it); a page in
    // another language leads with its own sentence.
    let detail = match e {
        CaseError::Refused { errors, .. } if !errors.is_empty() => html! {
            p.detail { (e.to_string()) }
            ul.detail { @for x in errors.iter().take(50) { li { (x) } } }
        },
        _ => html! { p.detail { (e.to_string()) } },
    };
    (
        status,
        html! { div.error role="alert" { p { (l.t(id)) } (detail) } },
    )
}

/// The status and message of a page shown with what went wrong (`None`: 200, nothing).
pub fn with_error(l: Lang, error: Option<&CaseError>) -> (StatusCode, Option<Markup>) {
    match error {
        Some(e) => {
            let (st, m) = error_answer(l, e);
            (st, Some(m))
        }
        None => (StatusCode::OK, None),
    }
}

/// The page `title` with `body`, answered with `status`.
pub fn respond(shell: &Shell, title: &str, status: StatusCode, body: Markup) -> Response {
    let mut res = shell.render(title, body);
    *res.status_mut() = status;
    res
}

/// The answer when a record cannot be shown at all (not found, not the user's to see,
/// storage), with a link back to `back` (its href and message id). A denial answers as
/// the record `missing` would: its existence is not told.
pub fn not_shown(
    shell: &Shell,
    e: &CaseError,
    missing: &str,
    title: &str,
    back: (&str, &str),
) -> Response {
    let l = shell.lang();
    let hidden = CaseError::NotFound(missing.to_string());
    let e = match e.kind() {
        ErrorKind::Denied => &hidden,
        _ => e,
    };
    let (status, message) = error_answer(l, e);
    respond(
        shell,
        title,
        status,
        html! { (message) p { a href=(back.0) { (l.t(back.1)) } } },
    )
}

/// At most 80 characters of an input, for a message that names it.
pub fn cut(s: &str) -> String {
    s.chars().take(80).collect()
}
