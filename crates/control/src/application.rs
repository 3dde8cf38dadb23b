//! An export-licence application as a state machine, with the statutory review clock.
//!
//! ```text
//! Draft --submit--> UnderReview --forward--> AwaitingImportingAuthority --no objection--> Verified --approve--> Approved
//!                    |   ^                     |  objection -> ObjectionReceived --refuse--> Refused
//!                    |   |                     |  request information -> AwaitingApplicant
//!                    v   | provide             |  silence -> per jurisdiction: Verified or ObjectionReceived
//!                 AwaitingApplicant <----------+
//! any non-final state --withdraw--> Withdrawn; UnderReview/Verified/ObjectionReceived --refuse--> Refused
//! ```
//! The review clock runs from submission; time waiting on the applicant or on the
//! importing country's authority does not count.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being prepared by the applicant.
    Draft,
    /// With the commerce officer.
    UnderReview,
    /// Waiting for the applicant to answer a request for information (clock paused).
    AwaitingApplicant,
    /// Pre-export notification sent; waiting for the importing authority (clock paused).
    AwaitingImportingAuthority,
    /// The importing authority confirmed the transaction (or its silence counts as such).
    Verified,
    /// The importing authority objected: no permit can be issued.
    ObjectionReceived,
    /// Approved: a permit may be issued.
    Approved,
    /// Refused, with reasons the applicant sees.
    Refused,
    /// Withdrawn by the applicant.
    Withdrawn,
}

impl State {
    /// The final states: they accept no further action.
    pub const FINAL: [State; 3] = [State::Approved, State::Refused, State::Withdrawn];

    /// Final states accept no further action.
    pub fn is_final(self) -> bool {
        State::FINAL.contains(&self)
    }

    /// The clock is paused in these states.
    pub fn clock_paused(self) -> bool {
        matches!(
            self,
            State::AwaitingApplicant | State::AwaitingImportingAuthority
        )
    }
}

/// Risk level from the risk assessment at submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RiskLevel {
    /// Moves on with fewer steps.
    Low,
    /// Ordinary review.
    Medium,
    /// A second officer must confirm the decision.
    High,
}

/// The importing authority's reply to a pre-export notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reply")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ImporterReply {
    /// The transaction is legal.
    NoObjection,
    /// It objects (blocks the permit).
    Objection {
        /// Why.
        reason: String,
    },
    /// It needs more information.
    RequestInformation {
        /// What.
        question: String,
    },
}

/// What silence past the reply deadline means (configured per jurisdiction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceRule {
    /// Silence counts as no objection.
    DeemedNoObjection,
    /// Silence counts as no consent: no permit.
    NoConsent,
}

/// The officer's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// Approve.
    Approve,
    /// Refuse, with reasons the applicant sees.
    Refuse {
        /// Written reasons.
        reasons: String,
    },
}

/// Something that happens to an application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// The applicant submits a complete application.
    Submit {
        /// Risk assessed at submission.
        risk: RiskLevel,
    },
    /// The officer asks the applicant for more (clock paused).
    RequestInformation {
        /// What is asked.
        question: String,
    },
    /// The applicant answers.
    ProvideInformation,
    /// The officer forwards the case for international verification (pre-export
    /// notification; clock paused).
    ForwardForVerification,
    /// The importing authority replies.
    ImporterReply(ImporterReply),
    /// The reply deadline passed without a reply.
    ImporterSilence(SilenceRule),
    /// The officer decides; a second officer confirms high-risk approvals.
    Decide {
        /// The decision.
        decision: Decision,
        /// The officer.
        officer: String,
        /// The confirming second officer, for high-risk approvals.
        second_officer: Option<String>,
    },
    /// The applicant withdraws.
    Withdraw,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Submit { .. } => "submit",
            Action::RequestInformation { .. } => "request_information",
            Action::ProvideInformation => "provide_information",
            Action::ForwardForVerification => "forward_for_verification",
            Action::ImporterReply(_) => "importer_reply",
            Action::ImporterSilence(_) => "importer_silence",
            Action::Decide { .. } => "decide",
            Action::Withdraw => "withdraw",
        }
    }
}

/// Why an action was refused; the application is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    /// The action does not apply in this state.
    #[error("'{action}' is not possible while the application is {state:?}")]
    WrongState {
        /// Current state.
        state: State,
        /// Action attempted.
        action: &'static str,
    },
    /// Approval needs the importing authority's confirmation first.
    #[error(
        "approval needs the importing authority's confirmation (pre-export notification) first"
    )]
    NotVerified,
    /// The importing authority objected.
    #[error("the importing authority objected: the application can only be refused")]
    Objection,
    /// High-risk approval needs a second, different officer.
    #[error("a high-risk approval needs a second officer, different from the first")]
    SecondOfficerRequired,
    /// A refusal needs written reasons.
    #[error("a refusal needs written reasons")]
    ReasonsRequired,
}

/// One recorded transition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// When.
    pub at: DateTime<Utc>,
    /// From state.
    pub from: State,
    /// To state.
    pub to: State,
    /// What happened.
    pub action: Action,
}

/// An export-licence application's workflow state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// Current state.
    pub state: State,
    /// Risk level (set at submission).
    pub risk: Option<RiskLevel>,
    /// Whether international verification is needed before approval.
    pub needs_verification: bool,
    /// Statutory review time in days (e.g. 20 for China).
    pub review_days: u32,
    /// Submission time (clock start).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Paused intervals (start, end; open while paused).
    pub pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// State to return to after the applicant answers.
    pub resume_to: Option<State>,
    /// Every transition, in order.
    pub history: Vec<Transition>,
}

impl Application {
    /// A new draft.
    pub fn new(needs_verification: bool, review_days: u32) -> Application {
        Application {
            state: State::Draft,
            risk: None,
            needs_verification,
            review_days,
            submitted_at: None,
            pauses: Vec::new(),
            resume_to: None,
            history: Vec::new(),
        }
    }

    /// Apply an action at a time. On error nothing changes.
    pub fn apply(&mut self, action: Action, at: DateTime<Utc>) -> Result<State, WorkflowError> {
        let from = self.state;
        let wrong = || WorkflowError::WrongState {
            state: from,
            action: action.name(),
        };
        if from.is_final() {
            return Err(wrong());
        }
        let to = match (&action, from) {
            (Action::Submit { risk }, State::Draft) => {
                self.risk = Some(*risk);
                self.submitted_at = Some(at);
                State::UnderReview
            }
            (Action::RequestInformation { .. }, State::UnderReview | State::Verified) => {
                self.resume_to = Some(from);
                State::AwaitingApplicant
            }
            (Action::ProvideInformation, State::AwaitingApplicant) => {
                self.resume_to.take().unwrap_or(State::UnderReview)
            }
            (Action::ForwardForVerification, State::UnderReview) => {
                State::AwaitingImportingAuthority
            }
            (Action::ImporterReply(reply), State::AwaitingImportingAuthority) => match reply {
                ImporterReply::NoObjection => State::Verified,
                ImporterReply::Objection { .. } => State::ObjectionReceived,
                ImporterReply::RequestInformation { .. } => {
                    // The applicant answers; the case then goes back to the importing authority.
                    self.resume_to = Some(State::AwaitingImportingAuthority);
                    State::AwaitingApplicant
                }
            },
            (Action::ImporterSilence(rule), State::AwaitingImportingAuthority) => match rule {
                SilenceRule::DeemedNoObjection => State::Verified,
                SilenceRule::NoConsent => State::ObjectionReceived,
            },
            (
                Action::Decide {
                    decision,
                    officer,
                    second_officer,
                },
                State::UnderReview | State::Verified | State::ObjectionReceived,
            ) => match decision {
                Decision::Refuse { reasons } => {
                    if reasons.trim().is_empty() {
                        return Err(WorkflowError::ReasonsRequired);
                    }
                    State::Refused
                }
                Decision::Approve => {
                    if from == State::ObjectionReceived {
                        return Err(WorkflowError::Objection);
                    }
                    if self.needs_verification && from != State::Verified {
                        return Err(WorkflowError::NotVerified);
                    }
                    if self.risk == Some(RiskLevel::High)
                        && second_officer
                            .as_ref()
                            .is_none_or(|s| s.trim().is_empty() || s == officer)
                    {
                        return Err(WorkflowError::SecondOfficerRequired);
                    }
                    State::Approved
                }
            },
            (Action::Withdraw, _) => State::Withdrawn,
            _ => return Err(wrong()),
        };
        // Pause bookkeeping.
        if from.clock_paused() && !to.clock_paused() {
            if let Some(last) = self.pauses.last_mut() {
                if last.1.is_none() {
                    last.1 = Some(at);
                }
            }
        }
        if !from.clock_paused() && to.clock_paused() {
            self.pauses.push((at, None));
        }
        self.state = to;
        self.history.push(Transition {
            at,
            from,
            to,
            action,
        });
        Ok(to)
    }

    /// Review time used so far (paused time excluded).
    pub fn review_time_used(&self, now: DateTime<Utc>) -> Duration {
        let Some(start) = self.submitted_at else {
            return Duration::zero();
        };
        let end = self
            .history
            .iter()
            .find(|t| t.to.is_final())
            .map(|t| t.at)
            .unwrap_or(now);
        let paused: Duration = self
            .pauses
            .iter()
            .map(|(s, e)| e.unwrap_or(end).min(end) - *s)
            .fold(Duration::zero(), |a, b| a + b);
        (end - start) - paused
    }

    /// When the statutory review time runs out, given pauses so far (None before
    /// submission).
    pub fn review_deadline(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = self.submitted_at?;
        let limit = Duration::days(self.review_days as i64);
        let paused = (now - start) - self.review_time_used(now);
        Some(start + limit + paused)
    }

    /// Whether the review is over its statutory time (only while it is with the authority).
    pub fn review_overdue(&self, now: DateTime<Utc>) -> bool {
        !self.state.is_final()
            && !self.state.clock_paused()
            && self.submitted_at.is_some()
            && self.review_time_used(now) > Duration::days(self.review_days as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
            .single()
            .expect("time")
    }

    fn approve(officer: &str, second: Option<&str>) -> Action {
        Action::Decide {
            decision: Decision::Approve,
            officer: officer.into(),
            second_officer: second.map(String::from),
        }
    }

    #[test]
    fn happy_path_with_verification_and_paused_clock() {
        let mut a = Application::new(true, 20);
        a.apply(
            Action::Submit {
                risk: RiskLevel::Medium,
            },
            t(1, 9),
        )
        .unwrap();
        a.apply(
            Action::RequestInformation {
                question: "end-use statement".into(),
            },
            t(3, 9),
        )
        .unwrap();
        a.apply(Action::ProvideInformation, t(8, 9)).unwrap();
        assert_eq!(a.state, State::UnderReview);
        a.apply(Action::ForwardForVerification, t(10, 9)).unwrap();
        assert_eq!(
            a.apply(approve("o1", None), t(11, 9)).unwrap_err(),
            WorkflowError::WrongState {
                state: State::AwaitingImportingAuthority,
                action: "decide"
            }
        );
        a.apply(Action::ImporterReply(ImporterReply::NoObjection), t(20, 9))
            .unwrap();
        // used: 1st-3rd (2 days) + 8th-10th (2 days) + since the 20th
        assert_eq!(a.review_time_used(t(21, 9)), Duration::days(5));
        assert_eq!(
            a.review_deadline(t(21, 9)),
            Some(t(1, 9) + Duration::days(20 + 5 + 10))
        );
        assert!(!a.review_overdue(t(21, 9)));
        a.apply(approve("o1", None), t(22, 9)).unwrap();
        assert_eq!(a.state, State::Approved);
        assert_eq!(
            a.review_time_used(t(30, 9)),
            Duration::days(6),
            "the clock stops at the decision"
        );
        // deciding twice
        assert!(matches!(
            a.apply(approve("o1", None), t(23, 9)),
            Err(WorkflowError::WrongState {
                state: State::Approved,
                ..
            })
        ));
    }

    #[test]
    fn objection_blocks_and_refusal_needs_reasons() {
        let mut a = Application::new(true, 20);
        a.apply(
            Action::Submit {
                risk: RiskLevel::Low,
            },
            t(1, 9),
        )
        .unwrap();
        assert_eq!(
            a.apply(approve("o1", None), t(2, 9)),
            Err(WorkflowError::NotVerified)
        );
        a.apply(Action::ForwardForVerification, t(2, 9)).unwrap();
        a.apply(
            Action::ImporterReply(ImporterReply::Objection {
                reason: "importer unknown".into(),
            }),
            t(5, 9),
        )
        .unwrap();
        assert_eq!(
            a.apply(approve("o1", None), t(6, 9)),
            Err(WorkflowError::Objection)
        );
        let refuse = |r: &str| Action::Decide {
            decision: Decision::Refuse { reasons: r.into() },
            officer: "o1".into(),
            second_officer: None,
        };
        assert_eq!(
            a.apply(refuse("  "), t(6, 9)),
            Err(WorkflowError::ReasonsRequired)
        );
        assert_eq!(
            a.state,
            State::ObjectionReceived,
            "a refused action changes nothing"
        );
        a.apply(refuse("the importing authority objected"), t(6, 9))
            .unwrap();
        assert_eq!(a.state, State::Refused);
    }

    #[test]
    fn high_risk_needs_a_second_officer_and_silence_follows_the_rule() {
        let mut a = Application::new(true, 20);
        a.apply(
            Action::Submit {
                risk: RiskLevel::High,
            },
            t(1, 9),
        )
        .unwrap();
        a.apply(Action::ForwardForVerification, t(1, 10)).unwrap();
        a.apply(
            Action::ImporterSilence(SilenceRule::DeemedNoObjection),
            t(15, 9),
        )
        .unwrap();
        assert_eq!(
            a.apply(approve("o1", None), t(16, 9)),
            Err(WorkflowError::SecondOfficerRequired)
        );
        assert_eq!(
            a.apply(approve("o1", Some("o1")), t(16, 9)),
            Err(WorkflowError::SecondOfficerRequired)
        );
        a.apply(approve("o1", Some("o2")), t(16, 9)).unwrap();
        let mut b = Application::new(true, 20);
        b.apply(
            Action::Submit {
                risk: RiskLevel::Low,
            },
            t(1, 9),
        )
        .unwrap();
        b.apply(Action::ForwardForVerification, t(1, 10)).unwrap();
        b.apply(Action::ImporterSilence(SilenceRule::NoConsent), t(15, 9))
            .unwrap();
        assert_eq!(b.state, State::ObjectionReceived);
    }

    #[test]
    fn importer_information_request_returns_to_the_importer() {
        let mut a = Application::new(true, 20);
        a.apply(
            Action::Submit {
                risk: RiskLevel::Low,
            },
            t(1, 9),
        )
        .unwrap();
        a.apply(Action::ForwardForVerification, t(2, 9)).unwrap();
        a.apply(
            Action::ImporterReply(ImporterReply::RequestInformation {
                question: "licence copy".into(),
            }),
            t(4, 9),
        )
        .unwrap();
        assert_eq!(a.state, State::AwaitingApplicant);
        a.apply(Action::ProvideInformation, t(5, 9)).unwrap();
        assert_eq!(a.state, State::AwaitingImportingAuthority);
        assert_eq!(
            a.review_time_used(t(9, 9)),
            Duration::days(1),
            "paused throughout"
        );
    }

    #[test]
    fn overdue_only_while_with_the_authority() {
        let mut a = Application::new(false, 20);
        a.apply(
            Action::Submit {
                risk: RiskLevel::Low,
            },
            t(1, 9),
        )
        .unwrap();
        assert!(!a.review_overdue(t(21, 8)));
        assert!(a.review_overdue(t(21, 10)));
        a.apply(
            Action::RequestInformation {
                question: "q".into(),
            },
            t(21, 10),
        )
        .unwrap();
        assert!(
            !a.review_overdue(t(25, 10)),
            "waiting on the applicant does not count"
        );
        // without verification needed, low risk approves straight from review
        a.apply(Action::ProvideInformation, t(26, 10)).unwrap();
        a.apply(approve("o1", None), t(26, 11)).unwrap();
        assert_eq!(a.state, State::Approved);
    }

    #[test]
    fn withdraw_from_any_open_state_only() {
        let mut a = Application::new(true, 20);
        a.apply(Action::Withdraw, t(1, 9)).unwrap();
        assert!(a
            .apply(
                Action::Submit {
                    risk: RiskLevel::Low
                },
                t(1, 10)
            )
            .is_err());
        assert_eq!(a.history.len(), 1);
    }
}
