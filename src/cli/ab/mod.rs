//! `cargo perf ab BASE_REF`: build the base ref in a worktree, run base and head in alternating
//! rounds on this machine, and compare them pairwise (the PR gate). The pipeline is
//! `commands::ab`; the paired statistics are `compare::paired`.

pub mod base;
pub mod cache;
pub mod results;
pub mod rounds;
pub mod session;
pub mod sides;
pub mod worktree;
