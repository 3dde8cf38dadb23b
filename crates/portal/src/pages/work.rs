//! My work: who the signed-in user is, and the export applications its role lets it see
//! (an exporter its own, an authority's officer every one), through the same use case as
//! `GET /api/v1/export-applications` (`cases::applications::list`): filtered by state,
//! filing dates, destination, substance, enterprise and words, a page at a time. An
//! officer's list is a worklist: ordered by the statutory review clock, overdue first,
//! with the days left on each case; an exporter's is newest first. The filters are a GET
//! form, so a filtered list is a link that can be kept or sent.

use crate::layout::{Chosen, Nav, Shell};
use crate::session::SignedIn;
use crate::Lang;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::response::Response;
use cases::applications::{ListQuery, ReviewClock, Summary};
use cases::{api_name, CaseError, Services};
use control::{Role, State as CaseState};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use store::ApplicationOrder;

/// The list's filters as the form sends them (every field text, empty meaning "any").
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Filters {
    /// A state, or `open`.
    #[serde(default)]
    pub state: String,
    /// Words to find.
    #[serde(default)]
    pub q: String,
    /// Country of destination.
    #[serde(default)]
    pub destination: String,
    /// Part of the substance's name.
    #[serde(default)]
    pub substance: String,
    /// An enterprise (organisation id); authorities only.
    #[serde(default)]
    pub enterprise: String,
    /// Filed on or after (YYYY-MM-DD).
    #[serde(default)]
    pub filed_from: String,
    /// Filed on or before (YYYY-MM-DD).
    #[serde(default)]
    pub filed_to: String,
    /// `clock` or `newest` (empty: the role's default).
    #[serde(default)]
    pub order: String,
    /// Where the page continues (from the previous page's "next" link).
    #[serde(default)]
    pub cursor: String,
}

/// Rows a page shows.
const PAGE_ROWS: usize = 50;

/// The states an application may be in, in the order a case goes through them.
const STATES: [CaseState; 9] = [
    CaseState::Draft,
    CaseState::UnderReview,
    CaseState::AwaitingApplicant,
    CaseState::AwaitingImportingAuthority,
    CaseState::Verified,
    CaseState::ObjectionReceived,
    CaseState::Approved,
    CaseState::Refused,
    CaseState::Withdrawn,
];

/// `GET /work`.
pub async fn show<S>(
    State(s): State<S>,
    chosen: Chosen,
    SignedIn(session): SignedIn,
    filters: Result<Query<Filters>, QueryRejection>,
) -> Response
where
    Services: FromRef<S>,
{
    let s = Services::from_ref(&s);
    let p = session.principal.clone();
    let f = filters.map(|Query(f)| f).unwrap_or_default();
    let shell = Shell {
        chosen,
        path: "/work".into(),
        nav: Nav::Work,
        session: Some(session.clone()),
    };
    let l = shell.lang();
    let exporter = p.role == Role::ComplianceOfficer;
    let order = match f.order.as_str() {
        "newest" => ApplicationOrder::Newest,
        "clock" => ApplicationOrder::Worklist,
        _ if exporter => ApplicationOrder::Newest,
        _ => ApplicationOrder::Worklist,
    };
    let day = |t: &str| chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok();
    let bad_dates: Vec<&str> = [&f.filed_from, &f.filed_to]
        .into_iter()
        .filter(|t| !t.trim().is_empty() && day(t).is_none())
        .map(String::as_str)
        .collect();
    let query = ListQuery {
        state: f.state.clone(),
        filed_from: day(&f.filed_from),
        filed_to: day(&f.filed_to),
        destination: f.destination.clone(),
        substance: f.substance.clone(),
        enterprise: if exporter {
            String::new()
        } else {
            f.enterprise.clone()
        },
        search: f.q.clone(),
        order,
    };
    let list = match store::PageRequest::new(Some(PAGE_ROWS), Some(&f.cursor)) {
        Ok(page) => cases::applications::list(&s, &p, &query, &page).await,
        Err(e) => Err(CaseError::from(e)),
    };
    let zone = s.rules.workflow.time_zone;
    let applications = match list {
        Ok(page) if page.items.is_empty() => html! { p { (l.t("work-no-applications")) } },
        Ok(page) => {
            let next = page.next.as_ref().map(|cursor| {
                let mut kept = Filters {
                    cursor: cursor.clone(),
                    ..f.clone_filters()
                };
                kept.order = api_order(order).into();
                format!(
                    "/work?{}",
                    serde_urlencoded::to_string(&kept).unwrap_or_default()
                )
            });
            html! {
                (table(l, zone, !exporter, &page.items))
                @if let Some(next) = next { p { a href=(next) rel="next" { (l.t("work-next-page")) } } }
            }
        }
        // A role that does not handle applications sees none (not an error of its own).
        Err(CaseError::Denied(_)) => html! {},
        Err(e) => {
            html! { div.error role="alert" { p { (l.t("work-unavailable")) } p.detail { (e.to_string()) } } }
        }
    };
    let handles = control::may(&p, &control::Operation::ListApplications).is_ok();
    let role = l.t(&format!("role-{}", p.role.as_str()));
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
            @if handles {
                (filter_form(l, &f, order, !exporter))
                @for d in &bad_dates {
                    div.error role="alert" { p { (l.t_with("check-bad-date", &[("date", d)])) } }
                }
            }
            (applications)
        },
    )
}

impl Filters {
    /// The filters without the cursor.
    fn clone_filters(&self) -> Filters {
        Filters {
            state: self.state.clone(),
            q: self.q.clone(),
            destination: self.destination.clone(),
            substance: self.substance.clone(),
            enterprise: self.enterprise.clone(),
            filed_from: self.filed_from.clone(),
            filed_to: self.filed_to.clone(),
            order: self.order.clone(),
            cursor: String::new(),
        }
    }
}

fn api_order(o: ApplicationOrder) -> &'static str {
    match o {
        ApplicationOrder::Newest => "newest",
        ApplicationOrder::Worklist => "clock",
    }
}

fn filter_form(l: Lang, f: &Filters, order: ApplicationOrder, authority: bool) -> Markup {
    html! {
        form.filters method="get" action="/work" role="search" {
            div.field {
                label for="f-q" { (l.t("work-search")) }
                input #f-q type="search" name="q" value=(f.q) maxlength="200";
            }
            div.field {
                label for="f-state" { (l.t("work-state")) }
                select #f-state name="state" {
                    option value="" selected[f.state.is_empty()] { (l.t("work-any")) }
                    option value="open" selected[f.state == "open"] { (l.t("work-open")) }
                    @for st in STATES {
                        @let name = api_name(st);
                        option value=(name) selected[f.state == name] { (l.t(&format!("state-{name}"))) }
                    }
                }
            }
            div.field {
                label for="f-substance" { (l.t("work-substance")) }
                input #f-substance type="text" name="substance" value=(f.substance) maxlength="200";
            }
            div.field {
                label for="f-destination" { (l.t("work-destination")) }
                input #f-destination type="text" name="destination" value=(f.destination) maxlength="2" size="3";
            }
            @if authority {
                div.field {
                    label for="f-enterprise" { (l.t("work-enterprise")) }
                    input #f-enterprise type="text" name="enterprise" value=(f.enterprise) maxlength="200";
                }
            }
            div.field {
                label for="f-from" { (l.t("work-filed-from")) }
                input #f-from type="date" name="filed_from" value=(f.filed_from);
            }
            div.field {
                label for="f-to" { (l.t("work-filed-to")) }
                input #f-to type="date" name="filed_to" value=(f.filed_to);
            }
            div.field {
                label for="f-order" { (l.t("work-order")) }
                select #f-order name="order" {
                    option value="clock" selected[order == ApplicationOrder::Worklist] { (l.t("work-order-clock")) }
                    option value="newest" selected[order == ApplicationOrder::Newest] { (l.t("work-order-newest")) }
                }
            }
            div.field.actions {
                button type="submit" { (l.t("work-filter")) }
                a href="/work" { (l.t("work-clear")) }
            }
        }
    }
}

/// The review clock as a reader wants it in a list: days left, days over, or paused.
fn clock_cell(l: Lang, c: &ReviewClock, state: &str, zone: chrono_tz::Tz) -> Markup {
    let finished = STATES.iter().any(|s| s.is_final() && api_name(*s) == state);
    if finished {
        return html! {};
    }
    let left = f64::from(c.review_days) - c.used_days;
    let due = c.deadline.map(|d| l.day(d, zone)).unwrap_or_default();
    if c.paused {
        html! { span.clock.paused { (l.t_with("work-clock-paused", &[("days", &format!("{:.0}", left.max(0.0).floor()))])) } }
    } else if c.overdue {
        html! { span.clock.overdue { (l.t_with("work-clock-overdue", &[("days", &format!("{:.0}", (-left).ceil())), ("date", &due)])) } }
    } else {
        html! { span.clock { (l.t_with("work-clock-left", &[("days", &format!("{:.0}", left.floor())), ("date", &due)])) } }
    }
}

fn table(l: Lang, zone: chrono_tz::Tz, authority: bool, items: &[Summary]) -> Markup {
    html! {
        table.worklist {
            thead { tr {
                th { (l.t("work-application")) } th { (l.t("work-state")) } th { (l.t("work-clock")) }
                @if authority { th { (l.t("work-exporter")) } }
                th { (l.t("work-substance")) } th { (l.t("work-destination")) } th { (l.t("work-risk")) } th { (l.t("work-submitted")) }
            } }
            tbody {
                @for a in items {
                    tr {
                        td { a href={ "/applications/" (a.id) } { code { (a.id) } } }
                        td { (l.t(&format!("state-{}", a.state))) }
                        td { (clock_cell(l, &a.review, &a.state, zone)) }
                        @if authority { td { (a.exporter) } }
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
