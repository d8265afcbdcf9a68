"""Memory: engines created and freed, and contacts through one engine, do not grow the
process (RSS from /proc/self/statm after a warm-up): 100,000 engines, 100,000 contacts.
Measured: 15 s with other builds and a CI run on the machine; the meson timeout (180 s)
gives ample room for a loaded 2-core machine."""
import gc
import os

import ccenter

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def engines(n):
    for i in range(n):
        with ccenter.Engine(i, on_event=lambda ev: None) as e:
            e.add_queue("q", {"i": i}, i)


def contacts(e, start, n):
    t = e.now
    for i in range(start, start + n):
        t += 10
        c = e.enqueue("c%d" % i, "q", t, user_data=[i])
        e.offer_accept("a", c, t + 1)
        e.contact_end(c, "agent", t + 2)
    return t


def test_engines_do_not_leak():
    engines(5000)
    before = rss()
    engines(100000)
    grown = rss() - before
    assert grown < 4 * 1024 * 1024, grown


def test_contacts_do_not_leak():
    with ccenter.Engine(0, on_event=lambda ev: None, statistics=False) as e:
        e.add_queue("q", now=0)
        a = e.add_agent("a", now=0, queues=["q"])
        a.login(0)
        a.ready(0)
        contacts(e, 0, 10000)
        before = rss()
        contacts(e, 10000, 100000)
        grown = rss() - before
        assert not e._ud and not e._tokens
    assert grown < 4 * 1024 * 1024, grown
