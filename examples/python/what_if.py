"""What if English were a skill in the general pool? A day simulated on the engine.

A contact centre has 30 agents, 7 of them bilingual; 20 % of its callers need English.
Three ways to route them, compared on the same callers:

  A  separate group: an "english" queue served only by the 7 bilingual agents, a
     "general" queue served by the 23 others;
  B  skill in the pool: every agent serves both queues; the English queue's routing step
     asks for the skill `english` (docs/routing-expressions.md), which only the bilingual
     agents have, and they serve it at a higher priority than the general queue;
  C  as B, but a general call is offered to a bilingual agent only once it has waited
     30 s (a delay on their membership of the general queue), so that they are more
     often free when an English caller arrives.

The day is 09:00-17:00 at 360 calls an hour: Poisson arrivals, exponential handle times
(mean 240 s) and exponential patience (mean 180 s), drawn once from Python's `random` with
a fixed seed, so every set-up sees the same calls and every run prints the same figures.
The engine runs on virtual time (int ms from 09:00): the script keeps an agenda of the
callers' own moments (arrival, hang-up, end of the conversation), runs it in time order
with the engine's deadlines, and drives the engine from its pulled events: an agent
accepts an offer at once, and the call ends after its handle time. Wrap-up is 10 s.

The KPI table comes from the engine's statistics (engine.stats): service level (answered
within 20 s, abandons ignored), ASA, abandonment, calls handled per queue and per set-up,
and the agents' occupancy (talk, hold and wrap over those plus idle ready time): of all
agents, and in set-up A of each line's own group.

Run from the source tree after building (a few seconds):

    PYTHONPATH=build/bindings/python /usr/bin/python3 examples/python/what_if.py [seed]
"""
import dataclasses
import heapq
import random
import sys
from typing import Optional

import ccenter
from ccenter import EventType

SEC = 1000
HOUR = 3600 * SEC
DAY_MS = 8 * HOUR                       # 09:00-17:00
CALLS_PER_HOUR = 360
ENGLISH_SHARE = 0.20
AHT_MS, PATIENCE_MS = 240 * SEC, 180 * SEC
AGENTS, BILINGUAL = 30, 7
WRAP_UP, THRESHOLD = 10 * SEC, 20 * SEC
QUEUES = ("general", "english")


@dataclasses.dataclass(frozen=True)
class Call:
    id: str
    arrival: int
    queue: str
    handle_ms: int
    patience_ms: int


def callers(seed):
    """The day's calls, the same for every set-up."""
    rng = random.Random(seed)
    calls, t = [], 0
    while True:
        t += round(rng.expovariate(CALLS_PER_HOUR / HOUR))
        if t >= DAY_MS:
            return calls
        queue = "english" if rng.random() < ENGLISH_SHARE else "general"
        calls.append(Call("c%05d" % len(calls), t, queue,
                          max(SEC, round(rng.expovariate(1 / AHT_MS))),
                          round(rng.expovariate(1 / PATIENCE_MS))))


def separate_group(eng):
    """Returns each line's own agents (whose occupancy is that line's)."""
    for q in QUEUES:
        eng.add_queue(q, now=0, wrap_up=WRAP_UP, sl_threshold=THRESHOLD)
    groups = {q: [] for q in QUEUES}
    for i in range(AGENTS):
        q = "english" if i < BILINGUAL else "general"
        groups[q].append(eng.add_agent("a%02d" % i, now=0, queues=[q]))
    return groups


def skill_in_pool(eng, general_delay=0):
    eng.add_queue("general", now=0, wrap_up=WRAP_UP, sl_threshold=THRESHOLD)
    # A step that lasts all day: only agents with the skill ever take an English call.
    eng.add_queue("english", now=0, wrap_up=WRAP_UP, sl_threshold=THRESHOLD,
                  steps=[("english", 24 * HOUR)])
    for i in range(AGENTS):
        a = eng.add_agent("a%02d" % i, now=0, skills={"english": 5} if i < BILINGUAL else None)
        a.serve("general", 0, priority=0, delay=general_delay if i < BILINGUAL else 0)
        a.serve("english", 0, priority=10)
    return {}  # one pool: no line has agents of its own


SETUPS = (("A separate group", separate_group), ("B skill in pool", skill_in_pool),
          ("C pool + delay", lambda eng: skill_in_pool(eng, general_delay=30 * SEC)))


def simulate(setup, calls):
    """Runs the day on a new engine set up by `setup`; returns the engine (still open)
    and the set-up's agent groups."""
    eng = ccenter.Engine(0, pull_events=True,
                         event_mask=[EventType.CONTACT_OFFERED, EventType.CONTACT_CONNECTED])
    groups = setup(eng)
    for a in eng.agents():
        a.login(0)
        a.ready(0)
    by_id = {c.id: c for c in calls}
    waiting = set()
    # The agenda: (time, order, what, call id); order keeps equal times in a fixed order.
    agenda = [(c.arrival, n, "arrive", c.id) for n, c in enumerate(calls)]
    heapq.heapify(agenda)
    order = len(agenda)

    def later(t, what, cid):
        nonlocal order
        order += 1
        heapq.heappush(agenda, (t, order, what, cid))

    def drive():
        for ev in eng.events():
            if ev.type == EventType.CONTACT_OFFERED:
                eng.offer_accept(ev.agent, ev.contact, ev.time)
            else:  # CONNECTED: the conversation lasts the caller's handle time
                waiting.discard(ev.contact)
                later(ev.time + by_id[ev.contact].handle_ms, "end", ev.contact)

    while agenda:
        t = agenda[0][0]
        d = eng.next_deadline
        if d is not None and d <= t:
            eng.advance(d)
            drive()
            continue
        _, _, what, cid = heapq.heappop(agenda)
        if what == "arrive":
            c = by_id[cid]
            waiting.add(cid)
            eng.enqueue(cid, c.queue, t)
            later(t + c.patience_ms, "hang up", cid)
        elif what == "hang up":
            if cid in waiting:
                waiting.discard(cid)
                eng.contact_abandon(cid, t)
        else:
            eng.contact_end(cid, ccenter.Party.CUSTOMER, t)
        drive()
    eng.advance(eng.now + WRAP_UP)  # the last wrap-ups
    drive()
    return eng, groups


# Counters that are not added up across queues or agents.
_SAME = {"intervals", "from_", "to", "threshold_ms", "n_extra", "extra_ms"}


def total(records):
    """One statistics record (QueueStats or AgentStats) with the counters of several
    added up: a set-up's queues together, or all its agents. The library's KPI methods
    then apply to the sum."""
    out = {}
    for f in dataclasses.fields(records[0]):
        vals = [getattr(r, f.name) for r in records]
        if f.name in _SAME:
            out[f.name] = vals[0]
        elif f.name.startswith("max_"):
            out[f.name] = max(vals)
        elif isinstance(vals[0], list):
            out[f.name] = [sum(x) for x in zip(*vals)]
        else:
            out[f.name] = sum(vals)
    return type(records[0])(**out)


@dataclasses.dataclass(frozen=True)
class Kpis:
    setup: str
    line: str
    offered: int
    handled: int
    service_level: float
    asa_s: float
    abandon_rate: float
    occupancy: Optional[float]  # the agents'; None for one line of a pool (B, C)


def kpis(setup, line, q, occupancy):
    return Kpis(setup, line, q.offered, q.handled, q.service_level() or 0.0,
                (q.asa() or 0.0) / SEC, q.abandon_rate() or 0.0, occupancy)


def compare(seed):
    calls = callers(seed)
    rows = []
    for name, setup in SETUPS:
        eng, groups = simulate(setup, calls)
        with eng:
            def occupancy(agents):
                return total([eng.stats.agent(a) for a in agents]).occupancy() or 0.0
            per_queue = [eng.stats.queue(q) for q in QUEUES]
            for q, st in zip(QUEUES, per_queue):
                rows.append(kpis(name, q, st, occupancy(groups[q]) if q in groups else None))
            rows.append(kpis(name, "all", total(per_queue), occupancy(eng.agents())))
    return calls, rows


def print_table(calls, rows):
    english = sum(c.queue == "english" for c in calls)
    print("%d calls (%d English), %d agents (%d bilingual), 09:00-17:00"
          % (len(calls), english, AGENTS, BILINGUAL))
    print("set-up            line      offered  handled  SL 20s    ASA  abandoned  occupancy")
    for r in rows:
        occ = "%8.1f%%" % (100 * r.occupancy) if r.occupancy is not None else "%9s" % "-"
        print("%-16s  %-8s  %7d  %7d  %5.1f%%  %4.1fs  %8.1f%%  %s"
              % (r.setup, r.line, r.offered, r.handled, 100 * r.service_level, r.asa_s,
                 100 * r.abandon_rate, occ))


def main(argv):
    seed = int(argv[1]) if len(argv) > 1 else 2026
    calls, rows = compare(seed)
    print_table(calls, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
