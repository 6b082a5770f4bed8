#!/usr/bin/env bash
# The wall time of `cargo perf report` over 1,000 stored commits (issue 13, item 8).
#
# usage: scripts/report-1000.sh [--commits N] [--record FILE] [--keep]
#   --commits N     how many commits to store (default 1000)
#   --record FILE   a stored record to copy (default: measure the demo fixture once with
#                   `cargo perf --quick` in the temp repository, a real record of this machine)
#   --keep          keep the temp repository and print where it is
# Builds a temp git repository of N first-parent commits (git fast-import, one empty commit
# each), writes one record per commit into its store: the real record with that commit's id
# and time, every median scaled by a slow drift and a 30 % step at the middle commit (a
# verdict change the history marks), then times `cargo perf report -n N` (release build)
# three times and prints the page's size.
set -euo pipefail

commits=1000
record=""
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --commits) commits="$2"; shift 2 ;;
        --record) record="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/cargo-perf"
tmp="$(mktemp -d)"
[ "$keep" = 1 ] || trap 'rm -rf "$tmp"' EXIT
repo="$tmp/repo"
export CARGO_TARGET_DIR="$root/target/report-1000"
export GIT_AUTHOR_NAME=perf GIT_AUTHOR_EMAIL=perf@example.invalid
export GIT_COMMITTER_NAME=perf GIT_COMMITTER_EMAIL=perf@example.invalid

cp -r "$root/fixtures/demo" "$repo"
rm -f "$repo/Cargo.lock"
sed -i "s|cargo-perf = { path = \"[^\"]*\"|cargo-perf = { path = \"$root\"|" "$repo/Cargo.toml"
printf 'Cargo.lock\n' > "$repo/.gitignore"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -q -m "demo"

if [ -z "$record" ]; then
    (cd "$repo" && "$bin" perf --quick --machine m1000 >/dev/null)
    record="$(ls "$repo"/.perf/m1000/*.json)"
fi

# N-1 more empty commits on top, in one fast-import stream.
first="$(git -C "$repo" rev-parse HEAD)"
{
    for i in $(seq 2 "$commits"); do
        printf 'commit refs/heads/main\ncommitter perf <perf@example.invalid> %d +0000\ndata 11\ncommit %04d\n' $((1700000000 + i * 3600)) "$((i % 10000))"
        [ "$i" = 2 ] && printf 'from %s\n' "$first"
        printf '\n'
    done
} | git -C "$repo" fast-import --quiet
git -C "$repo" reset -q --hard main

git -C "$repo" rev-list --first-parent --reverse main | python3 -c '
import json, math, os, sys
src, store = sys.argv[1], sys.argv[2]
base = json.load(open(src))
commits = [l.strip() for l in sys.stdin if l.strip()]
os.makedirs(store, exist_ok=True)
keys = ("median_ns", "mean_ns", "min_ns", "p50_ns", "p90_ns", "p95_ns", "p99_ns", "p999_ns", "max_ns")
def scale(m, f):
    for k in keys:
        if m.get(k) is not None:
            m[k] = m[k] * f
for i, c in enumerate(commits):
    r = json.loads(json.dumps(base))
    r["commit"], r["machine"]["id"] = c, "m1000"
    r["unix_time"] = 1700000000 + i * 3600
    r["time"] = __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(r["unix_time"]))
    f = (1 + 0.02 * math.sin(i / 25)) * (1.3 if i >= len(commits) // 2 else 1.0)
    for t in r["tests"]:
        scale(t["metrics"], f)
        for p in t.get("processes", []):
            scale(p, f)
        if t.get("median_ci_ns"):
            t["median_ci_ns"] = [v * f for v in t["median_ci_ns"]]
    json.dump(r, open(os.path.join(store, c + ".json"), "w"))
print(len(commits), "records in", store)
' "$record" "$repo/.perf/m1000"

cd "$repo"
for run in 1 2 3; do
    start=$(date +%s.%N)
    "$bin" perf report --machine m1000 -n "$commits" -o "$tmp/report.html" 2>/dev/null
    end=$(date +%s.%N)
    printf 'run %d: cargo perf report -n %d: %.3f s\n' "$run" "$commits" "$(echo "$end - $start" | bc)"
done
printf 'page: %s bytes, %s tests\n' "$(wc -c < "$tmp/report.html")" "$(grep -o '<section class="test"' "$tmp/report.html" | wc -l)"
[ "$keep" = 1 ] && echo "kept: $tmp"
exit 0
