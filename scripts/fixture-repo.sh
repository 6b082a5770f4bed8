# Shared by the figure scripts (sourced, not run): a temp work dir removed on exit, the debug
# cargo-perf built as $BIN, a fixed git identity, and `copy_fixture NAME DIR`, which copies
# fixtures/NAME to DIR with its cargo-perf dependency pointed at this checkout.
# Expects ROOT (the checkout) and TARGET (cargo-perf's target dir) to be set.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo build --quiet --manifest-path "$ROOT/Cargo.toml" --bin cargo-perf >&2
BIN="$TARGET/debug/cargo-perf"
export GIT_AUTHOR_NAME=figures GIT_AUTHOR_EMAIL=f@example.invalid
export GIT_COMMITTER_NAME=figures GIT_COMMITTER_EMAIL=f@example.invalid

copy_fixture() { # name dir
    mkdir -p "$2"
    cp -r "$ROOT/fixtures/$1/." "$2/"
    sed -i "s|path = \"../..\"|path = \"$ROOT\"|" "$2/Cargo.toml"
}
