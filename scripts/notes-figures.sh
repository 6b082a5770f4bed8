#!/usr/bin/env bash
# Figures for `cargo perf push` / `fetch` (issue 14): one real stored record copied under
# N commits (default 1000) of a repository built with `git fast-import`; clone A pushes them
# to a bare remote, clone B fetches them. Prints wall times and the notes ref's size.
#
#   scripts/notes-figures.sh RECORD.json [N]
#
# RECORD.json: any record from a `.perf/<machine>/` store. CARGO_PERF: the binary
# (default target/debug/cargo-perf).
set -euo pipefail

RECORD="${1:?usage: scripts/notes-figures.sh RECORD.json [N]}"
N="${2:-1000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${CARGO_PERF:-$ROOT/target/debug/cargo-perf}"
RECORD="$(cd "$(dirname "$RECORD")" && pwd)/$(basename "$RECORD")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export GIT_AUTHOR_NAME=figures GIT_AUTHOR_EMAIL=figures@example.invalid
export GIT_COMMITTER_NAME=figures GIT_COMMITTER_EMAIL=figures@example.invalid

git init -q --bare -b main "$WORK/remote.git"
git init -q -b main "$WORK/a"
# N commits, each changing one file (fast-import chains a branch's commits by itself).
python3 - "$N" <<'PY' | git -C "$WORK/a" fast-import --quiet
import sys
n = int(sys.argv[1])
for i in range(1, n + 1):
    data = f"{i}\n"
    msg = f"commit {i}\n"
    print("commit refs/heads/main")
    print(f"committer figures <figures@example.invalid> {1700000000 + i} +0000")
    print(f"data {len(msg)}\n{msg}", end="")
    print(f"M 100644 inline n\ndata {len(data)}\n{data}")
PY
git -C "$WORK/a" reset -q --hard main
git -C "$WORK/a" remote add origin "$WORK/remote.git"
git -C "$WORK/a" push -q origin main
git clone -q "$WORK/remote.git" "$WORK/b"

# The one record under every commit, as machine `figures`.
git -C "$WORK/a" rev-list main | python3 -c '
import json, os, sys
record = json.load(open(sys.argv[1]))
record["machine"]["id"] = "figures"
record["dirty"] = False
out = os.path.join(sys.argv[2], ".perf", "figures")
os.makedirs(out, exist_ok=True)
for line in sys.stdin:
    record["commit"] = line.strip()
    json.dump(record, open(os.path.join(out, record["commit"] + ".json"), "w"), indent=2)
' "$RECORD" "$WORK/a"

timed() { # label dir args...
    local label="$1" dir="$2"
    shift 2
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && "$BIN" perf "$@" >/dev/null)
    end=$(date +%s.%N)
    printf '| %s | %.2f s |\n' "$label" "$(echo "$end - $start" | bc)"
}

echo "| step ($N records) | wall time |"
echo "|---|---|"
timed "push (remote without notes)" "$WORK/a" push
timed "push again (nothing new)" "$WORK/a" push
timed "fetch into an empty store" "$WORK/b" fetch
timed "fetch again (all stored)" "$WORK/b" fetch

objects() { git -C "$WORK/remote.git" rev-list --objects refs/notes/cargo-perf | cut -d' ' -f1 |
    git -C "$WORK/remote.git" cat-file --batch-check="%(objectsize) %(objectsize:disk)"; }
raw=$(objects | awk '{s += $1} END {print s}')
pushed=$(objects | awk '{s += $2} END {print s}')
# Every record here is the same but for its commit, so git's deltas make the packed figure
# a lower bound; the pushed figure (what went over the wire) is the realistic one.
git -C "$WORK/remote.git" gc -q --aggressive
disk=$(objects | awk '{s += $2} END {print s}')
echo
echo "record: $(stat -c %s "$RECORD") bytes (pretty JSON); store: $(du -sb "$WORK/a/.perf" | cut -f1) bytes"
echo "refs/notes/cargo-perf: $raw bytes of objects uncompressed, $pushed bytes as pushed, $disk bytes after git gc --aggressive"
