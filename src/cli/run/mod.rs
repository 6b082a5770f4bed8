//! Running perf tests: which tests a command takes ([`plan`]: open, list, select — shared by
//! `run` and `ab`) and how one test's processes become its figures ([`merge`]).

pub mod merge;
pub mod plan;
