#!/usr/bin/env python3
"""Issue 12 item 2's experiment: what differs between otherwise identical processes of one test.

Runs one test of a suite binary in N separate processes through the harness's file protocol
(the same request `cargo perf` writes) and prints, per process, the median, the batch size the
engine chose, the sample count and the timer overhead; then the spread of the medians and how
strongly the median follows the batch (Spearman rank correlation). A strong correlation points
at the batch size chosen from each process's calibration; none, with a spread still wide,
points at the machine (physical pages, cache placement, frequency), which only more processes
or re-randomising within a process can sample.

usage: scripts/process-spread.py SUITE_BINARY TEST [--processes N] [--budget B] [--pin CPU]
  --budget B   one process's budget: `bench` (20 ms warm-up, 60 ms sampling: one process of a
               micro benchmark under `cargo perf run`, the default), `bench-quick` (15/40),
               or the longer `measured` (150/600) and `measured-quick` (40/120)
  --pin CPU    run every process pinned to this CPU (taskset), to rule the core out
  --no-aslr    run every process with ASLR off (setarch -R), to rule the virtual layout out
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

PROTOCOL = 1
# (warm-up ms, sampling ms) as protocol.rs's Settings::bench_process and Settings::measured say.
BUDGETS = {"bench": (20, 60), "bench-quick": (15, 40), "measured": (150, 600), "measured-quick": (40, 120)}


def run(binary, test, settings, prefix):
    tmp = tempfile.mkdtemp(prefix="cargo-perf-spread-")
    req, out = os.path.join(tmp, "request.json"), os.path.join(tmp, "response.json")
    with open(req, "w") as f:
        json.dump({"protocol": PROTOCOL, "tool_version": "spread", "out": out,
                   "action": {"type": "run", "test": test, "settings": settings}}, f)
    env = dict(os.environ, CARGO_PERF_PROTOCOL=str(PROTOCOL), CARGO_PERF_REQUEST=req)
    subprocess.run(prefix + [binary], env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        body = json.load(f)["body"]
    if body.get("type") == "error" or body["outcome"]["status"] != "passed":
        sys.exit(f"error: {test} did not pass: {body}")
    return body["measurement"]


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    for pos, i in enumerate(order):
        r[i] = float(pos)
    return r


def spearman(xs, ys):
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        return float("nan")
    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.mean(rx), statistics.mean(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return num / den


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary")
    p.add_argument("test")
    p.add_argument("--processes", type=int, default=10)
    p.add_argument("--budget", choices=sorted(BUDGETS), default="bench")
    p.add_argument("--pin")
    p.add_argument("--no-aslr", action="store_true")
    a = p.parse_args()
    warm, measure = BUDGETS[a.budget]
    prefix = (["taskset", "-c", a.pin] if a.pin else []) + (["setarch", "-R"] if a.no_aslr else [])
    rows = []
    for i in range(a.processes):
        settings = {"mode": "measure", "warmup_ns": warm * 1_000_000, "measure_ns": measure * 1_000_000,
                    "process_index": i, "processes": a.processes}
        m = run(a.binary, a.test, settings, prefix)
        b = m["bench"]
        rows.append((m["metrics"]["median_ns"], b["batch"], b["samples"], b["timer_overhead_ns"]))
        print(f"process {i + 1:>2}: median {rows[-1][0]:10.2f} ns  batch {b['batch']:>7}  "
              f"samples {b['samples']:>5}  timer {b['timer_overhead_ns']:.0f} ns", flush=True)
    medians = [r[0] for r in rows]
    mid = statistics.median(medians)
    print(f"medians: min {min(medians):.2f}  median {mid:.2f}  max {max(medians):.2f} ns; "
          f"spread (max-min)/median {100 * (max(medians) - min(medians)) / mid:.1f} %")
    print(f"Spearman(median, batch) = {spearman(medians, [r[1] for r in rows]):.2f}  "
          f"(distinct batches: {len(set(r[1] for r in rows))})")
    print(f"load: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
