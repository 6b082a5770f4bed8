#!/usr/bin/env bash
# Computes issue 2's measurement figures from the project's own perf suite (benches/self_perf.rs):
# resolution (empty body, black_box(u64)), accuracy (work_x4 / work_x1), precision (spread of one
# test's median over separate runs) and wall time per test for the default and --quick budgets.
# 
# usage: scripts/measure-figures.sh [--runs N] [--processes K] [--test NAME] [--cli]
#   --runs N        separate runs for the precision figure (default 10)
#   --processes K   processes per test and run, as `cargo perf` runs them (default 5; the
#                   --quick wall time always uses 3, as `cargo perf --quick` does)
#   --test NAME     the test whose median's spread is the precision figure (default work_x1)
#   --no-wall       skip the wall-time table (the slowest part)
#   --cli           measure through `cargo perf` itself (`cargo run --release -- perf ...`,
#                   JSON report of the contract) instead of driving the suite binary's file
#                   protocol directly; needs the CLI.
# Without --cli the script speaks the harness protocol itself (a request file, an envelope
# back), runs each test in K processes and merges them as `stats::merge_processes` does
# (median of the process medians), so it needs nothing but the suite binary.
set -euo pipefail

runs=10
processes=5
test=work_x1
cli=0
wall=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --processes) processes="$2"; shift 2 ;;
        --test) test="$2"; shift 2 ;;
        --cli) cli=1; shift ;;
        --no-wall) wall=0; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1" >&2
           echo "help: run $0 --help" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
echo "building the self_perf suite (bench profile)..." >&2
bin=$(cargo bench --bench self_perf --no-run --message-format=json 2>/dev/null |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "self_perf" and .executable != null) | .executable' |
    tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "error: could not build benches/self_perf.rs" >&2
    echo "help: run \`cargo bench --bench self_perf --no-run\` to see the build errors" >&2
    exit 2
fi
if [ "$cli" = 1 ]; then
    cargo build --release -q --bin cargo-perf >&2
fi

exec python3 - "$bin" "$runs" "$processes" "$test" "$cli" "$wall" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time

BIN, RUNS, K, PRECISION_TEST, CLI, WALL = (
    sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1", sys.argv[6] == "1")
PROTOCOL = 1
# Settings::bench_process(..): (warm-up ms, measure ms, processes) of one micro-benchmark process
# under `cargo perf` and `--quick`. This driver runs a fixed K; `cargo perf` itself adds processes
# until the median is precise (run/sequential.rs): use --cli for its real wall time.
BUDGETS = {"default": (20, 60, K), "quick": (15, 40, 3)}
tmp = tempfile.mkdtemp(prefix="cargo-perf-figures-")


def protocol(action):
    """One harness process answering one request; returns (body, wall seconds)."""
    req_path = os.path.join(tmp, "request.json")
    out_path = os.path.join(tmp, "response.json")
    if os.path.exists(out_path):
        os.remove(out_path)
    with open(req_path, "w") as f:
        json.dump({"protocol": PROTOCOL, "tool_version": "figures", "out": out_path,
                   "action": action}, f)
    env = dict(os.environ, CARGO_PERF_PROTOCOL=str(PROTOCOL), CARGO_PERF_REQUEST=req_path)
    start = time.monotonic()
    subprocess.run([BIN], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    with open(out_path) as f:
        body = json.load(f)["body"]
    if body["type"] == "error":
        sys.exit(f"error: the harness refused: {body['message']}")
    return body, wall


def run_protocol(test, budget):
    """One `cargo perf`-like run of a test: K processes, median of their medians."""
    warm, measure, k = BUDGETS[budget]
    medians, wall = [], 0.0
    for i in range(k):
        settings = {"mode": "measure", "warmup_ns": warm * 1_000_000,
                    "measure_ns": measure * 1_000_000, "process_index": i, "processes": k}
        body, w = protocol({"type": "run", "test": test, "settings": settings})
        wall += w
        if body["outcome"]["status"] != "passed":
            sys.exit(f"error: {test} did not pass: {body['outcome']}")
        medians.append(body["measurement"]["metrics"]["median_ns"])
    return statistics.median(medians), wall


def run_cli_many(names, budget):
    """One `cargo perf run` of the named tests; returns {name: median} and the wall time."""
    cmd = ["cargo", "run", "--release", "-q", "--", "perf", "run", "--manifest-path", "Cargo.toml",
           "--no-save", "--format", "json", "--exact", *names]
    cmd += ["--quick"] if budget == "quick" else ["--processes", str(K)]
    start = time.monotonic()
    out = subprocess.run(cmd, check=False, stdout=subprocess.PIPE).stdout
    wall = time.monotonic() - start
    medians = {t["name"]: t["metrics"]["median_ns"] for t in json.loads(out)["tests"]}
    missing = [n for n in names if n not in medians]
    if missing:
        sys.exit(f"error: `cargo perf` reported no test named {missing}")
    return medians, wall


def run_many(names, budget):
    """Each test's median over one `cargo perf`-like run (in CLI mode: one invocation)."""
    if CLI:
        return run_cli_many(names, budget)[0]
    return {n: run_protocol(n, budget)[0] for n in names}


def wall_of(name, budget):
    """Wall time of one run of one test: its processes (plus cargo's start-up with --cli)."""
    return run_cli_many([name], budget)[1] if CLI else run_protocol(name, budget)[1]


tests = [t["name"] for t in protocol({"type": "list"})[0]["tests"] if not t["ignored"]]
how = "cargo perf (--cli)" if CLI else f"harness protocol, {K} processes per run"
print(f"# cargo-perf measurement figures ({how})")
print(f"suite: {BIN}")

print("\n## Resolution (goal: below 1 ns)")
for name, m in run_many(["empty", "black_box_u64"], "default").items():
    print(f"{name:<16} {m:8.3f} ns   {'ok' if m < 1.0 else 'ABOVE GOAL'}")

print(f"\n## Accuracy and precision ({RUNS} separate runs; goals: ratio within 3 % of 4.0, spread < 1 %)")
x1s, x4s, precision = [], [], []
for r in range(RUNS):
    m = run_many(sorted({"work_x1", "work_x4", PRECISION_TEST}), "default")
    x1, x4 = m["work_x1"], m["work_x4"]
    x1s.append(x1)
    x4s.append(x4)
    precision.append(m[PRECISION_TEST])
    print(f"run {r + 1:>2}: work_x1 {x1:9.3f} ns  work_x4 {x4:9.3f} ns  ratio {x4 / x1:.4f}", flush=True)
ratio = statistics.median(x4s) / statistics.median(x1s)
print(f"work_x4 / work_x1 = {ratio:.4f} (error {abs(ratio / 4 - 1) * 100:.2f} %)   "
      f"{'ok' if abs(ratio / 4 - 1) <= 0.03 else 'OUTSIDE GOAL'}")
mid = statistics.median(precision)
spread = (max(precision) - min(precision)) / mid
rsd = statistics.stdev(precision) / statistics.mean(precision) if len(precision) > 1 else 0.0
print(f"{PRECISION_TEST} median over {RUNS} runs: {mid:.3f} ns, spread (max-min)/median "
      f"{spread * 100:.2f} %, rel. std-dev {rsd * 100:.2f} %   {'ok' if spread < 0.01 else 'ABOVE GOAL'}")

if not WALL:
    sys.exit(0)
print("\n## Wall time per test (all processes of one run)")
print(f"{'test':<28} {'default':>9} {'quick':>9}")
for name in tests:
    wd, wq = wall_of(name, "default"), wall_of(name, "quick")
    print(f"{name:<28} {wd:8.2f}s {wq:8.2f}s", flush=True)
PY
