//! The one integration-test binary: each module is a concern a user would notice.

mod concurrency;
mod core;
mod crash;
mod generate;
mod hostile;
mod support;
mod tamper;
