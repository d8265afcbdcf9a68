"""Events: frozen dataclasses with enums, pushed or pulled, masks, user data."""
import dataclasses

import pytest

import ccenter
from ccenter import Cause, EventType, Outcome


def scenario(e):
    q = e.add_queue("q", "QD", 0, ring_timeout=1000)
    a = e.add_agent("a", "AD", 0, queues=[q])
    a.login(0)
    a.ready(0)
    e.enqueue("c", q, 1, user_data={"n": 1}, customer="cu")
    e.advance(1001)                 # rings out: withdrawn, the agent goes on
    e.offer_accept("a", "c", 1001 + 30000)  # offered again after the reject delay?
    return q, a


def test_pushed_events_are_frozen_dataclasses():
    evs = []
    with ccenter.Engine(0, on_event=evs.append, reject_delay=0) as e:
        q = e.add_queue("q", "QD", 0, ring_timeout=1000)
        a = e.add_agent("a", "AD", 0, queues=[q])
        a.login(0)
        a.ready(0)
        e.enqueue("c", q, 1, user_data={"n": 1}, customer="cu")
        e.advance(1001)
    ev = [x for x in evs if x.type == EventType.OFFER_WITHDRAWN][0]
    assert ev.cause is Cause.RING_TIMEOUT and ev.agent == "a" and ev.agent_data == "AD"
    assert ev.contact_data == {"n": 1} and ev.queue_data == "QD" and ev.customer == "cu"
    assert ev.time == 1001
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.time = 5
    d = ev.asdict()
    assert d["type"] == EventType.OFFER_WITHDRAWN and "session_ms" in d
    assert str(ev.type) == "OFFER_WITHDRAWN"


def test_pulled_events_and_acting_inside_the_loop():
    with ccenter.Engine(0, pull_events=True) as e:
        q = e.add_queue("q", now=0)
        a = e.add_agent("a", now=0, queues=[q])
        a.login(0)
        a.ready(0)
        e.enqueue("c", q, 1, user_data="C")
        assert e.pending_events > 0
        seen = []
        for ev in e.events():
            seen.append(ev.type)
            if ev.type == EventType.CONTACT_OFFERED:
                e.offer_accept(ev.agent, ev.contact, 2)  # allowed between pulls
            elif ev.type == EventType.CONTACT_CONNECTED:
                e.contact_end(ev.contact, "agent", 3)
        assert EventType.CONTACT_ENDED in seen and e.pending_events == 0
        assert "C" not in e._ud.values()


def test_event_mask_and_modes():
    evs = []
    with ccenter.Engine(0, on_event=evs.append,
                        event_mask=[EventType.CONTACT_QUEUED, "contact_ended"]) as e:
        e.add_queue("q", now=0)
        e.add_agent("a", now=0, queues=["q"])
        e.enqueue("c", "q", 1)
        e.contact_abandon("c", 2)
    assert [x.type for x in evs] == [EventType.CONTACT_QUEUED, EventType.CONTACT_ENDED]
    assert evs[-1].outcome is Outcome.ABANDONED
    with pytest.raises(ValueError):
        ccenter.Engine(0, on_event=print, pull_events=True)
    with ccenter.Engine(0) as e:
        with pytest.raises(ccenter.StateError):
            list(e.events())
    with ccenter.Engine(0, pull_events=True, event_mask=1 << int(EventType.CONTACT_QUEUED)) as e:
        e.add_queue("q", now=0)
        e.enqueue("c", "q", 1)
        e.contact_abandon("c", 2)
        assert [x.type for x in e.events()] == [EventType.CONTACT_QUEUED]


def test_every_event_type_has_a_member():
    from ccenter._native import ffi, lib
    for t in EventType:
        assert ffi.string(lib.ccenter_event_name(t)).decode() == t.name
