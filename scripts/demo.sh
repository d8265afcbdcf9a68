#!/usr/bin/env bash
# Builds everything in build/ and runs the demo: a bank's contact-centre day (08:00-20:00,
# about 3,200 calls, 63 agents) routed by the real engine on virtual time, in ccenter-sim,
# with the scenario examples/simulate/bank-day.scn. Prints the per-queue KPI table next to
# the Erlang prediction, and the result of the simulator's routing check. Extra arguments
# go to ccenter-sim (e.g. --ewt-report, --json, --intervals day.csv, --seed 3).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

# The build's own output goes to a log, shown only if the build fails, so that the table
# is what the demo prints.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "demo: building everything in build/ ..."
if ! ccenter_build build >"$log" 2>&1; then
  cat "$log"
  echo "demo: the build failed (output above)" >&2
  exit 1
fi
rm -f "$log"
trap - EXIT
echo "demo: a bank's day in ccenter-sim: examples/simulate/bank-day.scn"
echo
cd "$CCENTER_ROOT"
exec build/examples/simulate/ccenter-sim --scenario examples/simulate/bank-day.scn \
  --check-routing "$@"
