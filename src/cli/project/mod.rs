//! The project being measured: the workspace and its perf targets (cargo metadata), building
//! them, and which listed tests a command selects.

pub mod build;
pub mod select;
pub mod workspace;
