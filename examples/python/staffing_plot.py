"""A day's staffing from a forecast, with Erlang C through the ccenter bindings.

The forecast is a weekday on one line, 08:00-20:00 in 30-minute intervals, with a morning
peak around 10:30 and a smaller afternoon peak around 14:30; the average handle time is
240 s and the target is 80/20 (80 % of calls answered within 20 s). For each interval the
script prints the calls, the offered traffic in erlangs and the fewest agents that meet
the target (ccenter.agents_needed, the library's staffing solver), with the service level,
ASA and occupancy they give; the last line has the day's totals.

The figure (python3-matplotlib, Agg backend: no display needed) has two panels: the
service level against the number of agents for the peak interval's traffic, with the
80 % target, and the agents required in each interval of the day. It is saved as PNG to
the path given as the first argument (default staffing.png).

Run from the source tree after building:

    PYTHONPATH=build/bindings/python /usr/bin/python3 examples/python/staffing_plot.py [out.png]
"""
import math
import sys

import ccenter
from ccenter import staffing

AHT_S = 240
TARGET_SL, THRESHOLD_S = 0.80, 20
INTERVAL_S = 1800
DAY_START_H = 8
N_INTERVALS = 24  # 08:00-20:00


def forecast():
    """Calls per interval: a base load plus two bell-shaped peaks (10:30 and 14:30),
    rounded to whole calls. Fixed numbers, so the output is the same on every run."""
    calls = []
    for i in range(N_INTERVALS):
        h = DAY_START_H + (i + 0.5) * INTERVAL_S / 3600
        rate = (40 + 160 * math.exp(-((h - 10.5) / 1.3) ** 2)
                + 110 * math.exp(-((h - 14.5) / 1.6) ** 2))
        calls.append(round(rate))
    return calls


def clock(i):
    m = DAY_START_H * 60 + i * INTERVAL_S // 60
    return "%02d:%02d" % (m // 60, m % 60)


def print_table(rows):
    print("interval  calls  erlangs  agents  service level    ASA  occupancy")
    for r in rows:
        print("%-8s  %5d  %7.2f  %6d  %12.1f%%  %5.1fs  %8.1f%%"
              % (clock(r.interval), r.calls, r.traffic, r.agents, 100 * r.service_level,
                 r.asa_s, 100 * r.occupancy))
    hours = INTERVAL_S / 3600
    peak = max(rows, key=lambda r: r.traffic)
    print("total     %5d  workload %.1f h, staffed %.1f agent-hours; peak %s: %d agents"
          % (sum(r.calls for r in rows), sum(r.traffic for r in rows) * hours,
             sum(r.agents for r in rows) * hours, clock(peak.interval), peak.agents))
    return peak


def plot(rows, peak, path):
    try:
        import matplotlib
    except ImportError:
        sys.exit("staffing_plot: the figure needs matplotlib (Debian: python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    # Service level against agents at the peak's traffic: from just above the traffic
    # (Erlang C needs N > A) to a few agents past the target.
    first = math.floor(peak.traffic) + 1
    agents = list(range(first, peak.agents + 6))
    sl = staffing.service_level(peak.traffic, agents, AHT_S, THRESHOLD_S)
    left.plot(agents, [100 * s for s in sl], marker="o")
    left.axhline(100 * TARGET_SL, color="grey", linestyle="--", label="80/20 target")
    left.axvline(peak.agents, color="tab:red", linestyle=":",
                 label="%d agents needed" % peak.agents)
    left.set_xlabel("agents")
    left.set_ylabel("calls answered within %d s (%%)" % THRESHOLD_S)
    left.set_title("Peak %s: %.0f calls, %.1f erlangs"
                   % (clock(peak.interval), peak.calls, peak.traffic))
    left.legend(loc="lower right")
    left.grid(True, alpha=0.3)

    x = [DAY_START_H + r.interval * INTERVAL_S / 3600 for r in rows]
    # The last interval drawn to its end, not only its start.
    right.step(x + [x[-1] + INTERVAL_S / 3600], [r.agents for r in rows] + [rows[-1].agents],
               where="post", label="agents required")
    right.set_xlabel("time of day (h)")
    right.set_ylabel("agents")
    right.set_title("Agents required per 30 minutes (80/20, AHT %d s)" % AHT_S)
    calls = right.twinx()
    calls.plot([v + INTERVAL_S / 7200 for v in x], [r.calls for r in rows],
               color="tab:orange", alpha=0.6, label="calls")
    calls.set_ylabel("calls per interval")
    right.legend(loc="upper left")
    calls.legend(loc="upper right")
    right.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)


def main(argv):
    path = argv[1] if len(argv) > 1 else "staffing.png"
    rows = ccenter.agents_needed(forecast(), AHT_S, interval=INTERVAL_S,
                                 target_sl=TARGET_SL, threshold=THRESHOLD_S)
    peak = print_table(rows)
    plot(rows, peak, path)
    print("figure: %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
