"""Bad input gives a Python exception, never a crash: wrong types, None, over-long ids,
non-str ids, negative durations, out-of-range times, objects of another engine."""
import datetime as dt

import pytest

import ccenter

BAD_IDS = [None, 5, 1.5, ["x"], object(), "", "x" * 256, "a\0b", b"\xff" * 300]


@pytest.fixture
def e():
    with ccenter.Engine(0) as eng:
        eng.add_queue("q", now=0)
        eng.add_agent("a", now=0, queues=["q"])
        yield eng


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids(e, bad):
    calls = [
        lambda: e.add_queue(bad, now=1), lambda: e.add_agent(bad, now=1),
        lambda: e.enqueue(bad, "q", 1), lambda: e.enqueue("c", bad, 1),
        lambda: e.agent_login(bad, 1), lambda: e.queue_info(bad, 1),
        lambda: e.agent_info(bad, 1), lambda: e.contact_info(bad, 1),
        lambda: e.offer_accept(bad, "x", 1), lambda: e.contact_end(bad, now=1),
        lambda: e.agent_set_skill("a", bad, 3, 1), lambda: e.stats.queue(bad),
    ]
    for call in calls:
        with pytest.raises((TypeError, ValueError, ccenter.Error)):
            call()


def test_bad_values(e):
    with pytest.raises(ValueError):
        e.queue_add_step("q", "", -5, 1)
    with pytest.raises(ValueError):
        e.set_queue("q", 1, ring_timeout=dt.timedelta(seconds=-1))
    with pytest.raises(TypeError):
        e.set_queue("q", 1, ring_timeout="10")
    with pytest.raises(ValueError):
        e.set_queue("q", 1, strategy="no such strategy")
    with pytest.raises(TypeError):
        e.set_queue("q", 1, bogus=1)
    with pytest.raises(TypeError):
        e.advance(1.5)
    with pytest.raises(TypeError):
        e.advance("now")
    with pytest.raises(ccenter.OutOfRange):
        e.advance(2 ** 62)
    with pytest.raises((OverflowError, ccenter.OutOfRange)):
        e.advance(2 ** 70)
    with pytest.raises(TypeError):
        e.enqueue("c", "q", 1, priority="high")
    with pytest.raises(ccenter.InvalidArgument):
        e.enqueue("c", "q", 1, priority=10 ** 7)
    with pytest.raises(ValueError):
        e.enqueue("c", "q", 1, channel=99)
    with pytest.raises(TypeError):
        e.enqueue("c", "q", 1, attrs=[("k", "v")])
    with pytest.raises(TypeError):
        e.enqueue("c", "q", 1, attrs={"k": None})
    with pytest.raises(ValueError):
        e.agent_set_capacity("a", "voice", -1, 1)
    with pytest.raises(ccenter.OutOfRange):
        e.agent_set_skill("a", "cards", 11, 1)
    with pytest.raises(TypeError):
        e.agent_set_skill("a", "cards", "5", 1)
    with pytest.raises(TypeError):
        e.contact_survey("c", None, 1)
    with pytest.raises(TypeError):
        e.set_user_data("q", 1)
    with pytest.raises(TypeError):
        ccenter.Engine(0, on_event=5)
    with pytest.raises(TypeError):
        ccenter.Engine(0, log=5)
    with pytest.raises(ccenter.OutOfRange):
        ccenter.Engine(2 ** 62)
    with pytest.raises(TypeError):
        ccenter.Engine(None)
    # nothing above changed the engine
    assert e.queue_info("q", 1).waiting == 0 and e.now == 0


def test_objects_of_another_engine(e):
    with ccenter.Engine(0) as other:
        q = other.add_queue("q", now=0)
        with pytest.raises(ValueError):
            e.enqueue("c", q, 1)


def test_use_after_close_everywhere():
    e = ccenter.Engine(0)
    q = e.add_queue("q", now=0)
    a = e.add_agent("a", now=0)
    s = e.stats
    e.close()
    for call in (lambda: q.info(1), lambda: a.login(1), lambda: e.enqueue("c", q, 1),
                 lambda: s.queue(q), lambda: list(e.events()), lambda: e.next_deadline,
                 lambda: e.set_deadline_hook(print), lambda: q.set(1, max_length=1)):
        with pytest.raises((ccenter.Closed, ccenter.StateError)):
            call()
