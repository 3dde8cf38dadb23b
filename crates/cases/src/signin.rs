//! Signing in and out, for the API (a Bearer token) and for the portal (a browser
//! session), through one sequence: the same lock-out counters, the same password checks,
//! the same audit entries.
//!
//! Passwords are kept as Argon2id hashes. A token or a session is a 256-bit random secret
//! of which only the SHA-256 is stored. Failed sign-ins are counted per account and per
//! client address (`control::login` decides what they earn) in the transaction that
//! audits them, so concurrent failures all count and every `serve` process sharing the
//! database agrees.

use crate::{random_hex, CaseError, Services};
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use control::login::{Failures, KeyKind, LoginPolicy, SessionEnd, SessionPolicy};
use control::Principal;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use store::{SessionRecord, WriteTx};
use tokio::sync::Semaphore;

/// How long a sign-in waits for a free password check before it is told to come back.
const HASHING_WAIT_SECONDS: u64 = 10;

/// How stale a session's recorded last use may be (one write per session per minute).
const SESSION_TOUCH_SECONDS: i64 = 60;

/// The client of one request as the network edge established it (the server's `edge`
/// believes forwarding headers only from trusted proxies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The client's address: the connection's, or the one a trusted proxy forwarded.
    pub client: Option<IpAddr>,
    /// The request reached the server, or its trusted proxy, over HTTPS.
    pub https: bool,
}

/// Password checks, bounded in number (each Argon2id check holds about 19 MiB while it
/// runs), throttled by `control::login`, and the same work for unknown names.
pub struct Logins {
    hashing: Arc<Semaphore>,
    /// What failed sign-ins earn.
    pub policy: LoginPolicy,
    /// How long browser sessions last.
    pub sessions: SessionPolicy,
    /// A hash of a random password, checked for names that do not exist, so that they
    /// take as long as those that do.
    decoy: String,
    /// Password checks done (known and unknown names alike).
    pub checks: AtomicU64,
}

impl Logins {
    /// At most `parallel` password checks at once.
    pub fn new(
        policy: LoginPolicy,
        sessions: SessionPolicy,
        parallel: usize,
    ) -> Result<Logins, CaseError> {
        Ok(Logins {
            hashing: Arc::new(Semaphore::new(parallel.max(1))),
            policy,
            sessions,
            decoy: hash_reusing(&mut Vec::new(), random_hex(16)?.as_bytes(), &new_salt()?)
                .ok_or_else(unhashable)?,
            checks: AtomicU64::new(0),
        })
    }

    /// Whether `password` matches `hash` (`None`: the name is unknown; the decoy is
    /// checked instead and the answer is no). Runs off the async workers, at most as many
    /// at once as the bound allows; [`CaseError::Busy`] when none is free in time.
    async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, CaseError> {
        let wait = std::time::Duration::from_secs(HASHING_WAIT_SECONDS);
        let permit = tokio::time::timeout(wait, self.hashing.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(CaseError::Busy {
                retry_after_seconds: 5,
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

/// What a successful sign-in hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// An API token that lasts this long.
    Token(Duration),
    /// A browser session (its lifetime is the [`SessionPolicy`]).
    Session,
}

/// A successful sign-in: the secret to present from now on (shown once; only its SHA-256
/// is kept).
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The user's id.
    pub user: String,
    /// The token or session secret.
    pub secret: String,
    /// When it expires at the latest.
    pub expires_at: DateTime<Utc>,
}

/// Which counter locked a sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockedKey {
    /// The account's.
    Account,
    /// The client address's.
    Address,
}

/// The failed-login key of an account name (bounded: a name is at most 256 characters).
fn account_key(username: &str) -> String {
    format!("account:{}", username.chars().take(256).collect::<String>())
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>, key: LockedKey) -> CaseError {
    CaseError::Locked {
        until,
        key,
        retry_after_seconds: u64::try_from((until - now).num_seconds()).unwrap_or(1),
    }
}

/// SHA-256 of a token or session secret, hex (what is stored).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Sign `username` in with `password` from `address`, handing out `credential`. Five
/// wrong passwords for an account, or twenty from one address, lock it (the
/// [`LoginPolicy`]); locked keys are refused before any password work; unknown names
/// are answered the same way after the same work. Every failure and every sign-in is
/// audited.
pub async fn sign_in(
    s: &Services,
    username: &str,
    password: String,
    address: Option<IpAddr>,
    credential: Credential,
) -> Result<SignedIn, CaseError> {
    let now = s.clock.now();
    let policy = s.logins.policy;
    let account = account_key(username);
    let address_key = address.map(|a| format!("address:{a}"));
    if let Some(key) = &address_key {
        if let Some(until) = s.store.login_failures(key).await?.locked_at(now) {
            return Err(locked(until, now, LockedKey::Address));
        }
    }
    if let Some(until) = s.store.login_failures(&account).await?.locked_at(now) {
        return Err(locked(until, now, LockedKey::Account));
    }
    let record = s.store.login_record(username).await?;
    let hash = record.as_ref().map(|(_, h)| h.clone());
    let ok = s.logins.verify(password, hash).await?;
    let mut tx = s.store.write().await?;
    let Some((user, _)) = record.filter(|_| ok) else {
        // Counted in the transaction, so concurrent failures all count.
        let (af, account_locked) =
            tx.login_failures(&account)
                .await?
                .after_failure(&policy, KeyKind::Account, now);
        tx.put_login_failures(&account, &af, now).await?;
        let mut address_failures = Failures::default();
        if let Some(key) = &address_key {
            let (f, _) =
                tx.login_failures(key)
                    .await?
                    .after_failure(&policy, KeyKind::Address, now);
            tx.put_login_failures(key, &f, now).await?;
            address_failures = f;
        }
        let subject = format!("login/{}", law::excerpt(username));
        tx.audit(
            now,
            "anonymous",
            "user.login_failed",
            &subject,
            serde_json::Value::Null,
            serde_json::json!({
                "address": address.map(|a| a.to_string()),
                "account_failures": af.count,
                "address_failures": address_failures.count,
                "locked_until": af.locked_until,
                "for": credential_name(credential),
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
        return Err(CaseError::Unauthenticated(
            "wrong user name or password".into(),
        ));
    };
    tx.clear_login_failures(&account).await?;
    let (signed, after) = match credential {
        Credential::Token(lifetime) => {
            let t = issue_token(&mut tx, &user, now, lifetime).await?;
            let after = serde_json::json!({"token_expires_at": t.expires_at});
            (t, after)
        }
        Credential::Session => {
            let secret = format!("fgs_{}", random_hex(32)?);
            tx.insert_session(&secret_hash(&secret), &user, now).await?;
            let expires_at = now + Duration::hours(s.logins.sessions.absolute_hours.max(1));
            let session = SignedIn {
                user: user.clone(),
                secret,
                expires_at,
            };
            (
                session,
                serde_json::json!({"session_expires_at": expires_at}),
            )
        }
    };
    tx.audit(
        now,
        &user,
        "user.login",
        &format!("user/{user}"),
        serde_json::Value::Null,
        after,
    )
    .await?;
    tx.commit().await?;
    Ok(signed)
}

fn credential_name(c: Credential) -> &'static str {
    match c {
        Credential::Token(_) => "api_token",
        Credential::Session => "browser_session",
    }
}

/// Issue a token for `user` inside a write transaction (sign-in, the demo seed).
pub async fn issue_token(
    tx: &mut WriteTx,
    user: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<SignedIn, CaseError> {
    let secret = format!("fg_{}", random_hex(32)?);
    let expires_at = now + lifetime;
    tx.insert_token(&secret_hash(&secret), user, expires_at, now)
        .await?;
    Ok(SignedIn {
        user: user.to_string(),
        secret,
        expires_at,
    })
}

/// A browser session that is still good: who, and the token its forms must carry.
#[derive(Clone, Debug)]
pub struct Session {
    /// The signed-in caller.
    pub principal: Principal,
    /// The user's sign-in name.
    pub username: String,
    /// The user's organisation's name.
    pub organisation: String,
    /// The token every state-changing form of this session carries (see [`csrf_token`]).
    pub csrf: String,
    /// The SHA-256 of the session's secret.
    pub hash: String,
}

/// Why a presented session is not good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoSession {
    /// No such session.
    Unknown,
    /// Signed out, or the user deactivated.
    Ended,
    /// Timed out ([`SessionEnd`]).
    Expired(SessionEnd),
}

/// The form token of a session: derived from its secret (which never leaves the
/// HttpOnly cookie), so a page of another site, which cannot read the cookie, cannot
/// forge it, and nothing more is stored.
pub fn csrf_token(secret: &str) -> String {
    hex::encode(Sha256::digest(
        format!("fentguard form token\0{secret}").as_bytes(),
    ))
}

/// The session a browser presents (`secret` from its cookie), if it is still good; its
/// use is noted for the idle timeout. Checked in the database on every request, as API
/// tokens are: a sign-out or a deactivation anywhere ends it at once.
pub async fn session(s: &Services, secret: &str) -> Result<Result<Session, NoSession>, CaseError> {
    let hash = secret_hash(secret);
    let Some(SessionRecord {
        principal,
        username,
        organisation,
        created_at,
        last_seen_at,
        ended,
    }) = s.store.session(&hash).await?
    else {
        return Ok(Err(NoSession::Unknown));
    };
    if ended {
        return Ok(Err(NoSession::Ended));
    }
    let now = s.clock.now();
    if let Some(end) = s.logins.sessions.ended(created_at, last_seen_at, now) {
        return Ok(Err(NoSession::Expired(end)));
    }
    // Written only when the recorded use is stale: most page views read, never write.
    let resolution = Duration::seconds(SESSION_TOUCH_SECONDS);
    if now - last_seen_at > resolution {
        s.store.touch_session(&hash, now, resolution).await?;
    }
    Ok(Ok(Session {
        principal,
        username,
        organisation,
        csrf: csrf_token(secret),
        hash,
    }))
}

/// End a session (sign-out). Audited.
pub async fn sign_out(s: &Services, session: &Session) -> Result<(), CaseError> {
    let now = s.clock.now();
    let user = &session.principal.user;
    let mut tx = s.store.write().await?;
    let ended = tx.end_session(&session.hash).await?;
    tx.audit(
        now,
        user,
        "user.logout",
        &format!("user/{user}"),
        serde_json::Value::Null,
        serde_json::json!({"session_ended": ended}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revoke the API token whose hash is `token_hash` (log out). Audited.
pub async fn revoke_token(s: &Services, p: &Principal, token_hash: &str) -> Result<(), CaseError> {
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    tx.revoke_token(token_hash).await?;
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
    Ok(())
}

/// Forget an account's failed sign-ins (an administrator's unlock); whether there were
/// any. Audited.
pub async fn unlock(s: &Services, p: &Principal, username: &str) -> Result<bool, CaseError> {
    control::may(p, &control::Operation::ManageIdentities)?;
    let now = s.clock.now();
    let mut tx = s.store.write().await?;
    let unlocked = tx.clear_login_failures(&account_key(username)).await?;
    tx.audit(
        now,
        &p.user,
        "user.unlock",
        &format!("login/{}", law::excerpt(username)),
        serde_json::Value::Null,
        serde_json::json!({"unlocked": unlocked}),
    )
    .await?;
    tx.commit().await?;
    Ok(unlocked)
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
fn new_salt() -> Result<SaltString, CaseError> {
    SaltString::encode_b64(random_hex(16)?.as_bytes())
        .map_err(|e| CaseError::PasswordCheck(e.to_string()))
}

fn unhashable() -> CaseError {
    CaseError::PasswordCheck("the password could not be hashed".into())
}

/// Hash a new password (Argon2id, default parameters) on the password-check threads.
pub async fn hash_new_password(password: &str) -> Result<String, CaseError> {
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
    fn global() -> Result<&'static HashPool, CaseError> {
        POOL.get_or_init(|| {
            HashPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
        })
        .as_ref()
        .map_err(|e| CaseError::PasswordCheck(e.clone()))
    }

    fn new(threads: usize) -> Result<HashPool, String> {
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
                .map_err(|e| e.to_string())?;
        }
        Ok(HashPool { jobs: tx })
    }

    fn run(&self, job: HashJob) -> Result<(), CaseError> {
        self.jobs.send(job).map_err(|_| {
            CaseError::PasswordCheck("the password checks stopped; restart the server".into())
        })
    }
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

    #[test]
    fn form_tokens_belong_to_their_session_and_compare_whole() {
        let a = csrf_token("fgs_aaaa");
        assert_eq!(a, csrf_token("fgs_aaaa"));
        assert_ne!(a, csrf_token("fgs_aaab"));
        assert!(crate::same_secret(&a, &a.clone()));
        assert!(!crate::same_secret(&a, &csrf_token("fgs_aaab")));
        assert!(!crate::same_secret(&a, &a[..10]));
        assert!(!crate::same_secret(&a, ""));
    }
}
