#!/usr/bin/env bash
# Figures for load segments (issue 15): one open-model load test of fixtures/segments run as
# N segment processes on this machine against one loopback server, started together with
# `--start-at`, then `cargo perf merge`d; and the same load from one unsegmented process.
# Prints: the merge's wall time, the segment files' and the merged file's sizes, the largest
# start skew, operations (merged vs the timetable), and merged p99 vs the single process's p99.
#
#   scripts/segment-figures.sh [SEGMENTS] [SECONDS] [RATE]    (default 8 60 800)
#
# Environment: CARGO_TARGET_DIR (where cargo-perf itself is built). The fixture's builds go to
# a temporary directory (a cold build of the fixture: a few minutes).
set -euo pipefail

SEGMENTS="${1:-8}"
SECONDS_EACH="${2:-60}"
RATE="${3:-800}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
. "$ROOT/scripts/fixture-repo.sh"

REPO="$WORK/segments"
copy_fixture segments "$REPO"
(cd "$REPO" && git init -q -b main && git add -A && git commit -qm fixture)
export CARGO_TARGET_DIR="$WORK/target"

# The server: one process for every segment, as a real service would be.
(cd "$REPO" && cargo build --quiet --bin server)
"$CARGO_TARGET_DIR/debug/server" "$WORK/port" "$WORK/seen" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 300); do [ -s "$WORK/port" ] && break; sleep 0.1; done
export SEGMENTS_SERVER="127.0.0.1:$(cat "$WORK/port")"
export PERF_NUMBERED_RATE="$RATE" PERF_NUMBERED_DURATION="${SECONDS_EACH}s"

# Build the suite once, so that the segments start from a warm build.
(cd "$REPO" && "$BIN" perf --list >/dev/null)

START=$(( $(date +%s) + 15 ))
pids=()
for m in $(seq "$SEGMENTS"); do
    (cd "$REPO" && "$BIN" perf --segment "$m/$SEGMENTS" --start-at "@$START" \
        --format json -o "$WORK/segment-$m.json" --fail-on never \
        >/dev/null 2>"$WORK/segment-$m.err") &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { echo "a segment failed:" >&2; cat "$WORK"/segment-*.err >&2; exit 1; }; done

t0=$(date +%s%N)
(cd "$REPO" && "$BIN" perf merge "$WORK"/segment-*.json --format json -o "$WORK/merged.json" --fail-on never)
t1=$(date +%s%N)

(cd "$REPO" && "$BIN" perf --format json -o "$WORK/single.json" --fail-on never --no-save >/dev/null 2>&1)

python3 - "$WORK" "$SEGMENTS" "$(( (t1 - t0) / 1000000 ))" "$RATE" "$SECONDS_EACH" <<'EOF'
import json, os, sys
work, n, merge_ms, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
segs = [json.load(open(f"{work}/segment-{m}.json")) for m in range(1, n + 1)]
merged = json.load(open(f"{work}/merged.json"))
single = json.load(open(f"{work}/single.json"))
size = lambda p: os.path.getsize(p) / 1e6
seg_mb = sum(size(f"{work}/segment-{m}.json") for m in range(1, n + 1))
skews = [s["tests"][0]["load"]["segment"].get("start_skew_ns", 0) for s in segs]
mt, st = merged["tests"][0], single["tests"][0]
print(f"| {n} segments x {secs} s at {rate}/s | value |")
print("|---|---|")
print(f"| merge wall time | {merge_ms} ms |")
print(f"| segment files, total | {seg_mb:.2f} MB ({seg_mb / n:.2f} MB each) |")
print(f"| merged file | {size(work + '/merged.json'):.2f} MB |")
print(f"| largest start skew | {max(skews) / 1e6:.2f} ms |")
print(f"| operations merged / timetable | {mt['load']['operations'] + mt['load'].get('unfinished', 0)} / {rate * secs} |")
print(f"| p99 merged | {mt['metrics']['p99_ns'] / 1e6:.3f} ms |")
print(f"| p99 one unsegmented process, same load | {st['metrics']['p99_ns'] / 1e6:.3f} ms |")
print(f"| merged status / valid | {mt['status']} / {mt['load']['valid']} |")
EOF
