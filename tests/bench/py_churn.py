#!/usr/bin/python3
"""py_churn: the `churn` scenario of ccenter-bench (tests/bench/bench_churn.c) driven
through the Python bindings, to set calls per second through Python next to C
(docs/performance.md, "Python bindings: churn through Python against C").

    PYTHONPATH=BUILD/bindings/python /usr/bin/python3 tests/bench/py_churn.py
        [--quick | --contacts N] [--no-stats] [--seed S]

The same model as the C scenario: 1,000 agents serve 50 queues (each agent 2 to 4 of
them), all logged in and READY; contacts arrive at random at about 90 % of the agents'
capacity; an agent answers 1-4 s after the offer starts ringing (or rejects it, or lets
it ring to the ring timeout), talks 20-120 s (sometimes with a hold, sometimes ending in
a blind transfer to a queue or to an agent), then wrap-up runs on the queue's timer
(0, 3 or 8 s; now and then ended early); a few callers hang up while waiting or ringing,
one queue in five has a 120 s max wait, now and then an agent takes a break. The per-mille
probabilities are C's. Like an event loop, the driver calls advance() at next_deadline
whenever that comes before its own next action. The callback (on_event, every event
type, so every event becomes an Event object as an integrator's would) only writes down
what happened; the driver acts after each call returns.

The random stream is Python's own (random.Random(seed)), not C's xorshift: the model is
the same, the sequence of contacts is not, so event and call counts differ slightly from
C's. Every run with the same seed is identical.

Output: one JSON line like ccenter-bench's, scenario "py_churn": engine events per wall
second (ops_per_s), state-changing API calls per second (calls_per_s), contacts per
second, and the latency of one API call (callback and Event objects included) sampled one
call in 16 with time.perf_counter_ns, the clock's own cost subtracted: mean_ns, p50_ns,
p99_ns. Statistics are on, as in ccenter-bench without --no-stats.

Checks (exit status 1 when one fails): every call succeeds except transfers to an agent
refused with CapacityError (the contact then goes to a queue), events arrive in time
order, every enqueued contact ends exactly once, and no timer is left at the end. C's
memory phase and cc_engine_check() are internal and not reachable from Python.
"""
import argparse
import heapq
import json
import math
import random
import sys
import time

import ccenter
from ccenter import AgentState, Cause, EventType

N_AGENTS = 1000
N_QUEUES = 50
SAMPLE_EVERY = 16  # power of two
SEC = 1000
T0 = 1 << 32
MEAN_HANDLE_MS = 78000.0
LOAD = 0.90

# Per mille, as in bench_churn.c.
P_IMPATIENT = 20
P_NO_ANSWER = 10
P_REJECT = 15
P_XFER_QUEUE = 20
P_XFER_AGENT = 10
P_HOLD = 50
P_BREAK = 5
P_WRAP_EARLY = 50

ST_NEW, ST_WAITING, ST_OFFERED, ST_CONNECTED, ST_AFTER, ST_ENDED = range(6)
F_TRANSFERRED, F_HELD = 1, 2
(A_ACCEPT, A_REJECT, A_ABANDON, A_END, A_XFER_QUEUE, A_XFER_AGENT, A_HOLD, A_RESUME,
 A_WRAP_END, A_BREAK, A_READY) = range(1, 12)

# Plain ints: comparing IntEnum members costs more than comparing ints in the hot loop.
READY, NOT_READY = int(AgentState.READY), int(AgentState.NOT_READY)
EV = {name: int(getattr(EventType, name)) for name in EventType.__members__}
WAITING_EVENTS = {EV[n] for n in ("CONTACT_QUEUED", "CONTACT_REQUEUED", "CONTACT_OVERFLOWED",
                                  "QUEUE_MOVED", "CONTACT_CALLBACK_QUEUED")}
IGNORED_EVENTS = {EV[n] for n in ("ANNOUNCE", "DISPOSITION", "WRAP_UP_ENDED")}
GONE_CAUSES = {int(Cause.ABANDONED), int(Cause.REMOVED)}


def clock_overhead_ns():
    """The median cost of one perf_counter_ns() pair, as bench_clock_overhead_ns()."""
    pc = time.perf_counter_ns
    d = []
    for _ in range(1001):
        a = pc()
        d.append(pc() - a)
    d.sort()
    return d[len(d) // 2]


def percentile(sorted_v, p):
    """bench_percentile's rank: the smallest value with p % of the samples at or below."""
    if not sorted_v:
        return 0
    i = max(math.ceil(p / 100.0 * len(sorted_v)) - 1, 0)
    return sorted_v[min(i, len(sorted_v) - 1)]


class Failed(Exception):
    pass


class Churn:
    def __init__(self, n_contacts, seed, statistics):
        self.n_contacts = n_contacts
        self.rng = random.Random(seed)
        self.now = T0
        self.recs = []
        self.events = 0
        self.last_ev_time = T0
        self.order_errors = 0
        self.heap = []
        self.order = 0
        # Per contact: [seq, agent, state, flags].
        self.cs = [None] * n_contacts
        self.astate = [0] * N_AGENTS
        self.apending = [False] * N_AGENTS
        self.aid = ["a%04d" % a for a in range(N_AGENTS)]
        self.qid = ["q%02d" % q for q in range(N_QUEUES)]
        self.calls = self.queries = self.refused = 0
        self.lat = []
        self.clk = clock_overhead_ns()
        self.enqueued = self.ended = self.dup_ended = self.live = self.live_peak = 0
        self.outcome = {}
        self.tally = dict.fromkeys(("ring_timeouts", "rejects", "abandons", "transfers_queue",
                                    "transfers_agent", "holds", "breaks",
                                    "no_answer_not_ready", "wrap_ups_ended_early"), 0)
        self.e = ccenter.Engine(self.now, statistics=statistics, on_event=self.on_event)

    # -- small helpers ---------------------------------------------------------------

    def rnd(self, n):
        return int(self.rng.random() * n)

    def rand_range(self, lo, hi):
        return lo + int(self.rng.random() * (hi - lo + 1))

    def api(self, fn, *args, **kw):
        """One state-changing call; one in SAMPLE_EVERY is timed."""
        self.calls += 1
        if self.calls & (SAMPLE_EVERY - 1) == 0:
            pc = time.perf_counter_ns
            t0 = pc()
            fn(*args, **kw)
            d = pc() - t0 - self.clk
            self.lat.append(d if d > 0 else 0)
        else:
            fn(*args, **kw)

    # -- the callback: write down, never call a state-changing function -----------------

    def on_event(self, ev):
        self.events += 1
        t = ev.time
        if t < self.last_ev_time:
            self.order_errors += 1
        self.last_ev_time = t
        if ev.type not in IGNORED_EVENTS:
            self.recs.append(ev)

    # -- pending actions ------------------------------------------------------------------

    def schedule(self, at, kind, contact, agent):
        seq = self.cs[contact][0] if contact >= 0 else 0
        self.order += 1
        heapq.heappush(self.heap, (at if at > self.now else self.now, self.order, kind,
                                   contact, agent, seq))

    # -- the integrator's side ------------------------------------------------------------

    def on_connected(self, c, x, t):
        talk = self.rand_range(20 * SEC, 120 * SEC)
        r = self.rnd(1000)
        if not x[3] & F_TRANSFERRED and r < P_XFER_QUEUE:
            self.schedule(t + talk // 2, A_XFER_QUEUE, c, -1)
        elif not x[3] & F_TRANSFERRED and r < P_XFER_QUEUE + P_XFER_AGENT:
            self.schedule(t + talk // 2, A_XFER_AGENT, c, -1)
        else:
            self.schedule(t + talk, A_END, c, -1)
        if self.rnd(1000) < P_HOLD:
            self.schedule(t + 5 * SEC, A_HOLD, c, -1)
            self.schedule(t + 15 * SEC, A_RESUME, c, -1)

    def react(self, ev):
        typ, t = ev.type, ev.time
        c = int(ev.contact[1:]) if ev.contact is not None else -1
        x = self.cs[c] if c >= 0 else None
        if typ == EV["AGENT_STATE"]:
            a = int(ev.agent[1:])
            st = int(ev.state)
            self.astate[a] = st
            self.apending[a] = False
            if st == NOT_READY and ev.cause == Cause.NO_ANSWER:
                self.tally["no_answer_not_ready"] += 1
                self.schedule(t + 30 * SEC, A_READY, -1, a)  # a supervisor puts it back
            elif st == NOT_READY and ev.reason == "break" and ev.cause != Cause.LOGIN:
                self.schedule(t + self.rand_range(60 * SEC, 300 * SEC), A_READY, -1, a)
        elif typ == EV["AGENT_PENDING"]:
            self.apending[int(ev.agent[1:])] = int(ev.state) != READY
        elif typ in WAITING_EVENTS:
            x[2] = ST_WAITING
            x[0] += 1
        elif typ == EV["CONTACT_OFFERED"]:
            x[2] = ST_OFFERED
            x[0] += 1
            a = int(ev.agent[1:])
            x[1] = a
            p = self.rnd(1000)
            if p < P_NO_ANSWER:
                pass  # let it ring: the engine withdraws it at the ring timeout
            elif p < P_NO_ANSWER + P_REJECT:
                self.schedule(t + self.rand_range(1 * SEC, 3 * SEC), A_REJECT, c, a)
            else:
                self.schedule(t + self.rand_range(1 * SEC, 4 * SEC), A_ACCEPT, c, a)
        elif typ == EV["OFFER_WITHDRAWN"]:
            # Back at its place (no QUEUED event for that), or about to end.
            x[2] = ST_AFTER if int(ev.cause) in GONE_CAUSES else ST_WAITING
            x[0] += 1
            x[1] = -1
            if ev.cause == Cause.RING_TIMEOUT:
                self.tally["ring_timeouts"] += 1
        elif typ == EV["CONTACT_CONNECTED"]:
            x[2] = ST_CONNECTED
            x[0] += 1
            self.on_connected(c, x, t)
        elif typ == EV["CONTACT_HELD"]:
            x[3] |= F_HELD
        elif typ == EV["CONTACT_RESUMED"]:
            x[3] &= ~F_HELD
        elif typ == EV["CONVERSATION_ENDED"]:
            a = x[1]
            x[2] = ST_AFTER
            x[0] += 1
            if self.rnd(1000) < P_WRAP_EARLY:
                self.schedule(t + 1 * SEC, A_WRAP_END, c, a)
            if self.rnd(1000) < P_BREAK:
                self.schedule(t, A_BREAK, -1, a)
        elif typ == EV["CONTACT_TRANSFERRED"]:
            x[2] = ST_AFTER
            x[0] += 1
            x[3] = (x[3] | F_TRANSFERRED) & ~F_HELD
        elif typ == EV["CONTACT_ENDED"]:
            if x[2] == ST_ENDED:
                self.dup_ended += 1
            x[2] = ST_ENDED
            x[0] += 1
            self.ended += 1
            self.live -= 1
            o = int(ev.outcome)
            self.outcome[o] = self.outcome.get(o, 0) + 1

    def drain(self):
        # react() may schedule, never call the engine: the list does not grow meanwhile.
        recs = self.recs
        if recs:
            self.recs = []
            for ev in recs:
                self.react(ev)

    # -- calling the engine ---------------------------------------------------------------

    def enqueue(self, n):
        self.cs[n] = [0, -1, ST_NEW, 0]
        self.api(self.e.enqueue, "c%d" % n, self.qid[self.rnd(N_QUEUES)], self.now)
        self.enqueued += 1
        self.live += 1
        if self.live > self.live_peak:
            self.live_peak = self.live

    def perform(self, kind, c, a, seq):
        e, now, tally = self.e, self.now, self.tally
        x = self.cs[c] if c >= 0 else None
        fresh = x is not None and x[0] == seq
        cid = "c%d" % c
        if kind == A_ACCEPT:
            if fresh and x[2] == ST_OFFERED:
                self.api(e.offer_accept, self.aid[a], cid, now)
        elif kind == A_REJECT:
            if fresh and x[2] == ST_OFFERED:
                self.api(e.offer_reject, self.aid[a], cid, now)
                tally["rejects"] += 1
        elif kind == A_ABANDON:  # the caller's patience: valid whenever not yet answered
            if x[2] == ST_WAITING or x[2] == ST_OFFERED:
                self.api(e.contact_abandon, cid, now)
                tally["abandons"] += 1
        elif kind == A_END:
            if fresh and x[2] == ST_CONNECTED:
                self.api(e.contact_end, cid, now=now)
        elif kind == A_XFER_AGENT or kind == A_XFER_QUEUE:
            if not (fresh and x[2] == ST_CONNECTED):
                return
            if kind == A_XFER_AGENT:
                b = self.rnd(N_AGENTS)
                if b == x[1]:
                    b = (b + 1) % N_AGENTS
                try:
                    self.api(e.contact_transfer, cid, agent=self.aid[b], now=now)
                    tally["transfers_agent"] += 1
                    return
                except ccenter.CapacityError:
                    # Busy: refused, and by the error rule nothing changed. To a queue.
                    self.refused += 1
            self.api(e.contact_transfer, cid, queue=self.qid[self.rnd(N_QUEUES)], now=now)
            tally["transfers_queue"] += 1
        elif kind == A_HOLD:
            if fresh and x[2] == ST_CONNECTED and not x[3] & F_HELD:
                self.api(e.contact_hold, cid, now)
                tally["holds"] += 1
        elif kind == A_RESUME:
            if fresh and x[2] == ST_CONNECTED and x[3] & F_HELD:
                self.api(e.contact_resume, cid, now)
        elif kind == A_WRAP_END:
            if fresh and x[2] == ST_AFTER:
                self.api(e.wrap_up_end, self.aid[a], cid, now)
                tally["wrap_ups_ended_early"] += 1
        elif kind == A_BREAK:
            if self.astate[a] == READY and not self.apending[a]:
                self.api(e.agent_not_ready, self.aid[a], "break", now)
                tally["breaks"] += 1
        elif kind == A_READY:
            if self.astate[a] == NOT_READY:
                self.api(e.agent_ready, self.aid[a], now)

    # -- setup and the timed loop ---------------------------------------------------------

    def setup(self):
        e, t = self.e, self.now
        for q in range(N_QUEUES):
            wrap = (0, 3 * SEC, 8 * SEC)[q % 3]
            kw = {"max_wait": 120 * SEC} if q % 5 == 0 else {}
            e.add_queue(self.qid[q], now=t, wrap_up=wrap, **kw)
        for a in range(N_AGENTS):
            served = []
            for _ in range(2 + self.rnd(3)):
                q = self.rnd(N_QUEUES)
                while q in served:
                    q = self.rnd(N_QUEUES)
                served.append(q)
            e.add_agent(self.aid[a], now=t, queues=[self.qid[q] for q in served])
            e.agent_login(self.aid[a], t)
            e.agent_ready(self.aid[a], t)
        self.drain()
        if any(s != READY for s in self.astate):
            raise Failed("an agent is not READY after setup")
        self.events = 0

    def run(self):
        e = self.e
        inf = math.inf
        mean_gap_ms = MEAN_HANDLE_MS / (LOAD * N_AGENTS)
        next_contact, next_arrival = 0, self.now
        heap, pop = self.heap, heapq.heappop
        t0, c0 = time.perf_counter_ns(), time.process_time_ns()
        while True:
            ta = heap[0][0] if heap else inf
            tn = next_arrival if next_contact < self.n_contacts else inf
            td = e.next_deadline
            self.queries += 1
            if td is None:
                if ta == inf and tn == inf:
                    break
                td = inf
            if td < ta and td < tn:
                self.now = td
                self.api(e.advance, td)
            elif tn <= ta:
                self.now = tn
                n = next_contact
                next_contact += 1
                self.enqueue(n)
                if self.rnd(1000) < P_IMPATIENT:
                    self.schedule(tn + self.rand_range(500, 5 * SEC), A_ABANDON, n, -1)
                u = 1.0 - self.rng.random()  # (0, 1]: log() never sees 0
                next_arrival = tn + int(-math.log(u) * mean_gap_ms)
            else:
                at, _, kind, c, a, seq = pop(heap)
                self.now = at
                self.perform(kind, c, a, seq)
            self.drain()
        self.wall_ns = time.perf_counter_ns() - t0
        self.cpu_ns = time.process_time_ns() - c0

    def check(self):
        if self.ended != self.enqueued or self.dup_ended or self.live != 0:
            raise Failed("conservation broken: enqueued %d, ended %d (%d twice)"
                         % (self.enqueued, self.ended, self.dup_ended))
        if self.enqueued != self.n_contacts:
            raise Failed("not every contact was enqueued")
        if self.order_errors:
            raise Failed("events out of time order")
        if self.e.next_deadline is not None:
            raise Failed("timers left armed after every contact ended")

    def report(self, statistics):
        secs, cpu = self.wall_ns / 1e9, self.cpu_ns / 1e9
        lat = sorted(self.lat)
        mean = sum(lat) / len(lat) if lat else 0.0
        out = {"scenario": "py_churn", "statistics": statistics, "agents": N_AGENTS,
               "queues": N_QUEUES, "contacts": self.n_contacts,
               "ops_per_s": self.events / secs, "calls_per_s": self.calls / secs,
               "contacts_per_s": self.n_contacts / secs,
               "mean_ns": mean, "p50_ns": percentile(lat, 50), "p99_ns": percentile(lat, 99),
               "events": self.events, "calls": self.calls, "queries": self.queries,
               "seconds": secs, "cpu_seconds": cpu, "ops_per_cpu_s": self.events / cpu,
               "api_share": mean * self.calls / self.wall_ns,
               "virtual_hours": (self.now - T0) / 3.6e6, "live_peak": self.live_peak}
        for o in ccenter.Outcome:
            if o.name in ("HANDLED", "ABANDONED", "TIMED_OUT", "REMOVED"):
                out[o.name.lower()] = self.outcome.get(int(o), 0)
        out.update(self.tally)
        out["transfers_refused"] = self.refused
        out["clock_ns"] = self.clk
        out["python"] = sys.version.split()[0]
        # %.4g like ccenter-bench's doubles.
        print(json.dumps({k: float("%.4g" % v) if isinstance(v, float) else v
                          for k, v in out.items()}, separators=(",", ":")))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="20,000 contacts (smoke test)")
    ap.add_argument("--contacts", type=int, help="contacts in the timed loop (200,000)")
    ap.add_argument("--no-stats", action="store_true", help="engine without statistics")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    n = args.contacts or (20000 if args.quick else 200000)
    if n <= 0:
        ap.error("--contacts must be positive")
    s = Churn(n, args.seed, not args.no_stats)
    try:
        s.setup()
        try:
            s.run()
        except ccenter.Error as exc:
            raise Failed("%s at t=%d" % (exc, s.now - T0)) from exc
        s.check()
    except Failed as exc:
        print("py_churn: %s" % exc, file=sys.stderr)
        return 1
    finally:
        s.e.close()
    s.report(not args.no_stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
