//! Logins and API tokens. Passwords are kept as Argon2id hashes; tokens are 256-bit
//! random strings of which only the SHA-256 is stored. Every protected handler takes a
//! [`Caller`], which rejects a missing, unknown, revoked or expired token with 401.

use crate::{AppState, Problem};
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use control::login::{Failures, KeyKind, LoginPolicy};
use control::Principal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use store::TokenCheck;
use tokio::sync::Semaphore;

/// Lifetime of a token issued at login.
pub const LOGIN_TOKEN_HOURS: i64 = 12;

/// How long a login waits for a free password check before it is told to come back.
const HASHING_WAIT_SECONDS: u64 = 10;

/// Password checks: bounded in number (each Argon2id check holds about 19 MiB for its
/// duration), throttled by `control::login`, and the same work for unknown names.
pub struct Logins {
    hashing: Arc<Semaphore>,
    /// What failed logins earn.
    pub policy: LoginPolicy,
    /// A hash of a random password, checked for names that do not exist, so that they
    /// take as long as those that do.
    decoy: String,
    /// Password checks done (known and unknown names alike).
    pub checks: AtomicU64,
}

impl Logins {
    /// At most `parallel` password checks at once.
    pub fn new(policy: LoginPolicy, parallel: usize) -> Result<Logins, Problem> {
        Ok(Logins {
            hashing: Arc::new(Semaphore::new(parallel.max(1))),
            policy,
            decoy: hash_reusing(&mut Vec::new(), random_hex(16)?.as_bytes(), &new_salt()?)
                .ok_or_else(unhashable)?,
            checks: AtomicU64::new(0),
        })
    }

    /// Whether `password` matches `hash` (`None`: the name is unknown; the decoy is
    /// checked instead and the answer is no). Runs off the async workers, at most as many
    /// at once as the bound allows; 503 when none is free in time.
    async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Problem> {
        let wait = std::time::Duration::from_secs(HASHING_WAIT_SECONDS);
        let permit = tokio::time::timeout(wait, self.hashing.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "too many logins at once; try again in a few seconds",
                )
                .with_retry_after(5)
            })?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.clone());
        self.checks.fetch_add(1, Ordering::Relaxed);
        let (answer, ok) = tokio::sync::oneshot::channel();
        HashPool::global()?.run(Box::new(move |memory: &mut Vec<argon2::Block>| {
            let _ = answer.send(verify_reusing(memory, password.as_bytes(), &hash));
        }))?;
        let ok = ok.await.unwrap_or(false);
        drop(permit);
        Ok(ok && known)
    }
}

/// The most memory a stored hash may make a check use (64 MiB; the default is 19 MiB).
const MAX_HASH_BLOCKS: usize = 64 * 1024;

/// Whether `password` matches the PHC string `phc`, computing Argon2 in `memory` (grown
/// to the hash's size once and kept: see [`HashPool`]). The comparison is constant-time.
fn verify_reusing(memory: &mut Vec<argon2::Block>, password: &[u8], phc: &str) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(h.algorithm),
        argon2::Params::try_from(&h),
    ) else {
        return false;
    };
    let version = match h.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut out = vec![0u8; expected.len()];
    argon2_in(
        memory,
        Argon2::new(algorithm, version, params),
        password,
        salt,
        &mut out,
    ) && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// Argon2 of `password` with `salt` into `out`, in `memory` (grown once to the
/// parameters' size, at most [`MAX_HASH_BLOCKS`]).
fn argon2_in(
    memory: &mut Vec<argon2::Block>,
    a: Argon2<'_>,
    password: &[u8],
    salt: argon2::password_hash::Salt<'_>,
    out: &mut [u8],
) -> bool {
    let blocks = a.params().block_count();
    if blocks > MAX_HASH_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    a.hash_password_into_with_memory(password, raw, out, &mut memory[..blocks])
        .is_ok()
}

/// A new password's Argon2id hash (default parameters) as a PHC string, computed in
/// `memory` (see [`HashPool`]).
fn hash_reusing(
    memory: &mut Vec<argon2::Block>,
    password: &[u8],
    salt: &SaltString,
) -> Option<String> {
    let params = argon2::Params::default();
    let (algorithm, version) = (argon2::Algorithm::Argon2id, argon2::Version::V0x13);
    let mut out = vec![
        0u8;
        params
            .output_len()
            .unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN)
    ];
    let a = Argon2::new(algorithm, version, params.clone());
    if !argon2_in(memory, a, password, salt.as_salt(), &mut out) {
        return None;
    }
    let hash = PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: argon2::password_hash::ParamsString::try_from(&params).ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).ok()?),
    };
    Some(hash.to_string())
}

/// A random salt for a new password hash.
fn new_salt() -> Result<SaltString, Problem> {
    SaltString::encode_b64(random_hex(16)?.as_bytes()).map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "password-hash",
            e.to_string(),
        )
    })
}

fn unhashable() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "password-hash",
        "the password could not be hashed",
    )
}

/// Hash a new password (Argon2id, default parameters) on the password-check threads.
pub async fn hash_new_password(password: &str) -> Result<String, Problem> {
    let salt = new_salt()?;
    let (answer, hashed) = tokio::sync::oneshot::channel();
    let password = password.to_string();
    HashPool::global()?.run(Box::new(move |memory: &mut Vec<argon2::Block>| {
        let _ = answer.send(hash_reusing(memory, password.as_bytes(), &salt));
    }))?;
    hashed.await.ok().flatten().ok_or_else(unhashable)
}

type HashJob = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

/// A fixed set of threads for password checks, each with its own Argon2 memory, reused.
/// Not tokio's blocking pool with `verify_password`: every check allocated a fresh
/// 19 MiB that the allocator kept (the server grew by about 19 MB per login, to 650 MB
/// after 64); here the memory is at most one block per thread, for good.
struct HashPool {
    jobs: std::sync::mpsc::Sender<HashJob>,
}

static POOL: std::sync::OnceLock<Result<HashPool, String>> = std::sync::OnceLock::new();

impl HashPool {
    /// The process's password-check threads, one per core, started on first use.
    fn global() -> Result<&'static HashPool, Problem> {
        POOL.get_or_init(|| {
            HashPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
                .map_err(|p| p.detail)
        })
        .as_ref()
        .map_err(|e| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "password-check", e.clone()))
    }

    fn new(threads: usize) -> Result<HashPool, Problem> {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("password-check-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| {
                    Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "password-check",
                        e.to_string(),
                    )
                })?;
        }
        Ok(HashPool { jobs: tx })
    }

    fn run(&self, job: HashJob) -> Result<(), Problem> {
        let gone = || {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "password-check",
                "the password checks stopped; restart the server",
            )
        };
        self.jobs.send(job).map_err(|_| gone())
    }
}

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

/// The failed-login key of an account name (bounded: a name is at most 256 characters).
fn account_key(username: &str) -> String {
    format!("account:{}", username.chars().take(256).collect::<String>())
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>, what: &str) -> Problem {
    let secs = u64::try_from((until - now).num_seconds()).unwrap_or(1);
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "locked",
        format!(
            "too many failed logins from this {what}; try again after {} or ask an administrator to unlock the account",
            until.format("%Y-%m-%d %H:%M UTC")
        ),
    )
    .with_retry_after(secs)
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
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Random bytes as hex.
pub fn random_hex(bytes: usize) -> Result<String, Problem> {
    Ok(cases::random_hex(bytes)?)
}

/// A new identifier with a readable prefix.
pub fn new_id(prefix: &str) -> Result<String, Problem> {
    Ok(cases::new_id(prefix)?)
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
    let now = s.clock.now();
    let policy = s.logins.policy;
    let account = account_key(&l.username);
    let address = addr.map(|a| format!("address:{a}"));
    // Locked keys are refused before any password work.
    if let Some(key) = &address {
        if let Some(until) = s.store.login_failures(key).await?.locked_at(now) {
            return Err(locked(until, now, "address"));
        }
    }
    if let Some(until) = s.store.login_failures(&account).await?.locked_at(now) {
        return Err(locked(until, now, "account"));
    }
    let record = s.store.login_record(&l.username).await?;
    let hash = record.as_ref().map(|(_, h)| h.clone());
    let ok = s.logins.verify(l.password, hash).await?;
    let mut tx = s.store.write().await?;
    let Some((user, _)) = record.filter(|_| ok) else {
        // Counted in the transaction, so concurrent failures all count.
        let (af, account_locked) =
            tx.login_failures(&account)
                .await?
                .after_failure(&policy, KeyKind::Account, now);
        tx.put_login_failures(&account, &af, now).await?;
        let mut address_failures = Failures::default();
        if let Some(key) = &address {
            let (f, _) =
                tx.login_failures(key)
                    .await?
                    .after_failure(&policy, KeyKind::Address, now);
            tx.put_login_failures(key, &f, now).await?;
            address_failures = f;
        }
        let subject = format!("login/{}", law::excerpt(&l.username));
        tx.audit(
            now,
            "anonymous",
            "user.login_failed",
            &subject,
            serde_json::Value::Null,
            serde_json::json!({
                "address": addr.map(|a| a.to_string()),
                "account_failures": af.count,
                "address_failures": address_failures.count,
                "locked_until": af.locked_until,
            }),
        )
        .await?;
        if account_locked {
            tx.audit(
                now,
                "anonymous",
                "user.locked",
                &subject,
                serde_json::Value::Null,
                serde_json::json!({"locked_until": af.locked_until}),
            )
            .await?;
        }
        tx.commit().await?;
        return Err(unauthorized("wrong user name or password"));
    };
    tx.clear_login_failures(&account).await?;
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
    control::may(&p, &control::Operation::ManageIdentities)?;
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let unlocked = tx.clear_login_failures(&account_key(&username)).await?;
    tx.audit(
        now,
        &p.user,
        "user.unlock",
        &format!("login/{}", law::excerpt(&username)),
        serde_json::Value::Null,
        serde_json::json!({"unlocked": unlocked}),
    )
    .await?;
    tx.commit().await?;
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
    Ok(Json(LoggedOut { revoked: true }))
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, description = "OK", body = control::Principal)),
    security(("bearer" = [])), tag = "identities")]
pub async fn me(Caller(p, _): Caller) -> Json<Principal> {
    Json(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    /// The reused-memory hashing and checking agree with the argon2 crate's own, both
    /// ways, so hashes stored before and after read the same.
    #[test]
    fn reused_memory_hashes_are_standard_argon2id() {
        let mut memory = Vec::new();
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let ours = hash_reusing(&mut memory, b"correct horse battery", &salt).expect("hash");
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .expect("hash")
            .to_string();
        assert_eq!(ours, theirs);
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(verify_reusing(
            &mut memory,
            b"correct horse battery",
            &theirs
        ));
        assert!(!verify_reusing(
            &mut memory,
            b"correct horse batterx",
            &theirs
        ));
        assert!(!verify_reusing(&mut memory, b"x", "not a phc string"));
        // A stored hash asking for more memory than the bound is refused, not computed.
        let huge = theirs.replace("m=19456", "m=4194304");
        assert!(!verify_reusing(
            &mut memory,
            b"correct horse battery",
            &huge
        ));
        assert!(memory.len() <= MAX_HASH_BLOCKS);
    }
}
