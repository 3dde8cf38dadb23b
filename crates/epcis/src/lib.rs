//! GS1 EPCIS 2.0 for FentGuard's ledger: documents read and checked field by field
//! ([`document`]), identifiers in one canonical form ([`identifier`]), CBV vocabulary
//! ([`vocabulary`]) and the CBV 2.0 event hash ID ([`hash`]).
//!
//! This crate knows EPCIS, not the law: what an event means for a controlled substance is
//! decided in `control::tracking`. No I/O.
#![warn(missing_docs)]

pub mod document;
pub mod hash;
pub mod identifier;
pub mod vocabulary;

pub use document::{
    read_document, read_stored_events, Action, DocumentError, ErrorDeclaration, Event, EventType,
    Quantity, Role, TypedRef,
};
pub use hash::event_hash_id;
