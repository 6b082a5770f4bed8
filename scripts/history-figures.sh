#!/usr/bin/env bash
# Figures for `cargo perf history`'s change points (issue 14 item 2): a copy of fixtures/store
# as a repository of COMMITS commits, one `cargo perf --quick` run each, where the `scaled`
# test's work is 10 % higher from commit STEP on (PERF_FIXTURE_SLOWDOWN, read at run time, so
# one build serves every commit). Prints each run's wall time and where `history` puts the
# change points of every test.
#
#   scripts/history-figures.sh [COMMITS [STEP]]     (default 64 and 40)
#
# Environment: CARGO_TARGET_DIR (where cargo-perf itself is built), FIXTURE_TARGET_DIR
# (the fixture's builds; default $CARGO_TARGET_DIR/history-figures-target).
set -euo pipefail

COMMITS="${1:-64}"
STEP="${2:-40}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FIXTURE_TARGET="${FIXTURE_TARGET_DIR:-$TARGET/history-figures-target}"
. "$ROOT/scripts/fixture-repo.sh"

REPO="$WORK/repo"
copy_fixture store "$REPO"
export CARGO_TARGET_DIR="$FIXTURE_TARGET"
unset CARGO_PERF_STORE
cd "$REPO"
git init -q -b main

total=0
for i in $(seq 0 $((COMMITS - 1))); do
  echo "commit $i" > HISTORY.txt
  git add -A && git commit -q -m "commit $i"
  slowdown=1.0
  if [ "$i" -ge "$STEP" ]; then slowdown=1.1; fi
  start=$(date +%s.%N)
  PERF_FIXTURE_SLOWDOWN=$slowdown "$BIN" perf --quick --machine figures --threshold 50% >/dev/null 2>&1
  took=$(echo "$(date +%s.%N) - $start" | bc)
  total=$(echo "$total + $took" | bc)
  echo "commit $i (slowdown $slowdown): ${took}s" >&2
done
echo "known regression: commit $STEP, $(git rev-parse --short=7 "HEAD~$((COMMITS - 1 - STEP))")"
echo "cargo perf --quick per commit: $(echo "scale=1; $total / $COMMITS" | bc) s on average"
start=$(date +%s.%N)
"$BIN" perf history --since "$(git rev-list --max-parents=0 HEAD)" --machine figures
echo "history --since (all $COMMITS commits): $(echo "$(date +%s.%N) - $start" | bc) s"
