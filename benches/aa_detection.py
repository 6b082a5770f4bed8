#!/usr/bin/env python3
"""Verdict quality and store speed of `cargo perf`, measured with the real pipeline.

1. False alarms and detection: the store fixture (fixtures/store) is copied into a fresh git
   repository and its suite is run again and again, each run saved under its own (empty)
   commit. Runs alternate between no change (A) and a slowdown of the `scaled` test injected
   through PERF_FIXTURE_SLOWDOWN (5 %, 10 %, 30 %), read at run time, so nothing is rebuilt.
   Then `cargo perf compare BASE HEAD --format json` judges pairs of stored records:
     - A/A false-alarm rate: every unchanged test in every pair of records (the `steady_*`
       tests everywhere, `scaled` between two A runs) flagged regressed or improved;
     - detection rate per slowdown: `scaled` flagged regressed, base an A run, head a slowed one.
2. Store speed: 1,000 commits (git fast-import) each with a generated record (a real record
   with lognormal noise, one test 30 % slower from commit 600 on); the wall time of
   `compare`, `history` and `baseline list`.

3. With --pre-commit N: the paired pre-commit check (`cargo perf --pre-commit`, the working tree
   against HEAD in interleaved rounds) N times on an unchanged tree and N times on a tree whose
   `scaled` test does 10 % more work (`WORK_SCALED` edited, uncommitted). Every `steady_*`
   test, and `scaled` on the unchanged tree, is an A/A comparison; `scaled` on the edited tree
   is a detection. Trials come in blocks A, A, slowed, slowed: the second of each pair needs no
   rebuild, and its wall time per test is the warm cost reported.

Usage: benches/aa_detection.py [--rounds N] [--full] [--commits N] [--pre-commit N] [--bin PATH]
  --rounds N   A/5 %/10 %/30 % rounds (default 8; 0 only times the store)
  --pre-commit N  trials of each kind of the paired pre-commit check (default 0: none)
  --full       the default measurement budget instead of --quick
  --commits N  stored commits for the timing part (default 1000; 0 skips it)
  --bin PATH   the cargo-perf binary (default: target/release/cargo-perf, built if missing)
"""

import argparse
import itertools
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "fixtures", "store")
MACHINE = "aa-bench"
SLOWDOWNS = [1.05, 1.10, 1.30]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def sh(args, cwd, env=None, check=True, capture=True):
    full_env = dict(os.environ, **GIT_ENV, **(env or {}))
    full_env.pop("CARGO_PERF_STORE", None)
    p = subprocess.run(args, cwd=cwd, env=full_env, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    if check and p.returncode not in (0, 1):
        sys.exit(f"error: {' '.join(args)} exited {p.returncode}\n{p.stderr}")
    return p


def binary(path):
    if path:
        return os.path.abspath(path)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "release", "cargo-perf")
    if not os.path.exists(exe):
        sh(["cargo", "build", "--release", "--bin", "cargo-perf"], ROOT, capture=False)
    return exe


def fixture_repo(tmp):
    repo = os.path.join(tmp, "repo")
    os.makedirs(os.path.join(repo, "benches"))
    with open(os.path.join(FIXTURE, "Cargo.toml")) as f:
        manifest = f.read().replace('path = "../.."', f'path = {json.dumps(ROOT)}')
    with open(os.path.join(repo, "Cargo.toml"), "w") as f:
        f.write(manifest)
    for name in ["Cargo.lock", ".gitignore", "benches/perf.rs"]:
        shutil.copy(os.path.join(FIXTURE, name), os.path.join(repo, name))
    sh(["git", "init", "-q", "-b", "main"], repo)
    sh(["git", "add", "-A"], repo)
    sh(["git", "commit", "-q", "-m", "fixture"], repo)
    return repo


def run_suite(exe, repo, slowdown, full, out):
    sh(["git", "commit", "-q", "--allow-empty", "-m", f"slowdown {slowdown}"], repo)
    commit = sh(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    args = [exe, "perf", "--machine", MACHINE, "--save", "--format", "json", "-o", out]
    if not full:
        args.append("--quick")
    sh(args, repo, env={"PERF_FIXTURE_SLOWDOWN": str(slowdown)})
    return commit


def compare(exe, repo, base, head):
    p = sh([exe, "perf", "compare", base, head, "--machine", MACHINE, "--format", "json"], repo)
    return json.loads(p.stdout)


def wilson(k, n, z=1.96):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def verdict_quality(exe, args, tmp):
    repo = fixture_repo(tmp)
    out = os.path.join(tmp, "run.json")
    print("building the fixture and warming up ...", flush=True)
    first = run_suite(exe, repo, 1.0, args.full, out)  # build; not part of the sample
    template = os.path.join(repo, ".perf", MACHINE, first + ".json")
    if args.rounds == 0:
        with open(template) as f:
            return json.load(f)
    runs = []  # (commit, slowdown)
    started = time.time()
    for r in range(args.rounds):
        for s in [1.0] + SLOWDOWNS:
            runs.append((run_suite(exe, repo, s, args.full, out), s))
        print(f"  round {r + 1}/{args.rounds}: {len(runs)} runs, {time.time() - started:.0f}s", flush=True)

    aa_flagged = aa_total = 0
    alarms_by_run = {}
    detected = {s: 0 for s in SLOWDOWNS}
    tried = {s: 0 for s in SLOWDOWNS}
    verdicts = {s: {} for s in SLOWDOWNS}
    missed_by_head = {s: {} for s in SLOWDOWNS}
    for (b, sb), (h, shd) in itertools.permutations(runs, 2):
        if sb != 1.0 and sb != shd:
            continue  # only A→slowed pairs and pairs of equal runs
        if (sb, shd) == (1.0, 1.0) or sb == shd:
            # Count each unordered A/A pair once.
            if b > h:
                continue
        report = compare(exe, repo, b, h)
        for t in report["tests"]:
            verdict = (t.get("comparison") or {}).get("verdict")
            unchanged = t["name"] != "scaled" or sb == shd
            if unchanged:
                aa_total += 1
                if verdict in ("regressed", "improved"):
                    aa_flagged += 1
                    for c in (b[:7], h[:7]):
                        alarms_by_run[c] = alarms_by_run.get(c, 0) + 1
            elif sb == 1.0:
                tried[shd] += 1
                detected[shd] += verdict == "regressed"
                verdicts[shd][verdict] = verdicts[shd].get(verdict, 0) + 1
                if verdict != "regressed":
                    missed_by_head[shd][h[:7]] = missed_by_head[shd].get(h[:7], 0) + 1

    budget = "default budget (6-12 processes)" if args.full else "--quick (3-6 processes)"
    print(f"\n== verdicts: {len(runs)} runs of 4 tests, {budget}, threshold 5 %")
    lo, hi = wilson(aa_flagged, aa_total)
    print(f"A/A false alarms: {aa_flagged}/{aa_total} = {100 * aa_flagged / aa_total:.2f} % "
          f"(95 % CI {100 * lo:.2f}–{100 * hi:.2f} %); runs involved {alarms_by_run}")
    for s in SLOWDOWNS:
        k, n = detected[s], tried[s]
        lo, hi = wilson(k, n)
        print(f"{round((s - 1) * 100)} % slowdown detected: {k}/{n} = {100 * k / n:.1f} % "
              f"(95 % CI {100 * lo:.1f}–{100 * hi:.1f} %); verdicts {verdicts[s]}; "
              f"misses by slowed run {missed_by_head[s]}")
    with open(template) as f:
        return json.load(f)


def pre_commit_quality(exe, trials, tmp):
    repo = fixture_repo(os.path.join(tmp, "pre-commit"))
    perf = os.path.join(repo, "benches", "perf.rs")
    with open(perf) as f:
        original = f.read()
    assert "const WORK_SCALED: u64 = 20_000;" in original
    slowed = original.replace("const WORK_SCALED: u64 = 20_000;", "const WORK_SCALED: u64 = 22_000;")

    def check(text):
        with open(perf) as f:
            if f.read() != text:
                with open(perf, "w") as w:
                    w.write(text)
        started = time.time()
        p = sh([exe, "perf", "--pre-commit", "--machine", MACHINE, "--format", "json"], repo)
        return json.loads(p.stdout), time.time() - started

    print("pre-commit: building HEAD aside and the working tree (not part of the sample) ...", flush=True)
    check(original)
    aa_flagged = aa_total = detected = tried = 0
    verdicts = {}
    warm = []  # seconds per test of checks that needed no rebuild
    rounds = []
    started = time.time()
    for block in range(trials // 2 + trials % 2):
        for text in (original, original, slowed, slowed):
            report, seconds = check(text)
            tests = report["tests"]
            for t in tests:
                c = t.get("comparison") or {}
                verdict = c.get("verdict")
                rounds.append(len(((c.get("rounds") or {}).get("pairs")) or []))
                if text == slowed and t["name"] == "scaled":
                    tried += 1
                    detected += verdict == "regressed"
                    verdicts[verdict] = verdicts.get(verdict, 0) + 1
                else:
                    aa_total += 1
                    aa_flagged += verdict in ("regressed", "improved")
            warm.append((seconds / max(1, len(tests)), text))
        print(f"  block {block + 1}: {aa_total} A/A comparisons, {tried} slowed, "
              f"{time.time() - started:.0f}s", flush=True)
    # Of each pair of equal trials, the second ran without a rebuild.
    no_rebuild = [s for i, (s, _) in enumerate(warm) if i % 2 == 1]
    with_rebuild = [s for i, (s, _) in enumerate(warm) if i % 2 == 0]
    print("\n== pre-commit (paired with HEAD, working tree edited and not committed)")
    lo, hi = wilson(aa_flagged, aa_total)
    print(f"A/A false alarms: {aa_flagged}/{aa_total} = {100 * aa_flagged / aa_total:.2f} % "
          f"(95 % CI {100 * lo:.2f}–{100 * hi:.2f} %)")
    lo, hi = wilson(detected, tried)
    print(f"10 % slowdown detected: {detected}/{tried} = {100 * detected / tried:.1f} % "
          f"(95 % CI {100 * lo:.1f}–{100 * hi:.1f} %); verdicts {verdicts}")
    print(f"wall time per test, warm (no rebuild): median {statistics.median(no_rebuild):.2f}s "
          f"(min {min(no_rebuild):.2f}, max {max(no_rebuild):.2f}); after an edit (incremental "
          f"rebuild included): median {statistics.median(with_rebuild):.2f}s")
    if rounds:
        print(f"rounds per test: median {statistics.median(rounds)}, max {max(rounds)}")


def timed(args, cwd, reps=3):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        p = sh(args, cwd)
        times.append(time.perf_counter() - t)
        if p.returncode not in (0, 1):
            sys.exit(p.stderr)
    return statistics.median(times)


def store_speed(exe, template, n, tmp):
    repo = os.path.join(tmp, "history")
    os.makedirs(repo)
    sh(["git", "init", "-q", "-b", "main"], repo)
    stream = []
    for i in range(n):
        msg = f"commit {i}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"mark :{i + 1}\ncommitter bench <b@x> {1_700_000_000 + i} +0000\n".encode())
        stream.append(f"data {len(msg)}\n".encode() + msg + b"\n")
        if i > 0:
            stream.append(f"from :{i}\n".encode())
        stream.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True)
    sh(["git", "checkout", "-q", "main"], repo)
    commits = sh(["git", "rev-list", "--first-parent", "--reverse", "main"], repo).stdout.split()
    store = os.path.join(repo, ".perf", MACHINE)
    os.makedirs(store)
    with open(os.path.join(repo, ".perf", ".gitignore"), "w") as f:
        f.write("*\n")
    rng = random.Random(3)
    for i, commit in enumerate(commits):
        record = json.loads(json.dumps(template))
        record["commit"] = commit
        record["unix_time"] = 1_700_000_000 + i
        for t in record["tests"]:
            step = 1.3 if (t["name"] == "steady_b" and i >= 600) else 1.0
            for m in [t["metrics"]] + t.get("processes", []):
                if m.get("median_ns"):
                    m["median_ns"] *= step * math.exp(rng.gauss(0, 0.01))
        with open(os.path.join(store, commit + ".json"), "w") as f:
            json.dump(record, f)
    size = sum(os.path.getsize(os.path.join(store, c + ".json")) for c in commits)
    print(f"\n== store speed: {n} commits with records ({size / 1e6:.1f} MB), median of 3")
    base = [exe, "perf"]
    m = ["--machine", MACHINE]
    for label, args in [
        ("compare (HEAD vs parent)", base + ["compare"] + m + ["--format", "json"]),
        (f"history steady_b -n {n}", base + ["history", "steady_b", "-n", str(n)] + m),
        (f"history (all tests) -n {n}", base + ["history", "-n", str(n)] + m),
        ("baseline list", base + ["baseline", "list"] + m),
    ]:
        print(f"{label:<32} {timed(args, repo):.3f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--pre-commit", type=int, default=0)
    ap.add_argument("--bin")
    args = ap.parse_args()
    exe = binary(args.bin)
    with tempfile.TemporaryDirectory() as tmp:
        if args.pre_commit > 0:
            pre_commit_quality(exe, args.pre_commit, tmp)
            if args.rounds == 0 and args.commits == 0:
                return
        template = verdict_quality(exe, args, tmp)
        if args.commits > 0:
            store_speed(exe, template, args.commits, tmp)


if __name__ == "__main__":
    main()
