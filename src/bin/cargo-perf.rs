fn main() {
    println!("cargo-perf {}", cargo_perf::protocol::LIBRARY_VERSION);
}
