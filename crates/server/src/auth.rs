//! Logins and API tokens. Passwords are kept as Argon2id hashes; tokens are 256-bit
//! random strings of which only the SHA-256 is stored. Every protected handler takes a
//! [`Caller`], which rejects a missing, unknown, revoked or expired token with 401.

use crate::{AppState, Problem};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use control::Principal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::TokenCheck;

/// Lifetime of a token issued at login.
pub const LOGIN_TOKEN_HOURS: i64 = 12;

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
        // A cached holder is used until the entry's own time runs out; only a database
        // answer refreshes the cache, so other processes' revocations reach us in time.
        if let Some((p, expires)) = s.caches.tokens.get(&hash) {
            if now < expires {
                return Ok(Caller(p, hash));
            }
        }
        match s.store.authenticate(&hash, now).await? {
            TokenCheck::Valid(p, expires) => {
                s.caches.tokens.put(hash.clone(), (p.clone(), expires));
                Ok(Caller(p, hash))
            }
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
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Random bytes as hex.
pub fn random_hex(bytes: usize) -> Result<String, Problem> {
    let mut b = vec![0u8; bytes];
    getrandom::getrandom(&mut b).map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no-randomness",
            format!("the system has no randomness available: {e}"),
        )
    })?;
    Ok(hex::encode(b))
}

/// A new identifier with a readable prefix.
pub fn new_id(prefix: &str) -> Result<String, Problem> {
    Ok(format!("{prefix}-{}", random_hex(8)?))
}

/// Hash a password (Argon2id, default parameters).
pub fn hash_password(password: &str) -> Result<String, Problem> {
    let salt = SaltString::encode_b64(random_hex(16)?.as_bytes()).map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "password-hash",
            e.to_string(),
        )
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "password-hash",
                e.to_string(),
            )
        })
}

/// Issue a token for a user inside a write transaction; returns the token (shown once).
pub async fn issue_token(
    tx: &mut store::WriteTx,
    user: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<(String, DateTime<Utc>), Problem> {
    let token = format!("fg_{}", random_hex(32)?);
    let expires = now + lifetime;
    tx.insert_token(&token_hash(&token), user, expires, now)
        .await?;
    Ok((token, expires))
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

/// Log in with user name and password; get a Bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = Login,
    responses((status = 200, description = "OK", body = TokenOut), (status = 401, description = "no valid token", body = Problem)), tag = "identities")]
pub async fn login(
    State(s): State<AppState>,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<TokenOut>, Problem> {
    let Json(l) = body?;
    let wrong = || unauthorized("wrong user name or password");
    let (user, hash) = s.store.login_record(&l.username).await?.ok_or_else(wrong)?;
    // Argon2 is deliberately slow: keep it off the async workers.
    let password = l.password;
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    if !ok {
        return Err(wrong());
    }
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let (token, expires_at) =
        issue_token(&mut tx, &user, now, Duration::hours(LOGIN_TOKEN_HOURS)).await?;
    tx.audit(
        now,
        &user,
        "user.login",
        &format!("user/{user}"),
        serde_json::Value::Null,
        serde_json::json!({"token_expires_at": expires_at}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(TokenOut { token, expires_at }))
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
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    tx.revoke_token(&hash).await?;
    tx.audit(
        now,
        &p.user,
        "user.logout",
        &format!("user/{}", p.user),
        serde_json::Value::Null,
        serde_json::json!({"token_revoked": true}),
    )
    .await?;
    tx.commit().await?;
    s.caches.tokens.remove(&hash);
    Ok(Json(LoggedOut { revoked: true }))
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, description = "OK", body = control::Principal)),
    security(("bearer" = [])), tag = "identities")]
pub async fn me(Caller(p, _): Caller) -> Json<Principal> {
    Json(p)
}
