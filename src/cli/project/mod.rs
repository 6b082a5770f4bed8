//! The project being measured: the workspace and its perf targets (cargo metadata), building
//! them, and which listed tests a command selects (with "did you mean" for a typo).

pub mod build;
pub mod select;
pub mod suggest;
pub mod workspace;
