#!/usr/bin/env bash
# Figures for `cargo perf ab` (issue 6), side by side with the stored-baseline mode of
# `cargo perf run`: on a copy of fixtures/ab whose test `slowed` is made 0 (A/A), 2, 5 and 10 %
# slower, run each mode REPS times and count verdicts, false alarms and wall time.
#
#   scripts/ab-figures.sh [REPS]        (default 20; output: a Markdown table on stdout)
#   MODES="ab run" (default), "ab" or "run": which modes to measure.
#
# Environment: CARGO_TARGET_DIR (where cargo-perf itself is built), FIXTURE_TARGET_DIR
# (the fixture's builds, kept between runs; default $CARGO_TARGET_DIR/ab-figures-target).
set -euo pipefail

REPS="${1:-20}"
MODES="${MODES:-ab run}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FIXTURE_TARGET="${FIXTURE_TARGET_DIR:-$TARGET/ab-figures-target}"
. "$ROOT/scripts/fixture-repo.sh"

# The fixture as a repository: main (no slowdown), and a branch per slowdown.
REPO="$WORK/repo"
copy_fixture ab "$REPO"
git -C "$REPO" init -q -b main
git -C "$REPO" add -A
git -C "$REPO" commit -qm fixture
for pct in 2 5 10; do
    git -C "$REPO" checkout -q -b "slow$pct" main
    sed -i "s/SLOWDOWN_PERCENT: u64 = 0;/SLOWDOWN_PERCENT: u64 = $pct;/" "$REPO/benches/perf.rs"
    git -C "$REPO" commit -qam "slowed +$pct%"
done
git -C "$REPO" checkout -q main

export CARGO_TARGET_DIR="$FIXTURE_TARGET"
export CARGO_PERF_STORE="$WORK/store"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# One line per test comparison: mode, scenario, rep, test, verdict, seconds of the whole run.
record() { # mode scenario rep json seconds
    python3 - "$@" >>"$RESULTS" <<'PY'
import json, sys
mode, scenario, rep, path, secs = sys.argv[1:]
try:
    report = json.load(open(path))
except Exception:
    print(f"{mode}\t{scenario}\t{rep}\t-\terror\t{secs}")
    sys.exit()
for t in report["tests"]:
    c = t.get("comparison") or {}
    print(f"{mode}\t{scenario}\t{rep}\t{t['name']}\t{c.get('verdict', 'none')}\t{secs}")
PY
}

timed() { # out-json args...
    local out="$1"; shift
    local start end
    start=$(date +%s.%N)
    (cd "$REPO" && "$BIN" perf "$@" --format json -o "$out" --fail-on never >/dev/null 2>"$WORK/last.err") || true
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.1f}')"
}

# Warm both builds once so that build time is not counted in the verdict time.
git -C "$REPO" checkout -q main
(cd "$REPO" && "$BIN" perf run --no-save --quick --fail-on never >/dev/null 2>&1) || true
(cd "$REPO" && "$BIN" perf ab HEAD --fail-on never --format json -o "$WORK/warm.json" >/dev/null 2>&1) || true
for pct in 2 5 10; do
    git -C "$REPO" checkout -q "slow$pct"
    (cd "$REPO" && "$BIN" perf ab main --fail-on never --format json -o "$WORK/warm.json" --max-rounds 10 --min-rounds 10 >/dev/null 2>&1) || true
done

RUN_MODE=0
AB_MODE=0
case " $MODES " in *" run "*) RUN_MODE=1 ;; esac
case " $MODES " in *" ab "*) AB_MODE=1 ;; esac
for rep in $(seq 1 "$REPS"); do
    if [ "$RUN_MODE" = 1 ]; then
        # Stored baseline: main measured and saved once per repetition.
        git -C "$REPO" checkout -q main
        timed "$WORK/base.json" run --save >/dev/null
    fi
    for scenario in aa 2 5 10; do
        if [ "$scenario" = aa ]; then
            git -C "$REPO" checkout -q main
            base=HEAD
        else
            git -C "$REPO" checkout -q "slow$scenario"
            base=main
        fi
        if [ "$AB_MODE" = 1 ]; then
            # A/B: paired, interleaved rounds.
            secs=$(timed "$WORK/ab.json" ab "$base")
            record ab "$scenario" "$rep" "$WORK/ab.json" "$secs"
        fi
        if [ "$RUN_MODE" = 1 ]; then
            secs=$(timed "$WORK/run.json" run --baseline main --no-save)
            record run "$scenario" "$rep" "$WORK/run.json" "$secs"
            # Without the baselines work merged, `run` compares nothing: stop measuring it.
            if ! grep -q '"verdict"' "$WORK/run.json" 2>/dev/null; then
                RUN_MODE=0
                echo "cargo perf run gave no comparison; measuring ab only" >&2
            fi
        fi
    done
    echo "rep $rep/$REPS done" >&2
done

python3 - "$RESULTS" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = collections.defaultdict(list)
times = collections.defaultdict(dict)
for mode, scen, rep, test, verdict, secs in rows:
    by[(mode, scen)].append((test, verdict))
    times[(mode, scen)][rep] = float(secs)
def pct(n, d):
    return f"{100.0 * n / d:.1f}% ({n}/{d})" if d else "n/a"
print("| mode | scenario | `slowed` regressed | other tests flagged (false alarms) | inconclusive | median wall time per run |")
print("|---|---|---:|---:|---:|---:|")
for mode in ("ab", "run"):
    for scen in ("aa", "2", "5", "10"):
        got = by.get((mode, scen), [])
        if not got:
            continue
        if all(v in ("none", "error") for _, v in got):
            print(f"| {mode} | {scen} | no comparison in this build | | | |")
            continue
        slowed = [v for t, v in got if t == "slowed"]
        others = [v for t, v in got if t != "slowed"]
        if scen == "aa":
            others = others + slowed
            slowed = []
        flagged = sum(v in ("regressed", "improved") for v in others)
        inconc = sum(v == "inconclusive" for _, v in got)
        ts = sorted(times[(mode, scen)].values())
        med = ts[len(ts) // 2] if ts else 0.0
        label = "A/A" if scen == "aa" else f"+{scen}%"
        caught = pct(sum(v == "regressed" for v in slowed), len(slowed)) if slowed else "—"
        print(f"| {mode} | {label} | {caught} | {pct(flagged, len(others))} | {pct(inconc, len(got))} | {med:.1f} s |")
PY
