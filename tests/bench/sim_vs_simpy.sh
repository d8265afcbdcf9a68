#!/usr/bin/env bash
# ccenter-sim against SimPy on the same M/M/N and M/M/N+M cases (docs/performance.md,
# "Simulator against SimPy").
#
#   tests/bench/sim_vs_simpy.sh [CCENTER_SIM [HOURS [PAIRS]]]
#
# CCENTER_SIM  the simulator (default build/examples/simulate/ccenter-sim; use a release
#              build for figures)
# HOURS        measured hours per run (default 1000; e.g. 20 for a quick check)
# PAIRS        interleaved pairs per case, ccenter-sim then SimPy (default 3)
# Environment: HOURS, PAIRS (when not given as arguments), PIN_CPU (the core both
# programs are pinned to with taskset, default 1 when the machine has more than one;
# empty: no pinning), PYTHON (default /usr/bin/python3, which needs Debian's
# python3-simpy3).
#
# Two cases: M/M/N with A = 43.5 erlangs on 50 agents (rho = 0.87), and M/M/N+M with
# A = 48 on 50 agents and a mean patience of 120 s (Erlang A). Each run prints its
# simulated contacts per second; the summary gives the median of each program's rates
# and the median over the pairs of the ratio ccenter-sim / SimPy, then P(wait), service
# level and abandonment of both models next to Erlang C / A (ccenter-sim's erlang_*
# predictions) with 95 % batch-means confidence intervals.
#
# A statistic agrees when each model is within 4 standard errors of Erlang and the two
# models are within 4 SE of their difference of each other: the bar of the sim test suite
# (docs/simulator.md, "The tolerance"), about a 99.9 % confidence interval for t with 19
# degrees of freedom. Whether each lies inside its 95 % interval is shown too.
# Exit status: 0 every statistic agrees, 1 one does not, 2 bad arguments or a failed run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sim=${1:-build/examples/simulate/ccenter-sim}
hours=${2:-${HOURS:-1000}}
pairs=${3:-${PAIRS:-3}}
py=${PYTHON:-/usr/bin/python3}
model="$here/simpy_mmn.py"

die() { echo "sim_vs_simpy: $*" >&2; exit 2; }
[[ -x $sim ]] || die "no simulator at $sim (build it, or give its path as the first argument)"
[[ $hours =~ ^[0-9]+([.][0-9]+)?$ ]] || die "HOURS must be a number of hours, not '$hours'"
[[ $pairs =~ ^[1-9][0-9]*$ ]] || die "PAIRS must be a positive integer, not '$pairs'"
"$py" -c 'import simpy' 2>/dev/null \
  || die "$py cannot import simpy (Debian 12: apt-get install python3-simpy3)"

pin=()
cpu=${PIN_CPU-$( [[ $(nproc) -gt 1 ]] && echo 1 || echo "")}
if [[ -n $cpu ]] && command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "$cpu")
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name | seed | the model's flags (the same for both programs)
cases=(
  "mmn|3|--agents 50 --calls-per-hour 870 --aht 180"
  "mmn+m|4|--agents 50 --calls-per-hour 960 --aht 180 --patience 120"
)
common=(--hours "$hours" --batches 20 --threshold 20 --short-abandon 5)

# run KIND CASE PAIR FLAGS...: one run, its JSON line in $out/KIND.CASE.PAIR.json with the
# process's wall time and CPU time (user + system, from getrusage) added as process_wall_s
# and process_cpu_s.
run() {
  local kind=$1 name=$2 pair=$3; shift 3
  local f="$out/$kind.$name.$pair.json" cmd
  if [[ $kind == ccenter-sim ]]; then
    cmd=("${pin[@]}" "$sim" "$@" --json)
  else
    cmd=("${pin[@]}" "$py" "$model" "$@")
  fi
  "$py" - "$f" "${cmd[@]}" <<'PY' || die "$kind failed"
import json, resource, subprocess, sys, time
f, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode != 0:
    sys.stderr.write(p.stderr)
    sys.exit(1)
d = json.loads(p.stdout.strip().splitlines()[-1])
d["process_wall_s"] = wall
d["process_cpu_s"] = ru.ru_utime + ru.ru_stime
with open(f, "w") as out:
    json.dump(d, out)
PY
  "$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("  %-5s pair %s  %-11s %9.0f contacts/s  (%d contacts in %.2f s; process %.2f s wall, %.2f s CPU)"
      % (sys.argv[2], sys.argv[3], sys.argv[4], d["sim_contacts_per_s"],
         d["contacts_simulated"], d["wall_s"], d["process_wall_s"], d["process_cpu_s"]))' \
    "$f" "$name" "$pair" "$kind"
}

echo "ccenter-sim against SimPy: $hours measured hours per run, $pairs pair(s) per case"
echo "  ccenter-sim: $sim ($("$sim" --version 2>/dev/null | head -n 1 || true))"
echo "  SimPy: $("$py" -c 'import simpy, sys; print(simpy.__version__, "on Python", sys.version.split()[0])')"
[[ ${#pin[@]} -gt 0 ]] && echo "  both pinned to core $cpu (taskset)"
echo "  $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) core(s), $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo

for c in "${cases[@]}"; do
  IFS='|' read -r name seed flags <<<"$c"
  read -r -a fl <<<"$flags"
  for ((p = 1; p <= pairs; p++)); do
    run ccenter-sim "$name" "$p" "${fl[@]}" "${common[@]}" --seed "$seed"
    run simpy "$name" "$p" "${fl[@]}" "${common[@]}" --seed "$seed"
  done
done
echo

"$py" - "$out" "$pairs" "${cases[@]}" <<'EOF'
import json, math, statistics, sys

out, pairs, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
T975 = 2.093          # t(0.975, 19): the 95 % interval of 20 batches
BAR = 4.0             # the sim suite's tolerance, in standard errors
STATS = (("p_wait", "P(wait)", "erlang_p_wait"),
         ("service_level", "SL", "erlang_service_level"),
         ("abandon_rate", "abandon", "erlang_a_p_abandon"))

def load(kind, name, p):
    with open("%s/%s.%s.%d.json" % (out, kind, name, p)) as f:
        return json.load(f)

def fmt_rate(x):
    return "{:,.0f}".format(x)

all_ok = True
for c in cases:
    name, seed, flags = c.split("|")
    cc = [load("ccenter-sim", name, p) for p in range(1, pairs + 1)]
    sp = [load("simpy", name, p) for p in range(1, pairs + 1)]
    print("%s (%s, seed %s)" % (name, flags, seed))
    for label, key in (("in-run", "sim_contacts_per_s"), ("process", "process_wall_s"),
                       ("CPU", "process_cpu_s")):
        def rate(d):
            if key == "sim_contacts_per_s":
                return d[key]
            return d["contacts_simulated"] / d[key]
        rc = [rate(d) for d in cc]
        rs = [rate(d) for d in sp]
        ratios = [a / b for a, b in zip(rc, rs)]
        print("  contacts/s %-8s ccenter-sim %s [%s-%s]  SimPy %s [%s-%s]  "
              "ratio %.1f x (pairs: %s)"
              % (label, fmt_rate(statistics.median(rc)), fmt_rate(min(rc)),
                 fmt_rate(max(rc)), fmt_rate(statistics.median(rs)), fmt_rate(min(rs)),
                 fmt_rate(max(rs)), statistics.median(ratios),
                 ", ".join("%.1f" % r for r in ratios)))
    # The statistics do not depend on the pair (fixed seeds): check that, then use pair 1.
    for kind, runs in (("ccenter-sim", cc), ("SimPy", sp)):
        for d in runs[1:]:
            for k, _, _ in STATS:
                if d[k] != runs[0][k]:
                    print("  note: %s gave a different %s in another pair" % (kind, k))
                    all_ok = False
    a, b = cc[0], sp[0]
    print("  offered: ccenter-sim %d, SimPy %d; Erlang %s, load %.1f erlangs"
          % (a["offered"], b["offered"], a["erlang_model"], a["erlang_load"]))
    print("  %-8s %8s   %-24s %-24s %7s %7s %7s  %s"
          % ("", "Erlang", "ccenter-sim [95% CI]", "SimPy [95% CI]",
             "z_cc", "z_simpy", "z_diff", "verdict"))
    for key, label, ekey in STATS:
        model = a.get(ekey)
        if model is None:
            model = 0.0            # Erlang C: nobody abandons
        x, sx = a[key], a["se_" + key]
        y, sy = b[key], b["se_" + key]
        def z(d, se):
            if se and se > 0:
                return d / se
            return 0.0 if abs(d) < 1e-12 else math.inf
        zc, zs = z(x - model, sx), z(y - model, sy)
        zd = z(x - y, math.hypot(sx or 0.0, sy or 0.0))
        ok = max(abs(zc), abs(zs), abs(zd)) <= BAR
        all_ok &= ok
        out95 = [n for n, v in (("cc", zc), ("simpy", zs), ("diff", zd)) if abs(v) > T975]
        verdict = "agree" if ok else "DISAGREE (|z| > %g)" % BAR
        if ok and out95:
            verdict += " (outside 95 %%: %s)" % ", ".join(out95)
        ci = lambda v, se: "%.4f [%.4f, %.4f]" % (v, v - T975 * se, v + T975 * se)
        print("  %-8s %8.4f   %-24s %-24s %+7.2f %+7.2f %+7.2f  %s"
              % (label, model, ci(x, sx), ci(y, sy), zc, zs, zd, verdict))
    print()
print("statistics: %s" % ("all agree within 4 SE of Erlang and of each other" if all_ok
                          else "SOME DISAGREE"))
sys.exit(0 if all_ok else 1)
EOF
