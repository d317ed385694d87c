#!/usr/bin/env bash
# The property tests (random programs, bytes, token soup, histories) with fresh random seeds,
# ROUNDS times (default 10); prints each failing case proptest minimized. CI runs them once,
# with a fixed seed (.ci/run).
# Usage: bench/fuzz.sh [ROUNDS]
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
failed=0
for i in $(seq 1 "$rounds"); do
  seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
  if ! out=$(PROPTEST_RNG_SEED=$seed cargo test --release --quiet -p durable-interpreter \
      --test robustness --test roundtrip 2>&1 &&
      PROPTEST_RNG_SEED=$seed cargo test --release --quiet -p durable-checker \
      --test conformance 2>&1); then
    failed=$((failed + 1))
    echo "round $i, PROPTEST_RNG_SEED=$seed:"
    grep -E "minimal failing input|panicked at" <<<"$out"
  fi
done
echo "$rounds rounds, $failed failed"
[ "$failed" -eq 0 ]
