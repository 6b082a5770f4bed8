#!/usr/bin/env bash
# Runs fixtures/memory measured (`cargo bench`) and checks the memory verdicts: the
# allocation-free and exact-count tests pass their `allocs`/`alloc_bytes` thresholds, the cache
# fill is not a leak, and exactly the string-formatting and leaking tests fail.
#
#   scripts/memory-fixture-check.sh          (honours CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/../fixtures/memory"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
cargo bench --bench perf >"$out" 2>&1 || true
cat "$out"

failed="$(sed -n 's/^test \([a-z0-9_]*\) *\.\.\. FAILED$/\1/p' "$out" | sort | tr '\n' ' ')"
expected="formats_a_string leaks_1kib_per_iteration "
status=0
if [[ "$failed" != "$expected" ]]; then
    echo "error: failing tests were [$failed], expected [$expected]" >&2
    status=1
fi
grep -q 'allocs_per_iter <= 0 (actual' "$out" || {
    echo "error: formats_a_string should fail its allocs threshold" >&2
    status=1
}
grep -q 'threshold failed: rss_growth_bytes < 1000000' "$out" || {
    echo "error: the leaking test did not fail its rss_growth threshold" >&2
    status=1
}
# Exact figures, read from the protocol the `cargo perf` command uses.
bin="$(sed -n 's/.*Running benches\/perf.rs (\(.*\))$/\1/p' "$out" | head -1)"
exact() { # test, expected JSON fragment...
    local test="$1"; shift
    printf '{"protocol":1,"tool_version":"0.1.0","out":"%s","action":{"type":"run","test":"%s","settings":{"mode":"measure","warmup_ns":50000000,"measure_ns":200000000,"process_index":0,"processes":1}}}' \
        "$out.json" "$test" >"$out.req"
    CARGO_PERF_PROTOCOL=1 CARGO_PERF_REQUEST="$out.req" "$bin" >/dev/null 2>&1
    for fragment in "$@"; do
        grep -q "$fragment" "$out.json" || {
            echo "error: $test: expected $fragment in $(cat "$out.json")" >&2
            status=1
        }
    done
}
exact vec_of_1000_u64 '"allocs_per_iter":1.0' '"alloc_bytes_per_iter":8000.0'
exact sum_without_allocating '"allocs_per_iter":0.0' '"alloc_bytes_per_iter":0.0'
exact leaks_1kib_per_iteration '"leak":{'
rm -f "$out.json" "$out.req"
[[ $status -eq 0 ]] && echo "memory fixture: all verdicts as expected"
exit $status
