//! The OpenAPI 3.1 description, generated from the handlers' annotations, and the
//! interactive documentation page (Scalar; its script loads from a CDN, so in an
//! air-gapped site use `/openapi.json` with any local viewer).

use crate::{
    admin, applications, audit, auth, events, notifications, oversight, permits, substances,
    AppState, Problem,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_scalar::{Scalar, Servable};

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

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "FentGuard API", description = "Export licensing of fentanyl precursors: applications, risk assessment, pre-export notifications, signed permits, customs; the EPCIS 2.0 traceability ledger under /epcis with the control rules applied to every event; inventory, deadlines, alerts and credit ratings. Errors are application/problem+json."),
    paths(
        permits::healthz, auth::login, auth::unlock, auth::me,
        substances::classify, substances::export_check,
        admin::create_organisation, admin::list_organisations, admin::create_user, admin::put_licence, admin::licences_of,
        applications::submit, applications::list, applications::get_one, applications::request_information,
        applications::provide_information, applications::forward, applications::decide, applications::withdraw,
        notifications::list, notifications::get_one, notifications::document, notifications::send,
        notifications::reply, notifications::lapse,
        permits::public_key, permits::verify_permit, permits::get_permit, permits::declare, permits::confirm_exit,
        permits::endorse_receipt, permits::revoke_permit, oversight::alerts, oversight::confirm_claim, auth::logout, audit::verify_audit, audit::verify_against, audit::checkpoint,
        oversight::alert_stream, oversight::inventory, oversight::verify_inventory, oversight::deadlines, oversight::credit_rating,
        oversight::run_reconciliation, oversight::put_party, oversight::parties, oversight::put_plan,
        events::capture_options, events::capture, events::capture_jobs, events::capture_job, events::query_events, events::get_event,
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `GET /docs`.
pub fn docs() -> axum::Router<AppState> {
    axum::Router::new().merge(Scalar::with_url("/docs", ApiDoc::openapi()))
}
