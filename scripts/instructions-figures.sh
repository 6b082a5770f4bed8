#!/usr/bin/env bash
# Figures of `cargo perf --instructions` (issue 12) on fixtures/instructions and fixtures/demo,
# in a temporary git repository: the A/A spread of instruction counts over the processes of
# one run (10 processes) and over 5 runs, the detection rate of a 1 % change of the work
# (FIXTURE_EXTRA_PERMILLE=10, same code), the A/A false-alarm rate, and the wall time per test.
#
#   scripts/instructions-figures.sh [RUNS]      (default 5; honours CARGO_TARGET_DIR)
#   CARGO_PERF=path/to/cargo-perf scripts/instructions-figures.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-5}"
bin="${CARGO_PERF:-$root/target/debug/cargo-perf}"
[[ -x "$bin" ]] || (cd "$root" && cargo build --bin cargo-perf)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/e2e-fixtures}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

figures() { # fixture
    local name="$1" dir="$work/$1"
    cp -r "$root/fixtures/$name" "$dir"
    sed -i "s#path = \"../..\"#path = \"$root\"#" "$dir/Cargo.toml"
    (cd "$dir" && git init -q -b main && git add -A &&
        git -c user.name=f -c user.email=f@f commit -qm fixture)
    cd "$dir"
    "$bin" perf --instructions --no-save --quick >/dev/null 2>&1 || true # build
    echo "== $name: 1 run of 10 processes"
    "$bin" perf --instructions --processes 10 --no-save --format json >"$work/p10.json" 2>/dev/null || true
    local i
    for i in $(seq 1 "$runs"); do
        local save=--no-save
        [[ $i == 1 ]] && save=--save
        local t0 t1
        t0=$(date +%s.%N)
        "$bin" perf --instructions $save --format json >"$work/run$i.json" 2>/dev/null || true
        t1=$(date +%s.%N)
        echo "$t0 $t1" >"$work/time$i"
    done
    for i in $(seq 1 "$runs"); do
        FIXTURE_EXTRA_PERMILLE=10 "$bin" perf --instructions --no-save --baseline HEAD \
            --format json >"$work/changed$i.json" 2>/dev/null || true
        "$bin" perf --instructions --no-save --baseline HEAD --format json \
            >"$work/aa$i.json" 2>/dev/null || true
    done
    python3 - "$work" "$runs" "$name" <<'PY'
import json, sys
work, runs, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda f: json.load(open(f"{work}/{f}"))
def spread(v):
    return (max(v) / min(v) - 1) * 100 if v and min(v) > 0 else float("nan")
p10 = load("p10.json")
print(f"{'test':<28} {'instr/iter':>12} {'10 processes':>13} {f'{runs} runs':>9}")
all_runs = [load(f"run{i}.json") for i in range(1, runs + 1)]
for t in p10["tests"]:
    procs = [p["instructions_per_iter"] for p in t["processes"] if "instructions_per_iter" in p]
    merged = [next(x for x in r["tests"] if x["id"] == t["id"])["metrics"].get("instructions_per_iter") for r in all_runs]
    merged = [m for m in merged if m is not None]
    print(f"{t['name']:<28} {t['metrics'].get('instructions_per_iter', float('nan')):>12.1f} {spread(procs):>12.4f}% {spread(merged):>8.4f}%")
det = fa = total = 0
changes = []
for i in range(1, runs + 1):
    for t in load(f"changed{i}.json")["tests"]:
        c = t.get("comparison") or {}
        if c.get("metric") == "instructions_per_iter":
            total += 1
            det += c.get("verdict") == "regressed"
            changes.append(c.get("change", 0) * 100)
    for t in load(f"aa{i}.json")["tests"]:
        c = t.get("comparison") or {}
        fa += c.get("verdict") in ("regressed", "improved")
tests = len(p10["tests"])
print(f"1 % change detected: {det}/{total} comparisons; measured change {min(changes):.2f} % .. {max(changes):.2f} %")
print(f"A/A false alarms: {fa}/{runs * tests} comparisons")
walls = []
for i in range(1, runs + 1):
    t0, t1 = map(float, open(f"{work}/time{i}").read().split())
    walls.append((t1 - t0) / tests)
walls.sort()
print(f"wall time per test (2 processes under Valgrind, incl. cargo's no-op build check): median {walls[len(walls)//2]:.2f} s, min {walls[0]:.2f} s, max {walls[-1]:.2f} s")
PY
    cd "$root"
}

figures instructions
figures demo
