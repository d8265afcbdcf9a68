#!/usr/bin/env bash
# Interleaved A/B comparison of two ccenter-bench builds (e.g. a baseline commit's
# release build against the working tree's), to tell a real change from machine noise.
#
# usage: tests/bench/ab.sh BASE_BENCH NEW_BENCH PAIRS SCENARIO [extra ccenter-bench args]
#   e.g. tests/bench/ab.sh /tmp/base-rel/tests/bench/ccenter-bench \
#          build-rel/tests/bench/ccenter-bench 10 route
#
# Runs BASE, NEW, BASE, NEW, ... (PAIRS pairs), each pinned with `taskset -c $CPU`
# (CPU=1 by default) when taskset exists, and prints each pair's values, the median of
# each side, the median of the per-pair ratios new/base and how many pairs favoured NEW.
# Fields: route -> p50_ns, p99_ns of the 100,000-agent run's decisions and of its enqueues
# offered at once while the backlog builds up (fill_enqueue_*; lower is better; run with
# --main-only, which keeps that run and skips the rest); churn -> ops_per_s, engine
# events per wall second (higher is better). Other scenarios: set FIELDS, e.g.
# FIELDS="ops_per_s:+ p99_ns:-" (+ higher is better, - lower is better). A field may be
# the quotient of two of one run's fields, e.g. FIELDS="wrap_end_p50_ns/end_p50_ns:-": a
# change that moves one kind of call and not the other shows there even when the whole
# run is slower or faster than the one beside it (route's runs move together by +-15 %).
set -euo pipefail

if [ $# -lt 4 ]; then
  sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
base=$1 new=$2 pairs=$3 scenario=$4
shift 4
extra=("$@")
case $scenario in
  route)
    fields=${FIELDS:-"p50_ns:- p99_ns:- fill_enqueue_p50_ns:- fill_enqueue_p99_ns:-"}
    extra=(--main-only "${extra[@]}")
    ;;
  churn) fields=${FIELDS:-"ops_per_s:+"} ;;
  *) fields=${FIELDS:?"set FIELDS for scenario $scenario"} ;;
esac
pin=()
command -v taskset >/dev/null && pin=(taskset -c "${CPU:-1}")

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 1; i <= pairs; i++)); do
  t0=$EPOCHREALTIME
  for side in base new; do
    bin=$base
    [ "$side" = new ] && bin=$new
    line=$("${pin[@]}" "$bin" "${extra[@]}" "$scenario" | grep "\"scenario\":\"$scenario\"")
    echo "$side $line" >>"$out"
  done
  awk -v a="$t0" -v b="$EPOCHREALTIME" -v i="$i" -v n="$pairs" \
    'BEGIN { printf "pair %d/%d: %.1f s\n", i, n, b - a }' >&2
done

/usr/bin/python3 - "$out" "$fields" <<'EOF'
import json, statistics as st, sys
rows = {"base": [], "new": []}
for ln in open(sys.argv[1]):
    side, js = ln.split(" ", 1)
    rows[side].append(json.loads(js))
fields = [f.split(":") for f in sys.argv[2].split()]
n = len(rows["base"])
print("pair  " + "  ".join(f"{f+' base':>16} {f+' new':>16} {'new/base':>8}" for f, _ in fields))
def val(row, f):
    if "/" in f:
        a, b = f.split("/")
        return row[a] / row[b]
    return row[f]
ratios = {f: [] for f, _ in fields}
for i in range(n):
    cells = []
    for f, _ in fields:
        b, v = val(rows["base"][i], f), val(rows["new"][i], f)
        ratios[f].append(v / b)
        cells.append(f"{b:>16.6g} {v:>16.6g} {v / b:>8.4f}")
    print(f"{i + 1:>4}  " + "  ".join(cells))
for f, d in fields:
    r = ratios[f]
    better = sum(x > 1 if d == "+" else x < 1 for x in r)
    print(f"{f} ({'higher' if d == '+' else 'lower'} is better): "
          f"median base {st.median(val(x, f) for x in rows['base']):.6g}, "
          f"median new {st.median(val(x, f) for x in rows['new']):.6g}, "
          f"median new/base {st.median(r):.4f} [{min(r):.4f} - {max(r):.4f}], "
          f"new better in {better}/{n} pairs")
EOF
