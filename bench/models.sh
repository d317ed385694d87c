#!/usr/bin/env bash
# State counts and times of every model on the benchmark specs, as a Markdown table.
# Usage: bench/models.sh [extra flags for durable check]   (e.g. --threads 2)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/durable
printf '| spec | scenario | faults | model | states | unique | depth | seconds | states/s |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
run() {
  local spec=$1 scenario=$2; shift 2
  "$bin" check "$spec" --scenario "$scenario" --json --quiet "$@" | python3 -c '
import json, sys
r = json.load(sys.stdin)
extra = " ".join(sys.argv[1:]) or "defaults"
for s in r["scenarios"]:
    for m in s["models"]:
        cells = [r["spec"], s["name"], extra, m["protocol"], m["states"], m["unique_states"],
                 m["max_depth"], "%.2f" % m["seconds"], "%.0f" % m["states_per_second"]]
        print("| " + " | ".join(str(c) for c in cells) + " |")
' "$@" || true
}
run specs/bank.dfl two_transfers
run specs/bank.dfl two_transfers --batch all
run specs/bank.dfl two_transfers --batch any
run specs/bank.dfl two_transfers --crashes 2 --duplicates 2 --lost-commits 1
run specs/fan_out_fan_in.dfl two_fan_outs
run specs/sub_orchestrations.dfl fan_out
run specs/external_events.dfl approval_raised
