//! pledger: a tamper-evident, event-sourced ledger of commitments.
//!
//! See `ARCHITECTURE.md` for the map of modules and the invariants they keep.

pub mod deadline;
