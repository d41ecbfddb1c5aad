//! pledger: a tamper-evident, event-sourced ledger of commitments.
//!
//! Every announcement, commitment, meeting, deadline revision, outcome and
//! correction is appended as an event to a BLAKE3 hash chain in an embedded
//! sled store. Nothing is edited or deleted: corrections are new events.
//! Projections over the chain say which commitments are pending, met or
//! overdue as of any date.
//!
//! See `ARCHITECTURE.md` for the map of modules and the invariants they keep.

pub mod audit;
pub mod chain;
pub mod deadline;
pub mod event;
pub mod history;
pub mod input;
pub mod ledger;
pub mod projection;
pub mod report;
pub mod store;
pub mod text;

pub use chain::{Envelope, Hash, Head};
pub use event::Event;
pub use ledger::{Ledger, Stamp};
pub use store::OpenMode;
