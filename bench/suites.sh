#!/usr/bin/env bash
# Wall-clock seconds of the whole-suite commands, as a Markdown table.
# Usage: bench/suites.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/durable
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '| command | seconds | last line |\n|---|---|---|\n'
time_it() {
  local start end code=0
  start=$(date +%s.%N)
  "$bin" "$@" >"$out" 2>/dev/null || code=$?
  end=$(date +%s.%N)
  printf '| `durable %s` | %.1f | exit %s: %s |\n' "$*" "$(echo "$end - $start" | bc)" "$code" \
    "$(tail -n 1 "$out")"
}
time_it test specs/ --quiet
time_it mutants --quiet
