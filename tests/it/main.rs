//! The one integration-test binary: each module is a concern a user would notice.

mod deadline;
mod golden;
mod readme;
mod record;
mod status;
mod terminal;
