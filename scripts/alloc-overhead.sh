#!/usr/bin/env bash
# The counting allocator's overhead (issue 5 figure): the same allocation-heavy example built
# with plain System and with CountingAlloc<System>, run alternately ROUNDS times each; prints
# the median ns/op of each build and the overhead of counting per workload.
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
        "$work/$variant" 2>/dev/null | sed "s/^/$variant /" >>"$work/results"
    done
done

awk '
    { v[$1 " " $2] = v[$1 " " $2] " " $3; names[$2] = 1 }
    function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
        printf "%-16s %14s %14s %10s\n", "workload", "plain ns/op", "counting ns/op", "overhead"
        for (w in names) {
            p = median(v["plain " w]); c = median(v["counting " w])
            printf "%-16s %14.3f %14.3f %9.1f%%\n", w, p, c, (c / p - 1) * 100
        }
    }' "$work/results"
