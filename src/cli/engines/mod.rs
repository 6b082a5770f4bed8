//! The engines that run `cargo perf` on many machines at once. cargo-perf has no cluster of
//! its own: it writes the configuration of the engines users already run (a Kubernetes
//! Indexed Job here; GitHub Actions and GitLab through the templates in docs/), each process
//! computing its own share from the index and count the engine hands it.

pub mod k8s;
mod yaml;
