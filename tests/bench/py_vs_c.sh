#!/usr/bin/env bash
# The churn workload through Python against C (docs/performance.md, "Python bindings:
# churn through Python against C").
#
#   tests/bench/py_vs_c.sh BUILD [PAIRS]
#
# BUILD  a build directory with the bench and the Python bindings (use a release build
#        for figures: meson setup BUILD --buildtype=release)
# PAIRS  interleaved pairs, `ccenter-bench churn` then py_churn.py (default 5)
# Environment: CPU (the core both are pinned to with taskset, default 1; empty: no
# pinning), CONTACTS (py_churn.py's contacts, default its own 200,000), PYTHON (default
# /usr/bin/python3), KEEP (a file to keep the runs' JSON lines in, "c" or "py" first).
#
# Prints each run's API calls/s and engine events/s, the median and range of each side,
# the median over the pairs of the ratio Python / C, and the overhead per call in µs,
# 1/py_calls_per_s - 1/c_calls_per_s: what a state-changing call costs more through
# Python, the driver's own Python included (each side's wall time includes its driver).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '5,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
build=$1 pairs=${2:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench=$build/tests/bench/ccenter-bench
py=${PYTHON:-/usr/bin/python3}
die() { echo "py_vs_c: $*" >&2; exit 2; }
[[ -x $bench ]] || die "no $bench (configure with -Dbench=true and build it)"
[[ -d $build/bindings/python/ccenter ]] || die "no Python bindings in $build/bindings/python"
[[ $pairs =~ ^[1-9][0-9]*$ ]] || die "PAIRS must be a positive integer, not '$pairs'"
pyargs=()
[[ -n ${CONTACTS:-} ]] && pyargs=(--contacts "$CONTACTS")

pin=()
cpu=${CPU-1}
[[ -n $cpu ]] && command -v taskset >/dev/null && pin=(taskset -c "$cpu")

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [[ -n ${KEEP:-} ]]; then trap 'cp "$out" "$KEEP"; rm -f "$out"' EXIT; fi
for ((i = 1; i <= pairs; i++)); do
  t0=$EPOCHREALTIME
  line=$("${pin[@]}" "$bench" churn | grep '"scenario":"churn"') || die "ccenter-bench churn failed"
  echo "c $line" >>"$out"
  line=$(PYTHONPATH="$build/bindings/python" "${pin[@]}" "$py" "$here/py_churn.py" \
           "${pyargs[@]}" | grep '"scenario":"py_churn"') || die "py_churn.py failed"
  echo "py $line" >>"$out"
  awk -v a="$t0" -v b="$EPOCHREALTIME" -v i="$i" -v n="$pairs" \
    'BEGIN { printf "pair %d/%d: %.1f s\n", i, n, b - a }' >&2
done

"$py" - "$out" <<'EOF'
import json, statistics as st, sys
rows = {"c": [], "py": []}
for ln in open(sys.argv[1]):
    side, js = ln.split(" ", 1)
    rows[side].append(json.loads(js))
c, py = rows["c"], rows["py"]
print("pair  %14s %14s %14s %14s %10s %12s" % ("C calls/s", "C events/s", "Py calls/s",
                                               "Py events/s", "Py/C calls", "+µs / call"))
ratio, over = [], []
for i, (a, b) in enumerate(zip(c, py), 1):
    ratio.append(b["calls_per_s"] / a["calls_per_s"])
    over.append((1 / b["calls_per_s"] - 1 / a["calls_per_s"]) * 1e6)
    print("%4d  %14.6g %14.6g %14.6g %14.6g %10.5f %12.2f" % (
        i, a["calls_per_s"], a["ops_per_s"], b["calls_per_s"], b["ops_per_s"],
        ratio[-1], over[-1]))
def med(v):
    return "%.6g [%.6g - %.6g]" % (st.median(v), min(v), max(v))
for name, r in (("C", c), ("Python", py)):
    print("%-6s calls/s %s; events/s %s; contacts/s %s; one call p50 %s ns, p99 %s ns" % (
        name, med([x["calls_per_s"] for x in r]), med([x["ops_per_s"] for x in r]),
        med([x["contacts_per_s"] for x in r]), med([x["p50_ns"] for x in r]),
        med([x["p99_ns"] for x in r])))
print("Python / C calls/s: median %.5f [%.5f - %.5f] (C %.1f x faster)" % (
    st.median(ratio), min(ratio), max(ratio), 1 / st.median(ratio)))
print("overhead per call through Python: median %.2f µs [%.2f - %.2f]" % (
    st.median(over), min(over), max(over)))
print("Python's sampled latency of one call: mean %s ns" % med([x["mean_ns"] for x in py]))
# CPU time is what each process got of its core: on a machine shared with other work it
# tells the two programs' cost apart from the time they waited.
cpu = [(b["calls"] / b["cpu_seconds"]) / (a["calls"] / a["cpu_seconds"]) for a, b in zip(c, py)]
share = [x["cpu_seconds"] / x["seconds"] for x in c + py]
cpu_over = [(b["cpu_seconds"] / b["calls"] - a["cpu_seconds"] / a["calls"]) * 1e6
            for a, b in zip(c, py)]
print("by CPU time: Python / C calls per CPU second %s; overhead per call %s µs; "
      "CPU / wall time of the runs %.2f - %.2f"
      % (med(cpu), med(cpu_over), min(share), max(share)))
EOF
