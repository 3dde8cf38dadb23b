//! # cases: FentGuard's use cases
//!
//! The one layer every front end calls: the HTTP API (`server`) and the portal's pages
//! (`portal`). A use case takes the caller (`control::Principal`) and plain input, and
//! runs the same sequence every time:
//!
//! 1. load the case (`applications::fetch`, `notifications::load`);
//! 2. ask `control::access::may` whether the caller may act on it;
//! 3. apply the domain change (`control` state machines, `law` answers);
//! 4. store the change with its audit entry in one `store::WriteTx`.
//!
//! It answers plain types (a [`applications::Step`], a [`notifications::Settled`]) or a
//! [`CaseError`] whose kinds say what went wrong in the users' terms; how that becomes an
//! HTTP status or a page is the front end's business. Nothing here knows HTTP or HTML.

#![warn(missing_docs)]
// A CaseError carries a refusal's context (the export answer) on the error path only,
// once per request; boxing it would buy nothing measurable.
#![allow(clippy::result_large_err)]

pub mod applications;
pub mod batch;
pub mod cache;
pub mod credit;
pub mod notifications;
pub mod permits;
pub mod signin;
pub mod substances;

use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use store::Store;
use thiserror::Error;

/// The clock of the use cases: the system time, plus an offset tests can move forward
/// (reply deadlines, token expiry) without sleeping.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Move the clock forward (tests and demonstrations).
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

/// The law and rules applied, loaded once at start.
pub struct Rules {
    /// Classifier over the dated catalogue.
    pub classifier: law::Classifier,
    /// Export rules.
    pub export: law::ExportChecker,
    /// The exporting jurisdiction's workflow rules.
    pub workflow: control::WorkflowRules,
    /// The risk model.
    pub risk: control::RiskModel,
    /// What traceability events mean and the rules checked on each.
    pub tracking: control::TrackingRules,
    /// The enterprise credit rating model.
    pub credit: control::CreditModel,
}

/// What nearly every request reads, cached for a few seconds ([`cache`]).
pub struct Caches {
    /// Organisation id -> organisation and its licences.
    pub enterprises:
        cache::TtlCache<String, (control::Organisation, Vec<control::EnterpriseLicence>)>,
    /// Recent answers to "is this controlled?" by (input, date, jurisdictions): the law is
    /// loaded at start and does not change while the process runs, and the same names
    /// and structures are asked again and again.
    pub checks:
        cache::TtlCache<(String, chrono::NaiveDate, law::Jurisdictions), Arc<substances::Checked>>,
}

/// How long cached identities live.
pub const CACHE_SECONDS: u64 = 5;

/// Everything a use case needs: the database, the law, the authority's keys, the clock.
#[derive(Clone)]
pub struct Services {
    /// The database.
    pub store: Store,
    /// The authority's permit-signing key.
    pub signing_key: Arc<SigningKey>,
    /// The authority's earlier (rotated-out) public keys: permits and checkpoints they
    /// signed still verify.
    pub earlier_keys: Arc<Vec<VerifyingKey>>,
    /// Clock.
    pub clock: Clock,
    /// Law and rules.
    pub rules: Arc<Rules>,
    /// Caches.
    pub caches: Arc<Caches>,
    /// Password checks, failed-sign-in throttling, session lifetimes.
    pub logins: Arc<signin::Logins>,
    /// New alerts, for subscribers (the API's alert stream), sent after their commit.
    pub alerts: tokio::sync::broadcast::Sender<store::Alert>,
    /// Batch checks running or kept.
    pub batches: Arc<batch::Batches>,
}

/// How many alerts a slow subscriber may fall behind before it misses some.
const ALERT_BACKLOG: usize = 1024;

impl Services {
    /// Services over `store` with `rules`, signing with `signing_key`, checking
    /// passwords with `logins`.
    pub fn new(
        store: Store,
        signing_key: SigningKey,
        rules: Rules,
        logins: signin::Logins,
    ) -> Services {
        Services {
            store,
            signing_key: Arc::new(signing_key),
            earlier_keys: Arc::new(Vec::new()),
            clock: Clock::default(),
            rules: Arc::new(rules),
            caches: Arc::new(Caches {
                enterprises: cache::TtlCache::new(
                    std::time::Duration::from_secs(CACHE_SECONDS),
                    10_000,
                ),
                checks: cache::TtlCache::new(std::time::Duration::from_secs(3600), 1024),
            }),
            logins: Arc::new(logins),
            alerts: tokio::sync::broadcast::channel(ALERT_BACKLOG).0,
            batches: Arc::default(),
        }
    }

    /// Tell subscribers about committed alerts (none listening is fine).
    pub fn publish_alerts<'a>(&self, alerts: impl Iterator<Item = &'a store::Alert>) {
        for a in alerts {
            let _ = self.alerts.send(a.clone());
        }
    }

    /// An organisation and its licences (cached).
    pub async fn organisation_with_licences(
        &self,
        id: &str,
    ) -> Result<Option<(control::Organisation, Vec<control::EnterpriseLicence>)>, store::StoreError>
    {
        if let Some(v) = self.caches.enterprises.get(&id.to_string()) {
            return Ok(Some(v));
        }
        let Some(org) = self.store.organisation(id).await? else {
            return Ok(None);
        };
        let licences = self.store.licences_of(id).await?;
        self.caches
            .enterprises
            .put(id.to_string(), (org.clone(), licences.clone()));
        Ok(Some((org, licences)))
    }

    /// The public key anyone can verify new permits with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing_key.verifying_key()
    }

    /// Every public key of the authority, current first.
    pub fn trusted_keys(&self) -> Vec<VerifyingKey> {
        std::iter::once(self.verifying_key())
            .chain(self.earlier_keys.iter().copied())
            .collect()
    }

    /// The authority's key a permit names (current or earlier), to verify it with; the
    /// current key when it names none of them (verification then fails).
    pub fn key_for(&self, permit: &control::SignedPermit) -> VerifyingKey {
        self.earlier_keys
            .iter()
            .find(|k| hex::encode(k.to_bytes()) == permit.key)
            .copied()
            .unwrap_or_else(|| self.verifying_key())
    }
}

/// Why a use case refused or could not finish: kinds in the users' terms. A front end
/// maps each kind to its own answer (an HTTP status and problem type, a page message).
#[derive(Debug, Error)]
pub enum CaseError {
    /// The caller may not do this (`control::access`).
    #[error(transparent)]
    Denied(#[from] control::Denied),
    /// No such record (or none the caller may know of).
    #[error("{0}")]
    NotFound(String),
    /// The input is refused as it stands (422): what and where in `detail`, each problem
    /// in `errors`, machine-readable `context` (the export-rule answer) when there is one.
    #[error("{detail}")]
    Refused {
        /// What kind of refusal.
        code: Code,
        /// What and where, for people.
        detail: String,
        /// Every individual problem.
        errors: Vec<String>,
        /// Machine-readable context.
        context: Option<serde_json::Value>,
    },
    /// Not possible in the record's current state (409).
    #[error("{detail}")]
    Conflict {
        /// What kind of conflict.
        code: Code,
        /// What and where, for people.
        detail: String,
    },
    /// The workflow's state machine refused the step.
    #[error(transparent)]
    Workflow(#[from] control::WorkflowError),
    /// The substance could not be read (unknown name with suggestions, too large).
    #[error(transparent)]
    Input(#[from] law::InputError),
    /// The export rules could not read or judge the input.
    #[error(transparent)]
    Export(#[from] law::ExportError),
    /// The database.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A stored record no longer reads: damage to report, never a record to hide.
    #[error("{0}")]
    Damaged(String),
    /// The caller is not signed in, or its credentials are wrong (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many failed sign-ins: the key is locked until `until` (429).
    #[error("too many failed logins from this {}; try again after {} or ask an administrator to unlock the account", match key { signin::LockedKey::Account => "account", signin::LockedKey::Address => "address" }, until.format("%Y-%m-%d %H:%M UTC"))]
    Locked {
        /// Until when.
        until: DateTime<Utc>,
        /// The account's or the address's counter.
        key: signin::LockedKey,
        /// Seconds until then.
        retry_after_seconds: u64,
    },
    /// Too many password checks at once: come back shortly (503).
    #[error("too many logins at once; try again in a few seconds")]
    Busy {
        /// Seconds to wait.
        retry_after_seconds: u64,
    },
    /// The password checks cannot run (503).
    #[error("{0}")]
    PasswordCheck(String),
    /// The system has no randomness for a new identifier.
    #[error("the system has no randomness available: {0}")]
    NoRandomness(String),
}

/// What kind of answer a [`CaseError`] calls for, for a front end that gives one answer
/// per kind (a page's status and message); the JSON API maps the errors in more detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller may not do this.
    Denied,
    /// No such record.
    NotFound,
    /// The input is refused as it stands: change it and send it again.
    Invalid,
    /// Not possible in the record's current state, or changed meanwhile: reload.
    Conflict,
    /// Not signed in, or wrong credentials.
    Unauthenticated,
    /// Too many attempts: wait.
    TooMany,
    /// FentGuard cannot answer now (storage, damaged record, no randomness).
    Unavailable,
}

impl CaseError {
    /// The kind of answer this error calls for.
    pub fn kind(&self) -> ErrorKind {
        use store::StoreError as S;
        match self {
            CaseError::Denied(_) => ErrorKind::Denied,
            CaseError::NotFound(_) => ErrorKind::NotFound,
            CaseError::Refused { .. } | CaseError::Input(_) | CaseError::Export(_) => {
                ErrorKind::Invalid
            }
            CaseError::Workflow(control::WorkflowError::ReasonsRequired) => ErrorKind::Invalid,
            CaseError::Conflict { .. } | CaseError::Workflow(_) => ErrorKind::Conflict,
            CaseError::Store(S::NotFound(_)) => ErrorKind::NotFound,
            CaseError::Store(S::Conflict(_) | S::Duplicate(_)) => ErrorKind::Conflict,
            CaseError::Store(S::BadCursor(_)) => ErrorKind::Invalid,
            CaseError::Unauthenticated(_) => ErrorKind::Unauthenticated,
            CaseError::Locked { .. } => ErrorKind::TooMany,
            CaseError::Store(_)
            | CaseError::Damaged(_)
            | CaseError::Busy { .. }
            | CaseError::PasswordCheck(_)
            | CaseError::NoRandomness(_) => ErrorKind::Unavailable,
        }
    }
}

/// The kinds of refusal and conflict, each with a stable code (`as_str`) that front ends
/// use as a problem type or a message id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Fields the jurisdiction requires are missing or inconsistent.
    IncompleteApplication,
    /// The export is prohibited: no licence can be granted.
    ExportProhibited,
    /// The substance could not be judged.
    UndeterminedSubstance,
    /// The exporter holds no licence covering the substance on the date.
    NoExporterLicence,
    /// An uploaded document does not decode.
    InvalidDocument,
    /// A required field is missing or has a value outside its choices.
    InvalidInput,
    /// A record could not be encoded for storage.
    Encoding,
    /// Not possible in the record's current state.
    WrongState,
    /// A reply deadline has not passed yet.
    DeadlineNotPassed,
}

impl Code {
    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::IncompleteApplication => "incomplete-application",
            Code::ExportProhibited => "export-prohibited",
            Code::UndeterminedSubstance => "undetermined-substance",
            Code::NoExporterLicence => "no-exporter-licence",
            Code::InvalidDocument => "invalid-document",
            Code::InvalidInput => "invalid-body",
            Code::Encoding => "encoding",
            Code::WrongState => "wrong-state",
            Code::DeadlineNotPassed => "deadline-not-passed",
        }
    }
}

impl CaseError {
    /// A refusal with no further context.
    pub fn refused(code: Code, detail: impl Into<String>) -> CaseError {
        CaseError::Refused {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            context: None,
        }
    }

    /// A conflict with the record's state.
    pub fn conflict(code: Code, detail: impl Into<String>) -> CaseError {
        CaseError::Conflict {
            code,
            detail: detail.into(),
        }
    }
}

/// The API name of a unit enum variant (its serde name, e.g. `under_review`): the name
/// stored in the state columns and shown to API clients.
pub fn api_name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Whether a secret a caller sent equals the one expected (a form token, a permit's
/// verification code), in time independent of where they differ: a wrong guess tells
/// nothing of the right one.
pub fn same_secret(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `bytes` random bytes from the system, in hex.
pub fn random_hex(bytes: usize) -> Result<String, CaseError> {
    let mut b = vec![0u8; bytes];
    getrandom::getrandom(&mut b).map_err(|e| CaseError::NoRandomness(e.to_string()))?;
    Ok(hex::encode(b))
}

/// A new identifier with a readable prefix (`app-…`, `pen-…`).
pub fn new_id(prefix: &str) -> Result<String, CaseError> {
    Ok(format!("{prefix}-{}", random_hex(8)?))
}
