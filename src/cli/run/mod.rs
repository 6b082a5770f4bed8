//! Running perf tests: which tests a command takes ([`plan`]: open, list, select — shared by
//! `run` and `ab`), one suite process over the request/response files ([`suite`]), K processes
//! per test ([`runner`]) and how their measurements become one test's figures ([`merge`]),
//! told to reporters as [`events`]. [`process`] spawns, watches and kills the test processes;
//! [`overrides`] checks the `PERF_<TEST>_<KEY>` variables before anything runs;
//! [`instructions`] picks how `--instructions` counts and wraps processes in Callgrind;
//! [`interrupt`] turns a signal into killed children and exit 128 + the signal;
//! [`segment`] runs one segment of each load test (`--segment M/N`), started together by
//! `--start-at` or the [`rendezvous`].

pub mod events;
pub mod instructions;
pub mod interrupt;
pub mod merge;
pub mod overrides;
pub mod plan;
pub mod process;
pub mod rendezvous;
pub mod runner;
pub mod segment;
pub mod sequential;
pub mod suite;
