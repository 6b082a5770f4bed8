//! Running perf tests: which tests a command takes ([`plan`]: open, list, select — shared by
//! `run` and `ab`), one suite process over the request/response files ([`suite`]), K processes
//! per test ([`runner`]) and how their measurements become one test's figures ([`merge`]),
//! told to reporters as [`events`].

pub mod events;
pub mod merge;
pub mod plan;
pub mod runner;
pub mod suite;
