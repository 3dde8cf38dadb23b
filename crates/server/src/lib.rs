//! # server: FentGuard's HTTP API
//!
//! Thin handlers: authenticate the caller ([`auth::Caller`]), ask `control::access` whether
//! the caller may act, decode, call the domain (`control`, `law`), and store the change
//! with its audit entry in one transaction (`store::WriteTx`). Errors are
//! `application/problem+json` ([`Problem`]). The OpenAPI 3.1 description is generated from
//! the handlers ([`openapi`]) and served at `/openapi.json`, with interactive docs at
//! `/docs`.

#![warn(missing_docs)]
// A Problem is ~140 bytes; it travels only on the error path of a request, once, so
// boxing it would buy nothing measurable and cost readability everywhere.
#![allow(clippy::result_large_err)]

mod access;
pub mod admin;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod custody;
pub mod demo;
pub mod edge;
pub mod events;
mod headers;
pub mod notifications;
pub mod openapi;
pub mod oversight;
pub mod paging;
pub mod permits;
mod problem;
pub mod substances;

pub use problem::Problem;

use axum::routing::{get, post, put};
use axum::Router;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::sync::Arc;
use store::Store;
use thiserror::Error;

/// Largest request body accepted (bytes).
pub const MAX_BODY: usize = 1 << 20;

pub use cases::{api_name, Caches, Clock, Rules, Services, CACHE_SECONDS};
pub use portal::Printing;

/// Shared state of a running server.
#[derive(Clone)]
pub struct AppState {
    /// What the use cases need (database, law, keys, clock); the state reads as these
    /// through `Deref`, so a handler's `s.store` is the use cases' store.
    pub services: Services,
    /// How the server is reached (its own TLS, trusted proxies).
    pub edge: Arc<edge::Edge>,
    /// How the portal prints (the public address its permits' QR codes open, the font).
    pub printing: Arc<portal::Printing>,
}

impl axum::extract::FromRef<AppState> for Arc<portal::Printing> {
    fn from_ref(s: &AppState) -> Arc<portal::Printing> {
        s.printing.clone()
    }
}

impl axum::extract::FromRef<AppState> for Services {
    fn from_ref(s: &AppState) -> Services {
        s.services.clone()
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

/// The built-in rules failed to load (a broken data file in the build).
#[derive(Debug, Error)]
pub enum StartError {
    /// Catalogue or definitions.
    #[error("loading the catalogue: {0}")]
    Catalogue(#[from] law::LoadError),
    /// Export rules.
    #[error("loading export rules: {0}")]
    Export(#[from] law::ExportError),
    /// Workflow rules.
    #[error("loading workflow rules: {0}")]
    Workflow(#[from] control::jurisdiction::RulesError),
    /// Risk model.
    #[error("loading the risk model: {0}")]
    Risk(#[from] serde_json::Error),
    /// Tracking rules.
    #[error("loading the tracking rules: {0}")]
    Tracking(#[from] control::tracking::TrackingRulesError),
    /// Credit model.
    #[error("loading the credit model: {0}")]
    Credit(#[from] control::credit::CreditModelError),
    /// The system's random source (for the login decoy).
    #[error("preparing password checks: {0}")]
    Random(String),
}

impl AppState {
    /// State with the built-in law and China's workflow rules.
    pub fn new(store: Store, signing_key: SigningKey) -> Result<AppState, StartError> {
        AppState::with_classifier(store, signing_key, law::Classifier::builtin()?)
    }

    /// State with a given classifier (e.g. with catalogue changes applied).
    pub fn with_classifier(
        store: Store,
        signing_key: SigningKey,
        classifier: law::Classifier,
    ) -> Result<AppState, StartError> {
        AppState::with_rules(
            store,
            signing_key,
            Rules {
                classifier,
                export: law::ExportChecker::builtin()?,
                workflow: control::WorkflowRules::builtin("CN")?,
                risk: control::RiskModel::builtin()?,
                tracking: control::TrackingRules::builtin("CN")?,
                credit: control::CreditModel::builtin("CN")?,
            },
        )
    }

    /// State with given rules (e.g. an authority's own risk model).
    pub fn with_rules(
        store: Store,
        signing_key: SigningKey,
        rules: Rules,
    ) -> Result<AppState, StartError> {
        let logins = cases::signin::Logins::new(
            control::login::LoginPolicy::default(),
            control::login::SessionPolicy::default(),
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )
        .map_err(|e| StartError::Random(e.to_string()))?;
        Ok(AppState {
            services: Services::new(store, signing_key, rules, logins),
            edge: Arc::new(edge::Edge::default()),
            printing: Arc::new(portal::Printing::default()),
        })
    }

    /// This state reached as `edge` says (its own TLS, trusted proxies).
    pub fn with_edge(mut self, edge: edge::Edge) -> AppState {
        self.edge = Arc::new(edge);
        self
    }

    /// This state printing as `printing` says.
    pub fn with_printing(mut self, printing: Printing) -> AppState {
        self.printing = Arc::new(printing);
        self
    }

    /// This state with the authority's earlier public keys (after a key rotation).
    pub fn with_earlier_keys(mut self, keys: Vec<VerifyingKey>) -> AppState {
        self.services.earlier_keys = Arc::new(keys);
        self
    }
}

/// The router with all routes and the body limit.
pub fn router(state: AppState) -> Router {
    use applications as a;
    use notifications as n;
    use permits as p;
    Router::new()
        .route("/healthz", get(p::healthz))
        .route("/openapi.json", get(openapi::json))
        .route("/docs", get(openapi::docs))
        .merge(portal::routes())
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/me", get(auth::me))
        .route(
            "/api/v1/organisations",
            get(admin::list_organisations).post(admin::create_organisation),
        )
        .route("/api/v1/users", post(admin::create_user))
        .route("/api/v1/users/{username}/unlock", post(auth::unlock))
        .route("/api/v1/licences", post(admin::put_licence))
        .route(
            "/api/v1/organisations/{id}/licences",
            get(admin::licences_of),
        )
        .route("/api/v1/export-applications", get(a::list).post(a::submit))
        .route("/api/v1/export-applications/{id}", get(a::get_one))
        .route(
            "/api/v1/export-applications/{id}/documents/{sha256}",
            get(a::document),
        )
        .route(
            "/api/v1/export-applications/{id}/request-information",
            post(a::request_information),
        )
        .route(
            "/api/v1/export-applications/{id}/information",
            post(a::provide_information),
        )
        .route("/api/v1/export-applications/{id}/forward", post(a::forward))
        .route("/api/v1/export-applications/{id}/decision", post(a::decide))
        .route(
            "/api/v1/export-applications/{id}/withdraw",
            post(a::withdraw),
        )
        .route("/api/v1/notifications", get(n::list))
        .route("/api/v1/notifications/{id}", get(n::get_one))
        .route("/api/v1/notifications/{id}/document", get(n::document))
        .route("/api/v1/notifications/{id}/send", post(n::send))
        .route("/api/v1/notifications/{id}/reply", post(n::reply))
        .route("/api/v1/notifications/{id}/lapse", post(n::lapse))
        .route("/api/v1/permits/public-key", get(p::public_key))
        .route("/api/v1/permits/{number}", get(p::get_permit))
        .route("/api/v1/permits/{number}/verify", get(p::verify_permit))
        .route("/api/v1/permits/{number}/receipt", post(p::endorse_receipt))
        .route("/api/v1/permits/{number}/revoke", post(p::revoke_permit))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/customs/declarations", post(p::declare))
        .route(
            "/api/v1/customs/declarations/{id}/exit",
            post(p::confirm_exit),
        )
        .route("/api/v1/alerts", get(oversight::alerts))
        .route("/api/v1/alerts/stream", get(oversight::alert_stream))
        .route(
            "/api/v1/alerts/{id}/confirmation",
            post(oversight::confirm_claim),
        )
        .route("/api/v1/inventory", get(oversight::inventory))
        .route("/api/v1/inventory/verify", get(oversight::verify_inventory))
        .route("/api/v1/deadlines", get(oversight::deadlines))
        .route(
            "/api/v1/enterprises/{id}/credit-rating",
            get(oversight::credit_rating),
        )
        .route(
            "/api/v1/reconciliation",
            post(oversight::run_reconciliation),
        )
        .route("/api/v1/parties", get(oversight::parties))
        .route("/api/v1/parties/{gln}", put(oversight::put_party))
        .route("/api/v1/production-plans", put(oversight::put_plan))
        .route(
            "/api/v1/audit/verify",
            get(audit::verify_audit).post(audit::verify_against),
        )
        .route("/api/v1/audit/checkpoint", get(audit::checkpoint))
        .route("/api/v1/classifications", post(substances::classify))
        .route("/api/v1/export-checks", post(substances::export_check))
        .fallback(|| async { Problem::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this endpoint does not accept that method",
            )
        })
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .merge(epcis_routes())
        .merge(
            portal::upload_routes()
                .layer(axum::extract::DefaultBodyLimit::max(
                    portal::UPLOAD_MAX_BODY,
                ))
                .layer(tower_http::limit::RequestBodyLimitLayer::new(
                    portal::UPLOAD_MAX_BODY,
                )),
        )
        .layer(axum::middleware::from_fn(headers::secure))
        .layer(axum::middleware::from_fn(access::log))
        .layer(axum::middleware::from_fn_with_state(
            state.edge.clone(),
            edge::peer,
        ))
        .with_state(state)
}

/// The EPCIS 2.0 bindings, with their own (larger) body limit for capture documents.
fn epcis_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/epcis/capture",
            post(events::capture)
                .get(events::capture_jobs)
                .options(events::capture_options),
        )
        .route("/epcis/capture/{id}", get(events::capture_job))
        .route("/epcis/events", get(events::query_events))
        .route("/epcis/events/{id}", get(events::get_event))
        .layer(axum::extract::DefaultBodyLimit::max(
            events::CAPTURE_MAX_BODY,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            events::CAPTURE_MAX_BODY,
        ))
}

/// The server's own TLS configuration (rustls).
pub use axum_server::tls_rustls::RustlsConfig as TlsConfig;

/// The TLS configuration could not be built from the given PEM.
#[derive(Debug, Error)]
#[error("the TLS certificate or key is not usable: {0}")]
pub struct TlsError(String);

/// Seconds a client has to finish the TLS handshake before its connection is closed.
const TLS_HANDSHAKE_SECONDS: u64 = 10;

/// The server's own TLS (HTTP/1.1 and HTTP/2) from its certificate chain (PEM, leaf
/// first) and private key (PEM: PKCS#8, PKCS#1 or SEC1), read now rather than at the
/// first client.
pub async fn tls_config(cert_pem: Vec<u8>, key_pem: Vec<u8>) -> Result<TlsConfig, TlsError> {
    // One process-wide provider; a second install (tests, restarts) is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    TlsConfig::from_pem(cert_pem, key_pem)
        .await
        .map_err(|e| TlsError(e.to_string()))
}

/// Serve until `shutdown` resolves, then finish in-flight requests and close the pool.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, None).await
}

/// [`serve`], over TLS of the server's own when `tls` is given (HTTPS only: a plain
/// HTTP request on that port fails its handshake).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    tls: Option<TlsConfig>,
) -> std::io::Result<()> {
    let store = state.store.clone();
    // Time turns missing receipts and reports into alerts; look once a minute.
    let sweeper = {
        let s = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(RECONCILE_SECONDS));
            loop {
                tick.tick().await;
                if let Err(e) = oversight::reconcile(&s, "system").await {
                    tracing::warn!("reconciliation failed: {}", e.detail);
                }
            }
        })
    };
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let res = match tls {
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        Some(config) => {
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                // As the plain server does: no new connections, in-flight requests finish.
                stopper.graceful_shutdown(None);
            });
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
                .handshake_timeout(std::time::Duration::from_secs(TLS_HANDSHAKE_SECONDS));
            axum_server::from_tcp(listener.into_std()?)?
                .acceptor(acceptor)
                .handle(handle)
                .serve(app)
                .await
        }
    };
    sweeper.abort();
    store.close().await;
    res
}

/// Seconds between reconciliation sweeps.
const RECONCILE_SECONDS: u64 = 60;
