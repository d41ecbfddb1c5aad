//! The one integration-test binary: each module is a concern a user would notice.

mod concurrency;
mod core;
mod crash;
mod deadline;
mod generate;
mod golden;
mod history;
mod hostile;
mod readme;
mod record;
mod report;
mod status;
mod support;
mod tamper;
mod terminal;
