//! The OpenAPI 3.1 description, generated from the handlers' annotations, and the API
//! reference page at `/docs`: rendered on the server from the same description, in the
//! portal's shell, with nothing loaded from the internet (closed networks).

use crate::{
    admin, applications, audit, auth, events, notifications, oversight, permits, substances,
    Problem,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every answer the framework and the shared extractors can give, on every operation
/// they apply to, so the description lists each status an operation can answer: errors
/// are `application/problem+json` (RFC 9457) whatever a handler's annotation says.
struct ProblemAnswers;

impl Modify for ProblemAnswers {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build()
        };
        for (path, item) in api.paths.paths.iter_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut add = |code: &str, why: &str| {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(why)
                                    .content("application/problem+json", problem())
                                    .build(),
                            )
                        });
                };
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                let paged = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, RefOr::T(p) if p.name == "cursor"));
                if paged {
                    add("422", "the cursor is not one this list gave");
                }
                if has_params || has_body {
                    add("400", "a parameter or the body could not be read");
                }
                if secured {
                    add("401", "no valid token");
                    add("403", "the caller may not do this");
                }
                if path.contains('{') {
                    add("404", "no such record");
                }
                if has_body {
                    add("413", "the body is too large");
                    add(
                        "415",
                        "the body is not of a content type this operation reads",
                    );
                    add("422", "the body does not hold what this operation needs");
                }
                add("503", "the database could not be reached");
                // Whatever a handler's annotation says, a failure answers problem+json.
                for (code, res) in op.responses.responses.iter_mut() {
                    let failure = code.parse::<u16>().is_ok_and(|c| c >= 400);
                    if let (true, RefOr::T(r)) = (failure, res) {
                        let schema = r.content.values().find_map(|c| match c {
                            RefOr::T(c) => c.schema.clone(),
                            RefOr::Ref(_) => None,
                        });
                        r.content.clear();
                        r.content.insert(
                            "application/problem+json".into(),
                            RefOr::T(
                                ContentBuilder::new()
                                    .schema(
                                        schema.or_else(|| {
                                            Some(Ref::from_schema_name("Problem").into())
                                        }),
                                    )
                                    .build(),
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "FentGuard API", description = "Export licensing of fentanyl precursors: applications, risk assessment, pre-export notifications, signed permits, customs; the EPCIS 2.0 traceability ledger under /epcis with the control rules applied to every event; inventory, deadlines, alerts and credit ratings. Errors are application/problem+json."),
    paths(
        permits::healthz, auth::login, auth::unlock, auth::me,
        substances::classify, substances::export_check,
        admin::create_organisation, admin::list_organisations, admin::create_user, admin::put_licence, admin::licences_of,
        applications::submit, applications::list, applications::get_one, applications::document, applications::request_information,
        applications::provide_information, applications::forward, applications::decide, applications::withdraw,
        notifications::list, notifications::get_one, notifications::document, notifications::send,
        notifications::reply, notifications::lapse,
        permits::public_key, permits::verify_permit, permits::get_permit, permits::declare, permits::confirm_exit,
        permits::endorse_receipt, permits::revoke_permit, oversight::alerts, oversight::confirm_claim, auth::logout, audit::verify_audit, audit::verify_against, audit::checkpoint,
        oversight::alert_stream, oversight::inventory, oversight::verify_inventory, oversight::deadlines, oversight::credit_rating,
        oversight::run_reconciliation, oversight::put_party, oversight::parties, oversight::put_plan,
        events::capture_options, events::capture, events::capture_jobs, events::capture_job, events::query_events, events::get_event,
    ),
    components(schemas(Problem, crate::events::CaptureDocument, crate::events::CaptureDocumentType, crate::events::CaptureBody)),
    modifiers(&BearerAuth, &ProblemAnswers)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `GET /docs`: every operation by tag, with its parameters, body, answers and whether
/// it needs a token; `/openapi.json` for tools.
pub async fn docs(
    chosen: portal::layout::Chosen,
    visitor: portal::session::Visitor,
) -> axum::response::Response {
    use maud::html;
    let shell = portal::Shell {
        chosen,
        path: "/docs".into(),
        nav: portal::layout::Nav::Api,
        session: visitor.session,
    };
    let l = shell.lang();
    // The description is fixed at build time: derive it once, not per request.
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_default());
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    // tag -> (method, path, operation), in path order.
    let mut by_tag: std::collections::BTreeMap<String, Vec<(&str, &str, &serde_json::Value)>> =
        Default::default();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete", "options"] {
            if let Some(op) = item.get(method) {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                by_tag.entry(tag).or_default().push((method, path, op));
            }
        }
    }
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    shell.render(
        &l.t("api-title"),
        html! {
            p { (l.t("api-lead")) " " a href="/openapi.json" { "/openapi.json" } }
            nav aria-label=(l.t("api-tags")) {
                ul { @for tag in by_tag.keys() { li { a href={ "#tag-" (tag.replace(' ', "-")) } { (tag) } } } }
            }
            @for (tag, ops) in &by_tag {
                section aria-labelledby={ "tag-" (tag.replace(' ', "-")) } {
                    h2 id={ "tag-" (tag.replace(' ', "-")) } { (tag) }
                    @for (method, path, op) in ops {
                        article.verdict {
                            h3 { code { (method.to_uppercase()) " " (path) } }
                            @if op.get("security").is_some() { p.hint { (l.t("api-token")) } } @else { p.hint { (l.t("api-public")) } }
                            @if let Some(d) = op.get("description").or(op.get("summary")) { p { (text(d)) } }
                            @if let Some(params) = op["parameters"].as_array() {
                                h4 { (l.t("api-parameters")) }
                                table { tbody { @for p in params {
                                    tr { td { code { (text(&p["name"])) } } td { (text(&p["in"])) } td { (text(&p["description"])) } }
                                } } }
                            }
                            @if let Some(body) = op["requestBody"]["content"].as_object() {
                                p { (l.t("api-body")) " " @for ct in body.keys() { code { (ct) } " " } }
                            }
                            @if let Some(answers) = op["responses"].as_object() {
                                h4 { (l.t("api-responses")) }
                                table { tbody { @for (code, r) in answers {
                                    tr { td { code { (code) } } td { (text(&r["description"])) } }
                                } } }
                            }
                        }
                    }
                }
            }
        },
    )
}
