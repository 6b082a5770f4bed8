#!/usr/bin/env bash
# The service fixture's figures (issue 11), measured through `cargo perf` at full length:
#  1. recovery time reported vs the breaker's half-open delay (250, 500, 1000 ms; 25 ms
#     timeline buckets), from fixtures/service's `figures` bench (`--ignored` tests);
#  2. per-operation p50/p99 of two operations with known service times (1 ms and 10 ms of
#     blocking sleep) at weights 80/20, and the weights held;
#  3. the scenario suite (`perf` bench) at full length: each test's status, limits and key figures.
# Usage: scripts/service-figures.sh [--scenario-only|--figures-only]   (needs jq; about 3 min)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$root/fixtures/service/Cargo.toml"
what="${1:-all}"
case "$what" in
  all|--scenario-only|--figures-only) ;;
  *)
    echo "error: unknown argument $what" >&2
    echo "help: scripts/service-figures.sh [--scenario-only|--figures-only]" >&2
    exit 2
    ;;
esac
command -v jq >/dev/null || { echo "error: jq is not installed" >&2; echo "help: install jq" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin cargo-perf
perf="$root/target/release/cargo-perf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run() { # run OUT ARGS..: one process per test, nothing stored, never fail the script
  local out="$1"; shift
  "$perf" perf --manifest-path "$manifest" --processes 1 --no-save --fail-on never \
    --format json -o "$out" "$@" >"$work/terminal.txt" 2>&1 || {
      cat "$work/terminal.txt" >&2; exit 1; }
}

if [[ "$what" != --scenario-only ]]; then
  run "$work/figures.json" --ignored
  echo "== recovery time reported vs the breaker's half-open delay (bucket 25 ms)"
  printf '%-28s %10s %12s %10s %8s\n' test delay_ms reported_ms error status
  jq -r '.tests[] | select(.name | startswith("recovery_vs_half_open/"))
    | (.name | split("/")[1] | tonumber) as $d
    | (.load.faults // [] | map(select(.name == "outage")) | .[0].recovery_time_ns) as $r
    | [.name, $d, (if $r then ($r / 1e6 | floor) else "absent" end),
       (if $r then ((($r / 1e6 - $d) / $d * 1000 | round) / 10 | tostring + "%") else "-" end),
       .status] | @tsv' "$work/figures.json" \
    | awk -F'\t' '{printf "%-28s %10s %12s %10s %8s\n",$1,$2,$3,$4,$5}'
  echo
  echo "== two operations with known service times, 80/20, 16 users, 10 s"
  printf '%-8s %8s %10s %10s %10s %10s %8s\n' op weight ops share p50 p99 truth
  jq -r '.tests[] | select(.name == "known_service_times") | .load.by_operation as $ops
    | ($ops | map(.operations) | add) as $all
    | $ops[] | [.name, .weight, .operations,
        ((.operations / $all * 1000 | round) / 10 | tostring + "%"),
        ((.p50_ns / 1e4 | round) / 100 | tostring + "ms"),
        ((.p99_ns / 1e4 | round) / 100 | tostring + "ms"),
        (if .name == "fast" then "1ms" else "10ms" end)] | @tsv' "$work/figures.json" \
    | awk -F'\t' '{printf "%-8s %8s %10s %10s %10s %10s %8s\n",$1,$2,$3,$4,$5,$6,$7}'
  echo
fi

if [[ "$what" != --figures-only ]]; then
  run "$work/scenario.json"
  echo "== the scenario suite at full length"
  jq -r '.tests[] | "\(.name): \(.status)\(if .error then " (\(.error))" else "" end)",
    (.thresholds[]? | "    \(if .passed then "ok  " else "FAIL" end) \(.metric) \(.op) \(.limit) (actual \(.actual))"),
    (.load.by_operation[]? | "    op \(.name): \(.operations) ops, p50 \((.p50_ns // 0) / 1e6 | . * 100 | round / 100) ms, p95 \((.p95_ns // 0) / 1e6 | . * 100 | round / 100) ms, p99 \((.p99_ns // 0) / 1e6 | . * 100 | round / 100) ms, success \(.success_rate // "-")%"),
    (.load.faults[]? | "    fault \(.name): recovery \(if .recovery_time_ns then "\(.recovery_time_ns / 1e6) ms" else "absent (\(.note // "-"))" end)"),
    (.load.capacity.capacity_users // empty | "    capacity: \(.) users")' "$work/scenario.json"
fi
