//! `cargo perf ab BASE_REF`: build the base ref in a worktree, run base and head in alternating
//! rounds on this machine, and compare them pairwise (the PR gate).

pub mod cache;
pub mod command;
pub mod report;
pub mod rounds;
pub mod save;
pub mod session;
pub mod stats;
pub mod worktree;
