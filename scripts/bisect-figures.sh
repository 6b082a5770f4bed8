#!/usr/bin/env bash
# Figures for `cargo perf bisect` (issue 14): a copy of fixtures/ab as a repository of 64
# commits after GOOD, one of which makes `slowed` 10 % slower. For each position in
# POSITIONS, a fresh repository is bisected twice: cold (no commit of it built yet; the
# fixture's dependencies are) and warm (every judged commit's build cached), with the steps,
# whether the right commit was found, and the wall time.
#
#   scripts/bisect-figures.sh            (output: a Markdown table on stdout)
#   POSITIONS="9 33 58" (default), PERCENT=10, EXTRA="--quick" (more bisect flags)
#
# Environment: CARGO_TARGET_DIR (where cargo-perf itself is built), FIXTURE_TARGET_DIR
# (the fixture's builds, kept between runs; default $CARGO_TARGET_DIR/bisect-figures-target).
set -euo pipefail

POSITIONS="${POSITIONS:-9 33 58}"
PERCENT="${PERCENT:-10}"
EXTRA="${EXTRA:-}"
COMMITS=64
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FIXTURE_TARGET="${FIXTURE_TARGET_DIR:-$TARGET/bisect-figures-target}"
. "$ROOT/scripts/fixture-repo.sh"

export CARGO_TARGET_DIR="$FIXTURE_TARGET"

# A repository: GOOD (tag `good`), then $COMMITS commits, the $1-th making `slowed` slower.
make_repo() { # dir position
    local repo="$1" at="$2"
    copy_fixture ab "$repo"
    git -C "$repo" init -q -b main
    git -C "$repo" add -A
    git -C "$repo" commit -qm fixture
    git -C "$repo" tag good
    for i in $(seq 1 "$COMMITS"); do
        echo "change $i" >"$repo/CHANGES.txt"
        if [ "$i" -eq "$at" ]; then
            sed -i "s/SLOWDOWN_PERCENT: u64 = 0;/SLOWDOWN_PERCENT: u64 = $PERCENT;/" "$repo/benches/perf.rs"
        fi
        git -C "$repo" add -A
        git -C "$repo" commit -qm "change $i"
    done
}

# One bisect: prints "steps<TAB>found position<TAB>skipped<TAB>seconds".
bisect() { # repo
    local repo="$1" start end
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    (cd "$repo" && "$BIN" perf bisect good main slowed $EXTRA --format json -o bisect.json \
        >/dev/null 2>"$repo/bisect.log") || true
    end=$(date +%s.%N)
    python3 - "$repo" "$start" "$end" <<'PY'
import json, subprocess, sys
repo, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
try:
    r = json.load(open(f"{repo}/bisect.json"))
except Exception:
    print(f"-\terror\t-\t{end - start:.1f}")
    sys.exit()
first = (r.get("first_bad") or {}).get("subject") or r["outcome"]
print(f"{len(r['steps'])}\t{first.removeprefix('change ')}\t{len(r['skipped'])}\t{end - start:.1f}")
PY
    rm -f "$repo/bisect.json"
}

echo "| slowdown at | cold: steps | found | skipped | wall | warm: steps | found | wall |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for at in $POSITIONS; do
    repo="$WORK/repo-$at"
    make_repo "$repo" "$at"
    IFS=$'\t' read -r cs cf ck cw < <(bisect "$repo")
    IFS=$'\t' read -r ws wf _ ww < <(bisect "$repo")
    echo "| $at | $cs | $cf | $ck | ${cw}s | $ws | $wf | ${ww}s |"
done
