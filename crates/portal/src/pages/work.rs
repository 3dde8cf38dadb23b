//! My work: who the signed-in user is, and the export applications its role lets it see
//! (an exporter its own, an authority's officer every one), through the same use case as
//! `GET /api/v1/export-applications` (`cases::applications::list`).

use crate::layout::{Chosen, Nav, Shell};
use crate::session::SignedIn;
use crate::Lang;
use axum::extract::{FromRef, State};
use axum::response::Response;
use cases::{CaseError, Services};
use maud::{html, Markup};

/// `GET /work`.
pub async fn show<S>(State(s): State<S>, chosen: Chosen, SignedIn(session): SignedIn) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let p = session.principal.clone();
    let list = cases::applications::list(&s, &p, &store::PageRequest::default()).await;
    let shell = Shell {
        chosen,
        path: "/work".into(),
        nav: Nav::Work,
        session: Some(session.clone()),
    };
    let l = shell.lang();
    let role = l.t(&format!("role-{}", p.role.as_str()));
    let applications = match list {
        Ok(page) if page.items.is_empty() => html! { p { (l.t("work-no-applications")) } },
        Ok(page) => table(l, s.rules.workflow.time_zone, &page.items),
        // A role that does not handle applications sees none (not an error of its own).
        Err(CaseError::Denied(_)) => html! {},
        Err(e) => {
            html! { div.error role="alert" { p { (l.t("work-unavailable")) } p.detail { (e.to_string()) } } }
        }
    };
    shell.render(
        &l.t("work-title"),
        html! {
            dl.facts {
                dt { (l.t("work-user")) } dd { (session.username) }
                dt { (l.t("work-role")) } dd { (role) }
                dt { (l.t("work-organisation")) } dd { (session.organisation) }
            }
            h2 { (l.t("work-applications")) }
            @if control::may(&p, &control::Operation::SubmitApplication).is_ok() {
                p { a.button href="/applications/new" { (l.t("work-new-application")) } }
            }
            (applications)
        },
    )
}

fn table(l: Lang, zone: chrono_tz::Tz, items: &[cases::applications::Summary]) -> Markup {
    html! {
        table {
            thead { tr {
                th { (l.t("work-application")) } th { (l.t("work-state")) } th { (l.t("work-exporter")) }
                th { (l.t("work-substance")) } th { (l.t("work-destination")) } th { (l.t("work-risk")) } th { (l.t("work-submitted")) }
            } }
            tbody {
                @for a in items {
                    tr {
                        td { a href={ "/applications/" (a.id) } { code { (a.id) } } }
                        td { (l.t(&format!("state-{}", a.state))) }
                        td { (a.exporter) }
                        td { (a.substance) }
                        td { (a.destination) }
                        td { (l.t(&format!("risk-{}", a.risk_level))) }
                        td { (a.submitted_at.map(|t| l.day(t, zone)).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}
