//! The `cargo perf` subcommand (feature `cli`): finds, builds and runs perf suites, stores
//! results and reports them. The harness side of the wire lives in `crate::harness`.

pub mod ab;
pub mod report;
