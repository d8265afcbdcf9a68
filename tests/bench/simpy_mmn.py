#!/usr/bin/python3
"""M/M/N and M/M/N+M in SimPy, for the benchmark of ccenter-sim against SimPy.

The model and its statistics are those of `ccenter-sim`'s one-queue mode (docs/simulator.md,
"Definitions" and "Periods"), written the way a SimPy user would write it: one process per
caller, the agents a `simpy.Resource` of capacity N (first come, first served), a caller
with patience waiting for `request | timeout(patience)`.

  - Poisson arrivals at --calls-per-hour; handle time exponential with mean --aht;
    patience (with --patience) exponential with mean --patience, counted from the arrival
    while the caller waits. Handle time and patience are drawn at arrival, each quantity
    from its own random stream seeded from --seed (Python's `random`, Mersenne Twister).
  - Warm-up of --warmup seconds (default 20 x AHT) from an empty centre, then --hours
    measured hours; the contacts that arrive in [warm-up, warm-up + hours) are counted, and
    arrivals go on (uncounted) after the end until every counted contact has finished.
  - offered = counted arrivals; wait = answer time - arrival (answered) or hang-up time -
    arrival (abandoned); answered_within = answered with wait <= T (--threshold, 20 s);
    short_abandoned = abandoned with wait < --short-abandon (5 s); waited = answered
    contacts that did not get an agent at their arrival.
  - service_level = answered_within / (answered + abandoned - short_abandoned)
    (ccenter-sim's formula; it also subtracts timed-out contacts, of which this model has
    none); p_wait = waited / answered; abandon_rate = abandoned / offered (short abandons
    included); asa = mean wait of the answered.
  - Standard errors by batch means: the measured period cut into --batches equal batches of
    time, each contact in the batch of its arrival, the ratio estimator's SE
    sqrt(sum (x_i - R y_i)^2 / (K (K - 1))) / mean(y); the 95 % confidence interval is
    R +- t(0.975, K - 1) SE.

Prints one JSON object (one line). `wall_s` is the wall time of building and running the
simulation (interpreter start-up and imports excluded, like ccenter-sim's own `wall_s`);
`contacts_simulated` counts every arrival, warm-up and tail included, like ccenter-sim's.

Written against the API that SimPy 3 and SimPy 4 share (Environment, Resource, timeout,
process, `|`); Debian 12 packages SimPy 3.0.11 as python3-simpy3 (its python3-simpy is the
old SimPy 2, module `SimPy`, a different API).
"""

import argparse
import json
import math
import random
import sys
import time

try:
    import simpy
except ImportError:  # pragma: no cover
    sys.exit("simpy_mmn.py: no module simpy (Debian 12: apt-get install python3-simpy3)")

# Two-sided 95 % quantiles of Student's t, by degrees of freedom (for the batch-means CI).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
         16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 24: 2.064, 29: 2.045,
         39: 2.023, 49: 2.010, 99: 1.984}


def t975(df):
    if df in _T975:
        return _T975[df]
    for k in sorted(_T975):
        if k >= df:
            return _T975[k]
    return 1.960


def duration(text):
    """Seconds, with the suffixes ccenter-sim accepts (ms, s, m, h)."""
    units = (("ms", 0.001), ("h", 3600.0), ("m", 60.0), ("s", 1.0))
    for suffix, scale in units:
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    return float(text)


class Stats:
    """Counts over the measured period, in total and per batch."""

    KEYS = ("offered", "answered", "abandoned", "short_abandoned", "answered_within",
            "waited", "wait_sum")

    def __init__(self, start, end, batches):
        self.start, self.end, self.batches = start, end, batches
        self.total = dict.fromkeys(self.KEYS, 0)
        self.per = [dict.fromkeys(self.KEYS, 0) for _ in range(max(batches, 1))]

    def batch_of(self, t):
        k = int((t - self.start) * len(self.per) / (self.end - self.start))
        return min(max(k, 0), len(self.per) - 1)

    def add(self, b, key, value=1):
        self.total[key] += value
        self.per[b][key] += value


def ratio_se(xs, ys):
    """The ratio estimator R = sum x / sum y and its batch-means standard error."""
    k = len(xs)
    sx, sy = sum(xs), sum(ys)
    if sy == 0:
        return None, None
    r = sx / sy
    if k < 2:
        return r, None
    ybar = sy / k
    s2 = sum((x - r * y) ** 2 for x, y in zip(xs, ys)) / (k * (k - 1))
    return r, math.sqrt(s2) / ybar


def simulate(a):
    lam = a.calls_per_hour / 3600.0          # arrivals per second
    warmup = a.warmup if a.warmup is not None else 20.0 * a.aht
    end = warmup + a.hours * 3600.0
    st = Stats(warmup, end, a.batches)
    rng_arr = random.Random("ccenter-simpy:%d:arrivals" % a.seed)
    rng_aht = random.Random("ccenter-simpy:%d:handle" % a.seed)
    rng_pat = random.Random("ccenter-simpy:%d:patience" % a.seed)
    patience_rate = 1.0 / a.patience if a.patience else 0.0

    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=a.agents)
    state = {"contacts": 0, "in_progress": 0}
    finished = env.event()                  # the last counted contact is done

    def done(counted):
        if counted:
            state["in_progress"] -= 1
            if state["in_progress"] == 0 and env.now >= end and not finished.triggered:
                finished.succeed()

    def caller(arrived, handle, patience, b):
        counted = b is not None
        with agents.request() as req:
            at_once = req.triggered            # an agent was free at the arrival
            if patience is None:
                yield req
            else:
                gone = env.timeout(patience)
                yield req | gone
                if not req.triggered:          # patience ran out first: hang up
                    if counted:
                        w = env.now - arrived
                        st.add(b, "abandoned")
                        if w < a.short_abandon:
                            st.add(b, "short_abandoned")
                    done(counted)
                    return
            if counted:
                w = env.now - arrived
                st.add(b, "answered")
                st.add(b, "wait_sum", w)
                if w <= a.threshold:
                    st.add(b, "answered_within")
                if not at_once:
                    st.add(b, "waited")
            yield env.timeout(handle)
        done(counted)

    def arrivals():
        while True:
            yield env.timeout(rng_arr.expovariate(lam))
            now = env.now
            handle = rng_aht.expovariate(1.0 / a.aht)
            patience = rng_pat.expovariate(patience_rate) if patience_rate else None
            state["contacts"] += 1
            b = None
            if warmup <= now < end:
                b = st.batch_of(now)
                st.add(b, "offered")
                state["in_progress"] += 1
            env.process(caller(now, handle, patience, b))

    def closer():
        # At the end of the measured period: stop at once if nothing counted is still in
        # progress, else when the last one finishes (see done()).
        yield env.timeout(end)
        if state["in_progress"] == 0 and not finished.triggered:
            finished.succeed()

    env.process(arrivals())
    env.process(closer())
    env.run(until=finished)
    return st, state["contacts"], env.now


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--agents", type=int, required=True)
    p.add_argument("--calls-per-hour", type=float, required=True)
    p.add_argument("--aht", type=duration, required=True, help="mean handle time, s")
    p.add_argument("--patience", type=duration, default=None,
                   help="mean patience, s (exponential); none = M/M/N")
    p.add_argument("--hours", type=float, default=100.0, help="measured hours (100)")
    p.add_argument("--warmup", type=duration, default=None, help="s (20 x AHT)")
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threshold", type=duration, default=20.0, help="SL threshold T, s")
    p.add_argument("--short-abandon", type=duration, default=5.0, help="s")
    a = p.parse_args()
    if a.agents < 1 or a.calls_per_hour <= 0 or a.aht <= 0 or a.hours <= 0 or a.batches < 1:
        p.error("agents, calls per hour, AHT, hours and batches must be positive")
    if a.patience is not None and a.patience <= 0:
        p.error("--patience must be positive")

    t0 = time.perf_counter()
    st, contacts, stopped = simulate(a)
    wall = time.perf_counter() - t0

    T, per = st.total, st.per
    col = lambda key: [b[key] for b in per]
    sl_base = [b["answered"] + b["abandoned"] - b["short_abandoned"] for b in per]
    figures = {
        "service_level": (col("answered_within"), sl_base),
        "p_wait": (col("waited"), col("answered")),
        "abandon_rate": (col("abandoned"), col("offered")),
        "asa": (col("wait_sum"), col("answered")),
    }
    out = {
        "model": "simpy",
        "simpy_version": getattr(simpy, "__version__", "?"),
        "python": sys.version.split()[0],
        "agents": a.agents, "calls_per_hour": a.calls_per_hour, "aht_s": a.aht,
        "patience_s": a.patience, "hours": a.hours,
        "warmup_s": a.warmup if a.warmup is not None else 20.0 * a.aht,
        "threshold_s": a.threshold, "short_abandon_s": a.short_abandon, "seed": a.seed,
        "offered": T["offered"], "answered": T["answered"], "abandoned": T["abandoned"],
        "short_abandoned": T["short_abandoned"], "answered_within": T["answered_within"],
        "waited": T["waited"], "batches": len(per),
    }
    tq = t975(len(per) - 1)
    for key, (xs, ys) in figures.items():
        r, se = ratio_se(xs, ys)
        out[key] = r
        out["se_" + key] = se
        out["ci95_" + key] = [r - tq * se, r + tq * se] if r is not None and se is not None \
            else None
    out.update({
        "contacts_simulated": contacts,
        "stopped_at_s": stopped,
        "wall_s": wall,
        "sim_contacts_per_s": contacts / wall if wall > 0 else None,
    })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
