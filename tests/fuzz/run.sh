#!/usr/bin/env bash
# tests/fuzz/run.sh [BUILD-DIR]: builds the libFuzzer harnesses with clang, ASan and UBSan
# in BUILD-DIR (default build-fuzz, relative to the repository root), then runs each one
# for a bounded time as meson suite 'fuzz' (meson-logs/testlog.json there has the results).
# Needs clang and libclang-rt-14-dev (the fuzzer runtime). FUZZ_RUNS and FUZZ_SECONDS bound
# each run (defaults 200000 inputs, 60 s; see run_one.sh). Exit status non-zero when the
# build failed or a harness found something.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-build-fuzz}
case $dir in /*) ;; *) dir=$root/$dir ;; esac

# Only what the harnesses need: the library's objects (no unit suites, examples, benches).
opts=(-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
      -Dtests=false -Dbench=false -Dexamples=false -Ddocs=false)
if [[ -f $dir/meson-private/coredata.dat ]]; then
  CC=clang meson setup --reconfigure "${opts[@]}" "$dir" "$root"
else
  CC=clang meson setup "${opts[@]}" "$dir" "$root"
fi
meson compile -C "$dir"
# halt_on_error: a UBSan report is a finding, not a line in the log.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  meson test -C "$dir" --suite fuzz --print-errorlogs
