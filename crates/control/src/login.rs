//! Failed logins: back-off and lock-out, per account and per client address.
//!
//! Each key (an account name, a client address) has a record of consecutive failures.
//! After `lock_after` of them the key is locked for `lock_minutes`; every further
//! `lock_after` failures (once a lock has run out) doubles the lock, up to `max_lock_hours`.
//! A success clears an account's record (not an address's: one address guessing at many
//! accounts stays slowed down). An administrator may clear an account's record at once.
//! Unknown account names are counted exactly like known ones, so the answers never tell
//! which names exist.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How many failures lock what, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginPolicy {
    /// Consecutive failures of one account before it is locked.
    pub account_lock_after: u32,
    /// Failures from one client address before it is locked.
    pub address_lock_after: u32,
    /// The first lock (minutes); each later one doubles.
    pub lock_minutes: i64,
    /// The longest lock (hours).
    pub max_lock_hours: i64,
}

impl Default for LoginPolicy {
    /// Five wrong passwords lock an account for 15 minutes, twenty from one address lock
    /// the address; locks double up to a day. (NIST SP 800-63B §5.2.2 asks for at most
    /// 100 consecutive failures per account; these are FentGuard's defaults.)
    fn default() -> LoginPolicy {
        LoginPolicy {
            account_lock_after: 5,
            address_lock_after: 20,
            lock_minutes: 15,
            max_lock_hours: 24,
        }
    }
}

/// The failures recorded against one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// Consecutive failures so far.
    pub count: u32,
    /// Locked until then, if locked.
    pub locked_until: Option<DateTime<Utc>>,
}

/// What a key is, for the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// An account name.
    Account,
    /// A client address.
    Address,
}

impl Failures {
    /// Locked at `now` (and until when).
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|t| *t > now)
    }

    /// The record after one more failure at `now`, and whether this failure started a
    /// lock.
    pub fn after_failure(
        self,
        policy: &LoginPolicy,
        kind: KeyKind,
        now: DateTime<Utc>,
    ) -> (Failures, bool) {
        let every = match kind {
            KeyKind::Account => policy.account_lock_after,
            KeyKind::Address => policy.address_lock_after,
        }
        .max(1);
        let count = self.count.saturating_add(1);
        if !count.is_multiple_of(every) {
            return (
                Failures {
                    count,
                    locked_until: self.locked_until,
                },
                false,
            );
        }
        // The n-th lock lasts lock_minutes * 2^(n-1), capped.
        let n = count / every;
        let minutes = policy
            .lock_minutes
            .max(1)
            .saturating_mul(1i64 << (n - 1).min(20));
        let lock = Duration::minutes(minutes).min(Duration::hours(policy.max_lock_hours.max(1)));
        (
            Failures {
                count,
                locked_until: Some(now + lock),
            },
            true,
        )
    }
}

/// How long a browser session lasts: it ends after `idle_minutes` without a request, and
/// `absolute_hours` after sign-in whatever happens (OWASP Session Management Cheat Sheet:
/// both an idle and an absolute timeout; these are FentGuard's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// Minutes without a request after which a session ends.
    pub idle_minutes: i64,
    /// Hours after sign-in after which a session ends.
    pub absolute_hours: i64,
}

impl Default for SessionPolicy {
    fn default() -> SessionPolicy {
        SessionPolicy {
            idle_minutes: 30,
            absolute_hours: 12,
        }
    }
}

/// Why a session is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// No request for longer than the idle timeout; ended at this time.
    Idle(DateTime<Utc>),
    /// Signed in longer ago than the absolute timeout; ended at this time.
    Absolute(DateTime<Utc>),
}

impl SessionPolicy {
    /// Whether a session signed in at `created` and last used at `last_seen` is over at
    /// `now`, and why (the absolute limit is reported first: it cannot be renewed).
    pub fn ended(
        &self,
        created: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<SessionEnd> {
        let absolute = created + Duration::hours(self.absolute_hours.max(1));
        let idle = last_seen + Duration::minutes(self.idle_minutes.max(1));
        if now >= absolute {
            Some(SessionEnd::Absolute(absolute))
        } else if now >= idle {
            Some(SessionEnd::Idle(idle))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_five_failures_and_each_later_lock_doubles_up_to_a_day() {
        let p = LoginPolicy::default();
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("time");
        let mut f = Failures::default();
        let mut locks = Vec::new();
        for i in 1..=60u32 {
            let (next, locked) = f.after_failure(&p, KeyKind::Account, now);
            f = next;
            assert_eq!(locked, i.is_multiple_of(5), "failure {i}");
            if locked {
                locks.push((f.locked_at(now).expect("locked") - now).num_minutes());
            }
        }
        assert_eq!(
            &locks[..8],
            [15, 30, 60, 120, 240, 480, 960, 1440],
            "{locks:?}"
        );
        assert!(locks.iter().all(|m| *m <= 1440));
        // An address has its own, larger threshold.
        let (f, locked) = Failures {
            count: 18,
            locked_until: None,
        }
        .after_failure(&p, KeyKind::Address, now);
        assert!(!locked && f.locked_at(now).is_none());
        let (f, locked) = f.after_failure(&p, KeyKind::Address, now);
        assert!(locked && f.locked_at(now + Duration::minutes(14)).is_some());
        assert!(
            f.locked_at(now + Duration::minutes(15)).is_none(),
            "runs out"
        );
    }

    #[test]
    fn a_session_ends_when_idle_and_at_the_absolute_limit_whatever_its_use() {
        let p = SessionPolicy::default();
        let t0: DateTime<Utc> = "2026-01-01T08:00:00Z".parse().expect("time");
        let m = Duration::minutes;
        assert_eq!(p.ended(t0, t0, t0 + m(29)), None);
        assert_eq!(
            p.ended(t0, t0, t0 + m(30)),
            Some(SessionEnd::Idle(t0 + m(30)))
        );
        // Used every 20 minutes it lives on, until 12 hours after sign-in.
        let seen = t0 + m(11 * 60 + 50);
        assert_eq!(p.ended(t0, seen, t0 + m(11 * 60 + 59)), None);
        assert_eq!(
            p.ended(t0, seen, t0 + m(12 * 60)),
            Some(SessionEnd::Absolute(t0 + m(12 * 60)))
        );
    }
}
