#!/usr/bin/env bash
# Figures for `cargo perf merge` (issue 15): its wall time and the files' sizes for a suite of
# N tests (default 1000) in 3 shards.
#
#   scripts/merge-figures.sh [N]        (output: a few lines of figures on stdout)
#
# The shards are SYNTHESIZED from one real report, and say so: the demo fixture is measured
# once (`--quick --save`), then once more as the one shard `--partition hash:1/1` compared with
# that record, so that the report carries real figures, per-process evidence and baseline
# evidence. Its tests are replicated to N tests (`<name>__0000` ..), dealt to 3 shards by the
# same FNV-1a 64 rule as `--partition hash:M/3`, each shard with its tests' baseline evidence
# and the suite's digest. Then `cargo perf merge` (the debug build that the figure scripts use;
# PROFILE=release for the release one) is timed 3 times: read, check, the suite-wide
# comparison of N tests, JSON out.
#
# Environment: CARGO_TARGET_DIR (where cargo-perf is built), FIXTURE_TARGET_DIR (the fixture's
# builds; default the e2e tests' $CARGO_TARGET_DIR/e2e-fixtures, usually warm).
set -euo pipefail

N="${1:-1000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FIXTURE_TARGET="${FIXTURE_TARGET_DIR:-$TARGET/e2e-fixtures}"
. "$ROOT/scripts/fixture-repo.sh"
if [ "${PROFILE:-debug}" = release ]; then
    cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" --bin cargo-perf >&2
    BIN="$TARGET/release/cargo-perf"
fi

REPO="$WORK/repo"
copy_fixture demo "$REPO"
git -C "$REPO" init -q -b main
git -C "$REPO" add -A
git -C "$REPO" commit -qm fixture
export CARGO_TARGET_DIR="$FIXTURE_TARGET"
export CARGO_PERF_STORE="$WORK/store"
(cd "$REPO" && "$BIN" perf --quick --save --machine merge-figures >/dev/null)
(cd "$REPO" && "$BIN" perf --quick --partition hash:1/1 --baseline HEAD \
    --machine merge-figures --format json -o "$WORK/real.json" >/dev/null)

python3 - "$WORK/real.json" "$WORK" "$N" <<'PY'
import copy, json, sys

real, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
report = json.load(open(real))
tests, base = report["tests"], report["shard"]["baseline_tests"]
base_by_id = {t["id"]: t for t in base}

def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def renamed(t, i):
    t = copy.deepcopy(t)
    t["name"] = "%s__%04d" % (t["name"], i)
    t["id"] = "%s/%s/%s" % (t["package"], t["target"], t["name"])
    return t

head, evidence = [], []
for i in range(n):
    t = tests[i % len(tests)]
    head.append(renamed(t, i))
    if t["id"] in base_by_id:
        evidence.append(renamed(base_by_id[t["id"]], i))
ids = sorted(t["id"] for t in head)
digest = "%016x" % fnv1a64("\n".join(ids))
for m in range(3):
    mine = [t for t in head if fnv1a64(t["id"]) % 3 == m]
    keep = {t["id"] for t in mine}
    r = copy.deepcopy(report)
    r["tests"] = mine
    r["shard"].update(index=m, count=3, suite_tests=n, suite_digest=digest,
                      baseline_tests=[t for t in evidence if t["id"] in keep], noise={})
    r["notes"] = ["synthesized by scripts/merge-figures.sh from one real shard report"]
    json.dump(r, open("%s/shard-%d.json" % (out, m + 1), "w"))
    print("shard %d/3: %d tests" % (m + 1, len(mine)))
PY

times=()
for _ in 1 2 3; do
    start=$(date +%s%N)
    "$BIN" perf merge "$WORK"/shard-1.json "$WORK"/shard-2.json "$WORK"/shard-3.json \
        --fail-on never --format json -o "$WORK/merged.json" >/dev/null
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
size() { stat -c %s "$1"; }
shards=$(( $(size "$WORK/shard-1.json") + $(size "$WORK/shard-2.json") + $(size "$WORK/shard-3.json") ))
merged_tests=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["tests"]), sum(1 for t in r["tests"] if t.get("comparison")))' "$WORK/merged.json")
echo "merge of $N tests x 3 shards (${PROFILE:-debug} build): ${sorted[1]} ms median of 3 (${times[*]} ms)"
echo "shard files: $shards bytes together; merged report: $(size "$WORK/merged.json") bytes"
echo "merged tests, compared: $merged_tests"
