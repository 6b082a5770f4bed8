//! The `cargo perf` subcommand (feature `cli`): finds, builds and runs perf suites, stores
//! results and reports them. The harness side of the wire lives in `crate::harness`.

pub mod baseline;
pub mod compare;
pub mod fingerprint;
pub mod git;
pub mod history;
pub mod report;
pub mod results;
pub mod store;
