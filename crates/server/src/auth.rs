//! Logins and API tokens over HTTP (the sign-in itself is `cases::signin`, shared with
//! the portal's sign-in page). Every protected handler takes a [`Caller`], which rejects
//! a missing, unknown, revoked or expired token with 401.

use crate::{AppState, Problem};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use cases::signin::Credential;
use chrono::{DateTime, Duration, Utc};
use control::Principal;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use store::TokenCheck;

/// Lifetime of a token issued at login.
pub const LOGIN_TOKEN_HOURS: i64 = 12;

/// The client's network address, when the server knows it: the connection's, or the one
/// a trusted proxy forwarded ([`crate::edge`]).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<crate::edge::Peer>()
                .and_then(|p| p.client),
        ))
    }
}

/// The authenticated caller, and the SHA-256 of the token it presented.
#[derive(Clone, Debug)]
pub struct Caller(pub Principal, pub String);

fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Caller, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("this endpoint needs 'Authorization: Bearer <token>'"))?
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header must be 'Bearer <token>'"))?
            .trim();
        let hash = token_hash(token);
        let now = s.clock.now();
        // Checked in the database on every request, never cached: a token revoked (or a
        // user deactivated) by any process stops working at once everywhere (issue 11
        // item 8). It is one lookup by primary key.
        match s.store.authenticate(&hash, now).await? {
            TokenCheck::Valid(p, _) => Ok(Caller(p, hash)),
            TokenCheck::Unknown => Err(unauthorized("unknown token")),
            TokenCheck::Revoked => Err(unauthorized(
                "the token was revoked or its user deactivated",
            )),
            TokenCheck::Expired(at) => Err(unauthorized(format!(
                "the token expired at {}; log in again",
                at.to_rfc3339()
            ))),
        }
    }
}

/// SHA-256 of a token, hex (what is stored).
pub fn token_hash(token: &str) -> String {
    cases::signin::secret_hash(token)
}

/// Random bytes as hex.
pub fn random_hex(bytes: usize) -> Result<String, Problem> {
    Ok(cases::random_hex(bytes)?)
}

/// A new identifier with a readable prefix.
pub fn new_id(prefix: &str) -> Result<String, Problem> {
    Ok(cases::new_id(prefix)?)
}

/// Login request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A token and when it expires.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// Bearer token (shown once).
    pub token: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// Log in with user name and password; get a Bearer token. Five wrong passwords for an
/// account, or twenty from one address, lock it for 15 minutes (each later lock doubles,
/// up to a day; an administrator can unlock an account); unknown names are answered the
/// same way after the same work. Every failure is audited.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = Login,
    responses((status = 200, description = "OK", body = TokenOut), (status = 401, description = "wrong user name or password", body = Problem),
        (status = 429, description = "locked after too many failed logins (Retry-After)", body = Problem), (status = 503, description = "too many logins at once (Retry-After)", body = Problem)), tag = "identities")]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<TokenOut>, Problem> {
    let Json(l) = body?;
    let signed = cases::signin::sign_in(
        &s,
        &l.username,
        l.password,
        addr,
        Credential::Token(Duration::hours(LOGIN_TOKEN_HOURS)),
    )
    .await?;
    Ok(Json(TokenOut {
        token: signed.secret,
        expires_at: signed.expires_at,
    }))
}

/// Whether an account was locked.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Unlocked {
    /// True when failed logins were on record and are now forgotten.
    pub unlocked: bool,
}

/// Unlock an account after failed logins (its failures are forgotten). Audited.
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", params(("username" = String, Path, description = "User name")),
    responses((status = 200, description = "OK", body = Unlocked), (status = 403, description = "the caller may not do this", body = Problem)),
    security(("bearer" = [])), tag = "identities")]
pub async fn unlock(
    State(s): State<AppState>,
    Caller(p, _): Caller,
    Path(username): Path<String>,
) -> Result<Json<Unlocked>, Problem> {
    let unlocked = cases::signin::unlock(&s, &p, &username).await?;
    Ok(Json(Unlocked { unlocked }))
}

/// The token that was revoked.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoggedOut {
    /// Always true.
    pub revoked: bool,
}

/// Revoke the token this request carries (log out).
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 200, description = "OK", body = LoggedOut), (status = 401, description = "no valid token", body = Problem)),
    security(("bearer" = [])), tag = "identities")]
pub async fn logout(
    State(s): State<AppState>,
    Caller(p, hash): Caller,
) -> Result<Json<LoggedOut>, Problem> {
    cases::signin::revoke_token(&s, &p, &hash).await?;
    Ok(Json(LoggedOut { revoked: true }))
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, description = "OK", body = control::Principal)),
    security(("bearer" = [])), tag = "identities")]
pub async fn me(Caller(p, _): Caller) -> Json<Principal> {
    Json(p)
}
