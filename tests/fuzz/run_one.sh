#!/usr/bin/env bash
# run_one.sh HARNESS SEED-CORPUS WORK-DIR: one bounded libFuzzer run (a meson test of
# suite 'fuzz', see meson.build). The seed corpus is copied to WORK-DIR/corpus first, so
# the run never writes into the source tree and always starts from the same inputs.
#   FUZZ_RUNS     inputs to try (default 200000)
#   FUZZ_SECONDS  time limit of the run in seconds (default 60)
#   FUZZ_SEED     libFuzzer's -seed (default 1; 0 lets libFuzzer choose)
# Exit status 0 when nothing was found; otherwise libFuzzer's, with the reproducer in
# WORK-DIR (crash-*, leak-*, timeout-*, oom-*) and its path in the output.
set -euo pipefail
harness=$1 seeds=$2 work=$3
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$seeds"/* "$work/corpus/"
exec "$harness" \
  -runs="${FUZZ_RUNS:-200000}" \
  -max_total_time="${FUZZ_SECONDS:-60}" \
  -seed="${FUZZ_SEED:-1}" \
  -max_len=4096 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$work/" \
  "$work/corpus"
