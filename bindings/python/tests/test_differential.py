"""The bindings make the same decisions as the C API on the same inputs.

A seeded random workload drives an Engine through the bindings (queues, agents with
priorities, logins, not-ready, calls with priorities and customers, offers accepted or
rejected, holds, transfers, ends, abandons, wrap-ups, time passing so ring timeouts and
wrap-ups fire), choosing each call from the events seen so far, and writes every call down
as a script line. The script then runs through diff_driver (C, the same calls through the
C API; its path comes in CCENTER_DIFF_DRIVER). Every call's result and every event, with
every field, must print the same in both.
"""
import os
import random
import subprocess

import pytest

import ccenter
from ccenter._native import ffi, lib

DRIVER = os.environ.get("CCENTER_DIFF_DRIVER")


def s(x):
    return "-" if x is None else x


def ev_line(ev):
    return ("ev %s %d %s a=%s c=%s q=%s qt=%s at=%s r=%s cu=%s ch=%d st=%d ps=%d o=%d p=%d "
            "pr=%d pos=%d op=%d step=%d sc=%d sv=%d w=%d d=%d ewt=%d rt=%d th=%d se=%d" % (
                ffi.string(lib.ccenter_event_name(int(ev.type))).decode(), ev.time,
                ffi.string(lib.ccenter_cause_name(int(ev.cause))).decode(), s(ev.agent),
                s(ev.contact), s(ev.queue), s(ev.queue_to), s(ev.agent_to), s(ev.reason),
                s(ev.customer), int(ev.channel), int(ev.state), int(ev.prev_state),
                int(ev.outcome), int(ev.party), ev.priority, ev.position, ev.orig_position,
                ev.step, ev.score, ev.serving, ev.wait_ms, ev.duration_ms, ev.ewt_ms,
                ev.ring_timeout_ms, ev.threshold_ms, ev.session_ms))


def run_python(seed, steps):
    rnd = random.Random(seed)
    out, script = [], []
    offered, talking, wrapping = {}, {}, {}
    t = 1_772_442_000_000

    def on_event(ev):
        out.append(ev_line(ev))
        name = ev.type.name
        if name == "CONTACT_OFFERED":
            offered[ev.contact] = ev.agent
        elif name == "OFFER_WITHDRAWN":
            offered.pop(ev.contact, None)
        elif name == "CONTACT_CONNECTED":
            offered.pop(ev.contact, None)
            talking[ev.contact] = ev.agent
        elif name == "CONVERSATION_ENDED":
            talking.pop(ev.contact, None)
            wrapping[ev.contact] = ev.agent
        elif name == "WRAP_UP_ENDED":
            wrapping.pop(ev.contact, None)
        elif name == "CONTACT_ENDED":
            offered.pop(ev.contact, None)
            talking.pop(ev.contact, None)

    def call(op, args, fn):
        script.append(" ".join([str(t), op] + [s(a) for a in args]))
        try:
            fn()
            rc = 0
        except ccenter.Error as e:
            rc = e.code
        out.append("rc %s %d" % (op, rc))

    with ccenter.Engine(t, on_event=on_event) as e:
        queues = ["q0", "q1"]
        agents = ["a%d" % i for i in range(5)]
        for q in queues:
            call("queue", [q], lambda q=q: e.add_queue(q, now=t))
        for a in agents:
            call("agent", [a], lambda a=a: e.add_agent(a, now=t))
            for q in queues:
                pr = rnd.randint(-2, 2)
                call("serve", [a, q, str(pr)], lambda a=a, q=q, pr=pr: e.agent_serve(a, q, t, priority=pr))
            call("login", [a], lambda a=a: e.agent_login(a, t))
            call("ready", [a], lambda a=a: e.agent_ready(a, t))
        n = 0
        for _ in range(steps):
            t += rnd.randint(0, 9000)
            r = rnd.random()
            if r < 0.25:
                c, q, pr = "c%d" % n, rnd.choice(queues), rnd.randint(0, 5)
                cu = rnd.choice([None, "k1", "k2", "k3"])
                n += 1
                call("enqueue", [c, q, str(pr), cu],
                     lambda c=c, q=q, pr=pr, cu=cu: e.enqueue(c, q, t, priority=pr, customer=cu))
            elif r < 0.45 and offered:
                c = rnd.choice(sorted(offered))
                a = offered[c]
                if rnd.random() < 0.8:
                    call("accept", [a, c], lambda a=a, c=c: e.offer_accept(a, c, t))
                else:
                    call("reject", [a, c], lambda a=a, c=c: e.offer_reject(a, c, t))
            elif r < 0.6 and talking:
                c = rnd.choice(sorted(talking))
                k = rnd.random()
                if k < 0.6:
                    call("end", [c], lambda c=c: e.contact_end(c, "customer", t))
                elif k < 0.75:
                    call("hold", [c], lambda c=c: e.contact_hold(c, t))
                elif k < 0.9:
                    call("resume", [c], lambda c=c: e.contact_resume(c, t))
                else:
                    q = rnd.choice(queues)
                    call("transfer", [c, q], lambda c=c, q=q: e.contact_transfer(c, queue=q, now=t))
            elif r < 0.7 and wrapping:
                c = rnd.choice(sorted(wrapping))
                a = wrapping.pop(c)
                call("wrapend", [a, c], lambda a=a, c=c: e.wrap_up_end(a, c, t))
            elif r < 0.75 and n:
                c = "c%d" % rnd.randrange(n)
                call("abandon", [c], lambda c=c: e.contact_abandon(c, t))
            elif r < 0.8:
                a = rnd.choice(agents)
                if rnd.random() < 0.5:
                    reason = rnd.choice([None, "lunch"])
                    call("notready", [a, reason], lambda a=a, reason=reason: e.agent_not_ready(a, reason, t))
                else:
                    call("ready", [a], lambda a=a: e.agent_ready(a, t))
            else:
                call("advance", [], lambda: e.advance(t))
    return script, out


@pytest.mark.skipif(not DRIVER, reason="CCENTER_DIFF_DRIVER not set (run through meson)")
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_same_decisions_as_the_c_api(seed):
    script, py_out = run_python(seed, 1500)
    p = subprocess.run([DRIVER], input="\n".join(script) + "\n", capture_output=True,
                       text=True, timeout=60, check=True)
    c_out = p.stdout.splitlines()
    for i, (a, b) in enumerate(zip(py_out, c_out)):
        assert a == b, "line %d differs:\n  python: %s\n  C:      %s" % (i, a, b)
    assert len(py_out) == len(c_out)
    # The workload did what it is for: offers answered, conversations, many events.
    text = "\n".join(py_out)
    assert text.count("rc accept 0") > 50 and text.count("ev CONTACT_ENDED") > 50
    assert len(py_out) > 3000
