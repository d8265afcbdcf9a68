#!/usr/bin/env bash
# Builds everything in build/ and runs the demo: a bank's phone line on virtual time.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

ccenter_build build
exec "$CCENTER_ROOT/build/examples/demo/ccenter-demo" "$@"
