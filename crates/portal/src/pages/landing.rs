//! The landing page: what FentGuard is, and where to start.

use crate::layout::{Chosen, Nav, Shell};
use crate::session::Visitor;
use axum::response::Response;
use maud::html;

/// `GET /`.
pub async fn show(chosen: Chosen, visitor: Visitor) -> Response {
    let signed_in = visitor.session.is_some();
    let shell = Shell {
        chosen,
        path: "/".into(),
        nav: Nav::Home,
        session: visitor.session,
    };
    let l = shell.lang();
    shell.render(
        &l.t("landing-title"),
        html! {
            p.lead { (l.t("landing-lead")) }
            ul.pillars {
                li { h2 { (l.t("landing-law-title")) } p { (l.t("landing-law")) } }
                li { h2 { (l.t("landing-licensing-title")) } p { (l.t("landing-licensing")) } }
                li { h2 { (l.t("landing-tracking-title")) } p { (l.t("landing-tracking")) } }
            }
            h2 { (l.t("landing-start")) }
            ul.actions {
                li { a.button href="/check" { (l.t("nav-check")) } }
                li { a.button href="/verify" { (l.t("nav-verify")) } }
                @if signed_in {
                    li { a.button href="/work" { (l.t("nav-work")) } }
                } @else {
                    li { a.button href="/sign-in" { (l.t("sign-in")) } }
                }
                li { a href="/docs" { (l.t("landing-api")) } }
            }
        },
    )
}
