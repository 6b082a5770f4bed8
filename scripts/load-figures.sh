#!/usr/bin/env bash
# The load generator's figures (issue 4): builds fixtures/load's `figures` bench in the bench
# profile, runs each test once in its own process through the harness protocol, and prints
# throughput, latency percentiles, scheduler lag and drop counts.
# Usage: scripts/load-figures.sh [FILTER]   (needs jq; PERF_<TEST>_DURATION=60s lengthens a test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$root/fixtures/load/Cargo.toml"
filter="${1:-}"
exe="$(cargo bench --manifest-path "$manifest" --bench figures --no-run --message-format=json 2>/dev/null \
  | jq -r 'select(.reason == "compiler-artifact" and .target.name == "figures" and .executable != null) | .executable' | tail -n1)"
if [[ -z "$exe" ]]; then
  echo "error: could not build the figures bench" >&2
  echo "help: run cargo bench --manifest-path $manifest --bench figures --no-run to see why" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tests="$("$exe" --list 2>/dev/null | sed -n 's/: bench$//p; s/: test$//p')"
printf '%-28s %12s %10s %10s %10s %18s %8s %6s %6s %6s %s\n' test ops/s p50 p99 max lag_p50/p99 ops late drop cpu% valid
for t in $tests; do
  [[ -n "$filter" && "$t" != *"$filter"* ]] && continue
  cat >"$work/req.json" <<JSON
{"protocol":1,"tool_version":"figures","out":"$work/out.json","action":{"type":"run","test":"$t",
 "settings":{"mode":"measure","warmup_ns":0,"measure_ns":1000000000,"process_index":0,"processes":1}}}
JSON
  rm -f "$work/out.json"
  CARGO_PERF_PROTOCOL=1 CARGO_PERF_REQUEST="$work/req.json" "$exe" >/dev/null 2>&1 || true
  jq -r --arg t "$t" '.body as $b
    | if $b.outcome.status != "passed" then "\($t) \($b.outcome.message // $b.outcome.status)" else
      ($b.measurement.metrics) as $m | ($b.measurement.load) as $l
      | [$t, ($m.throughput_per_sec|floor), ($m.p50_ns/1000|tostring+"us"), ($m.p99_ns/1000|tostring+"us"),
         ($m.max_ns/1000|tostring+"us"), ((($l.scheduler_lag_p50_ns // 0)/1000|tostring) + "/" + (($l.scheduler_lag_p99_ns // 0)/1000|tostring) + "us"),
         $l.operations, $l.late, $l.dropped,
         (if ($l.resources // []) | length > 0 then ([$l.resources[].cpu_percent] | add / length | floor) else "-" end),
         $l.valid] | @tsv end' "$work/out.json" \
    | awk -F'\t' 'NF>2 {printf "%-28s %12s %10s %10s %10s %18s %8s %6s %6s %6s %s\n",$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11; next} {print}'
  # A mix's operations (issue 11): share of the operations, p50 and p99 of each.
  jq -r '.body.measurement.load as $l | ($l.by_operation // [])[]
    | "  op \(.name): \(.operations) ops (\(.operations * 10000 / $l.operations | floor / 100)%), p50 \(.p50_ns/1000)us, p99 \(.p99_ns/1000)us"' \
    "$work/out.json" 2>/dev/null || true
  # Memory over the run (issue 11: bounded however long it runs).
  jq -r '.body.measurement.memory // empty
    | "  rss: before \((.rss_before_bytes // 0) / 1048576 * 10 | floor / 10) MiB, peak \((.rss_peak_bytes // 0) / 1048576 * 10 | floor / 10) MiB, after \((.rss_after_bytes // 0) / 1048576 * 10 | floor / 10) MiB; peak live heap \((.peak_live_bytes // 0) / 1024 | floor) KiB"' \
    "$work/out.json" 2>/dev/null || true
done
