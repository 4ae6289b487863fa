#!/usr/bin/env bash
# The simulator's long sweep: 10 000 seeds of each adversarial scenario on 7 nodes (docs/sim.md,
# docs/federation.md "Proving it in the simulator"). About 5 min per scenario on a quiet core.
# Usage: npm run sweep [-- COUNT]   (exit 1 when any seed of any scenario fails; each failure prints its replay)
set -u
cd "$(dirname "$0")/.."
count=${1:-10000}
status=0
for scenario in byzantine chaos churn; do
  node dist/cli/main.js sim --scenario "$scenario" --nodes 7 --writes 80 --duration 3000ms --sweep "$count" || status=1
done
exit $status
