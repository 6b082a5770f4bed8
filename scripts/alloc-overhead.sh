#!/usr/bin/env bash
# The counting allocator's overhead (issue 5 figure): the same allocation-heavy example built
# with plain System and with CountingAlloc<System>, run alternately ROUNDS times each; prints
# the median ns/op of each build and the overhead of counting per workload (the median of the
# per-round ratios), plus the in-process worst case: bare alloc+free pairs.
#
#   scripts/alloc-overhead.sh [ROUNDS]      (default 9; honours CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/../fixtures/memory"
rounds="${1:-9}"
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build() { # $1 = output name, rest = cargo flags
    local out="$1"; shift
    cargo build --quiet --release --example alloc_overhead "$@"
    cp "$target/release/examples/alloc_overhead" "$work/$out"
}
build plain
build counting --features counting

for ((r = 0; r < rounds; r++)); do
    # Alternate which build goes first, so drift on a shared machine hits both alike.
    if ((r % 2 == 0)); then order="plain counting"; else order="counting plain"; fi
    for variant in $order; do
        "$work/$variant" 2>/dev/null | sed "s/^/$r $variant /" >>"$work/results"
    done
done

# Per round, the two builds ran back to back: the overhead is the median of the per-round
# ratios counting/plain, which cancels the drift of a shared machine between rounds.
# `raw_pair_ratio` is already a ratio measured inside one process (see the example).
awk '
    function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $3 == "raw_pair_ratio" { if ($2 == "counting") raw = raw " " $4; next }
    { t[$1 " " $2 " " $3] = $4; names[$3] = 1; rounds[$1] = 1; all[$2 " " $3] = all[$2 " " $3] " " $4 }
    END {
        printf "%-16s %14s %14s %16s\n", "workload", "plain ns/op", "counting ns/op", "overhead (paired)"
        for (w in names) {
            ratios = ""
            for (r in rounds) ratios = ratios " " t[r " counting " w] / t[r " plain " w]
            printf "%-16s %14.3f %14.3f %15.1f%%\n", w, median(all["plain " w]), median(all["counting " w]), (median(ratios) - 1) * 100
        }
        printf "%-16s %14s %14s %15.1f%%\n", "raw alloc+free", "-", "-", (median(raw) - 1) * 100
    }' "$work/results"
