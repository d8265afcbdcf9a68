#!/usr/bin/env bash
# Builds everything in build/ and runs every test suite, then builds build-asan/ with
# clang's AddressSanitizer and UndefinedBehaviorSanitizer and runs the unit and simulator
# suites there, then runs the libFuzzer harnesses for a bounded number of runs (build-fuzz/).
# The last line of output is always "N passed, N failed, N skipped"; the exit status is
# non-zero if a build failed, a test failed, timed out or errored, or no test ran.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

status=0
logs=()

# run_stage LOG COMMAND...: runs a step; a failure is remembered, not fatal, so the
# summary is always printed. LOG is the test log the step writes (removed first, so a
# stale one from an earlier run is never counted).
run_stage() {
  local log=$1
  shift
  if [[ -n $log ]]; then
    rm -f "$log"
    logs+=("$log")
  fi
  local rc=0
  "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "*** failed (exit status $rc): $*"
    status=1
  fi
  return 0
}

echo "=== build/: everything, warnings are errors"
# The Python bindings are required here (deps.sh installs what they need), so that a
# missing package fails the build instead of quietly leaving their tests out.
run_stage "" ccenter_build build -Dpython=enabled
echo "=== build/: all suites"
run_stage "$CCENTER_ROOT/build/meson-logs/testlog.json" \
  meson test -C "$CCENTER_ROOT/build" --print-errorlogs

# clang's sanitizers: its UBSan also reports arithmetic on a NULL pointer (NULL + 0
# included), which gcc's does not. A build-asan/ set up earlier keeps its compiler.
clang_build() {
  CC=clang ccenter_build "$@"
}
echo "=== build-asan/: AddressSanitizer + UndefinedBehaviorSanitizer (clang)"
run_stage "" clang_build build-asan -Db_sanitize=address,undefined -Db_lundef=false
echo "=== build-asan/: unit suites"
# With --setup=NAME meson writes meson-logs/testlog-NAME.json.
run_stage "$CCENTER_ROOT/build-asan/meson-logs/testlog-asan.json" \
  meson test -C "$CCENTER_ROOT/build-asan" --setup=asan --suite unit --suite sim \
  --print-errorlogs

echo "=== build-fuzz/: libFuzzer harnesses (clang, ASan, UBSan), bounded runs"
run_stage "$CCENTER_ROOT/build-fuzz/meson-logs/testlog.json" \
  "$CCENTER_ROOT/tests/fuzz/run.sh" build-fuzz

# Count the results of both runs. meson's testlog.json has one JSON object per test.
summary=$(/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, os, sys
passed = failed = skipped = 0
bad = []
for path in sys.argv[1:]:
    if not os.path.exists(path):
        print("no test results in %s (the run did not start)" % path, file=sys.stderr)
        continue
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            r = t.get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:  # FAIL, UNEXPECTEDPASS, TIMEOUT, ERROR, anything new
                failed += 1
                bad.append("%s: %s %s" % (os.path.basename(os.path.dirname(os.path.dirname(path))),
                                          t.get("name"), r))
for b in bad:
    print("  not passed: " + b, file=sys.stderr)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
) || { summary="0 passed, 0 failed, 0 skipped"; status=1; }

read -r n_passed _ n_failed _ n_skipped _ <<<"$summary"
if [[ $n_failed -ne 0 ]]; then
  status=1
fi
if [[ $((n_passed + n_failed + n_skipped)) -eq 0 ]]; then
  echo "*** no test ran"
  status=1
fi
echo "$summary"
exit "$status"
