//! The `cargo-perf` binary: `cargo perf ...` (cargo runs it as `cargo-perf perf ...`).

fn main() {
    std::process::exit(cargo_perf::cli::main())
}
