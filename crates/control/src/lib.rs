//! # control: the export-licence workflow as plain types and state machines
//!
//! An export application moves from submission through review, international
//! verification (pre-export notification) and decision to a permit; customs checks a
//! declaration against that permit; every change is recorded in an append-only audit
//! hash chain. Pure: no I/O, no clocks (times are passed in), no storage, no HTTP.

#![warn(missing_docs)]

pub mod access;
pub mod application;
pub mod audit;
pub mod credit;
pub mod customs;
pub mod dossier;
pub mod identity;
pub mod jurisdiction;
pub mod login;
pub mod notification;
pub mod permit;
pub mod risk;
pub mod tracking;

pub use access::{may, Denied, Operation, Principal};
pub use application::{
    Action, Application, Decision, ImporterReply, RiskLevel, SilenceRule, State, WorkflowError,
};
pub use audit::{AuditEntry, AuditSeal, ChainBreak, Checkpoint, SignedCheckpoint};
pub use credit::{CreditModel, CreditRating};
pub use customs::{CustomsOutcome, Declaration};
pub use dossier::{ApplicationForm, Document, DocumentUpload, Dossier, ResolvedSubstance};
pub use identity::{
    Activity, AuthorityKind, EnterpriseLicence, Level, LicenceStatus, OrgKind, Organisation, Role,
};
pub use jurisdiction::WorkflowRules;
pub use notification::{NotificationState, PreExportNotification};
pub use permit::{Party, Permit, PermitStatus, SignedPermit};
pub use risk::{RiskAssessment, RiskFactors, RiskModel};
pub use tracking::{Breach, Deadline, EventFacts, Movement, TrackingRules};
