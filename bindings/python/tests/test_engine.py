"""Every public method of Engine, Queue, Agent and Contact against the C engine's rules."""
import datetime as dt

import pytest

import ccenter
from ccenter import AgentState, Channel, ContactState, EventType, Party


@pytest.fixture
def e():
    evs = []
    with ccenter.Engine(0, on_event=evs.append) as eng:
        eng.seen = evs
        yield eng


def staffed(e, n=1, **queue_settings):
    q = e.add_queue("q", "Q", 0, **queue_settings)
    agents = []
    for i in range(n):
        a = e.add_agent("a%d" % i, i, 0, queues=[q])
        a.login(0)
        a.ready(0)
        agents.append(a)
    return q, agents


def types(e):
    return [ev.type for ev in e.seen]


def test_context_manager_and_close():
    with ccenter.Engine(5) as eng:
        assert eng.now == 5 and not eng.closed
    assert eng.closed
    eng.close()  # twice is fine
    with pytest.raises(ccenter.Closed):
        eng.add_queue("q", now=6)
    with pytest.raises(ccenter.Closed):
        eng.now


def test_clock_and_datetimes():
    t = [1000]
    eng = ccenter.Engine(clock=lambda: t[0])
    assert eng.now == 1000
    q = eng.add_queue("q")
    t[0] = 2000
    eng.enqueue("c", q)
    assert eng.contact_info("c").enqueued_at == 2000
    eng.advance(dt.datetime(1970, 1, 1, 0, 0, 3))
    assert eng.now == 3000
    eng.close()
    with pytest.raises(TypeError):
        ccenter.Engine()  # no now, no clock


def test_settings_as_keywords():
    eng = ccenter.Engine(0, seed=7, reject_delay=dt.timedelta(seconds=2), max_no_answer=0)
    eng.set(1, stats_interval=60000)
    with pytest.raises(TypeError):
        ccenter.Engine(0, no_such_setting=1)
    with pytest.raises(ccenter.OutOfRange):
        eng.set(1, ewt_samples=1)
    eng.close()


def test_queue_methods(e):
    q = e.add_queue("q", {"k": 1}, 0, strategy="ring_all", ring_timeout=dt.timedelta(seconds=3),
                    wrap_up=None, steps=[("cards >= 2", 1000)], thresholds=[10000, 30000])
    r = e.add_queue("r", now=0)
    assert q.get("ring_timeout") == 3000 and q.get(ccenter.QueueOption.WRAP_UP) == -1
    assert q.get("strategy") is ccenter.Strategy.RING_ALL
    q.set(1, max_length=5, max_wait=60000, max_wait_action="overflow")
    q.set_overflow(r, 1)
    q.set_overflow(None, 1)
    q.add_step("", 500, 1)
    q.clear_steps(1)
    q.set_thresholds([], 1)
    assert q.settings()["max_length"] == 5
    assert q.info(1).waiting == 0 and q.user_data == {"k": 1}
    q.user_data = "new"
    assert q.user_data == "new" and e.user_data(q) == "new"
    assert set(e.queues()) == {q, r} and e.queue("q") == q
    with pytest.raises(ccenter.AlreadyExists):
        e.add_queue("q", now=2)
    with pytest.raises(ccenter.ParseError):
        e.add_queue("bad", now=2, steps=[("cards >=", 100)])
    assert "bad" not in [x.id for x in e.queues()]
    with pytest.raises(ccenter.NotFound):
        e.queue_info("bad", 2)
    e.enqueue("c", q, 3)
    with pytest.raises(ccenter.Busy):
        q.remove(now=4)
    q.remove(drain_to=r, now=4)
    assert EventType.QUEUE_MOVED in types(e) and e.queues() == [r]


def test_agent_methods(e):
    q, (a,) = staffed(e)
    assert a.info(0).state is AgentState.READY and a.user_data == 0
    a.set_skill("cards", 5, 1)
    a.set_attr("language", "en", 1)
    a.set_attr("language", None, 1)
    a.set_capacity(Channel.CHAT, 2, 1)
    a.set_capacity("email", 0, 1)
    a.set_overlap("voice", "chat", True, 1)
    a.set_wrap_up(dt.timedelta(seconds=1), 1)
    a.set_wrap_up(None, 1)
    a.serve(q, 1, priority=3, delay=0, reserve=False)
    a.unserve(q, 1)
    a.serve(q, 1)
    a.not_ready("lunch", 2)
    info = a.info(3)
    assert info.state is AgentState.NOT_READY and info.reason == "lunch" and info.state_ms == 1
    a.ready(3)
    a.logout(4)
    with pytest.raises(ccenter.StateError):
        a.logout(5)
    a.remove(5)
    assert e.agents() == []
    with pytest.raises(ccenter.NotFound):
        a.login(6)
    assert e.skill_info("cards", 6).agents == 0


def test_contact_lifecycle(e):
    q, (a, b) = staffed(e, 2, wrap_up=1000)
    c = e.enqueue("c", q, 10, user_data="C", priority=5, customer="cu", attrs={"lang": "en"},
                  channel="voice", preferred=[b], preferred_timeout=100)
    info = c.info(10)
    assert info.state is ContactState.OFFERED and info.agent == "a1" and info.customer == "cu"
    assert c.attr("lang") == "en" and c.attr("none") is None and c.user_data == "C"
    c.accept(b, 20)
    c.hold(30)
    c.resume(40)
    c.disposition("sale", 50)
    c.survey(90, 50)
    c.consult(a, 60)
    a.accept(c, 61)
    c.consult_cancel(62)
    c.end(Party.CUSTOMER, 100)
    assert c.info(100).state is ContactState.WRAP_UP
    b.wrap_up_extend(c, 500, 200)
    b.wrap_up_end(c, 300)
    ended = [ev for ev in e.seen if ev.type == EventType.CONTACT_ENDED]
    assert len(ended) == 1 and ended[0].contact_data == "C"
    assert ended[0].outcome is ccenter.Outcome.HANDLED
    assert e._ud.get(1) is None or "C" not in e._ud.values()  # released
    with pytest.raises(ccenter.NotFound):
        c.info(400)


def test_transfers_requeue_callback(e):
    q, (a, b) = staffed(e, 2)
    r = e.add_queue("r", now=0)
    c = e.enqueue("c", q, 1)
    holder = e.contact_info(c, 1).agent
    other = b if holder == "a0" else a
    e.offer_accept(holder, c, 2)
    c.transfer(agent=other, now=3)
    other.accept(c, 4)
    c.transfer(queue=r, now=5)
    assert c.info(5).queue == "r"
    with pytest.raises(TypeError):
        c.transfer(now=6)
    d = e.enqueue("d", q, 6)
    who = d.info(6).agent
    e.agent(who).reject(d, 7)
    w = d.info(7).agent
    e.offer_accept(w, d, 8)
    d.requeue(9)
    assert EventType.CONTACT_REQUEUED in types(e)
    x = e.enqueue("x", r, 10)
    x.callback(11)
    assert x.info(11).is_callback
    x.remove(12)
    y = e.enqueue("y", r, 13)
    y.abandon(14)
    z = e.enqueue("z", q, 15)
    if z.info(15).state is ContactState.OFFERED:
        e.offer_missed(z.info(15).agent, z, 16)


def test_consult_complete(e):
    q, (a, b) = staffed(e, 2)
    c = e.enqueue("c", q, 1)
    first = e.agent(c.info(1).agent)
    second = b if first == a else a
    first.accept(c, 2)
    e.consult_start(c, second, 3)
    second.accept(c, 4)
    e.consult_complete(c, 5)
    assert c.info(5).agent == second.id
    assert EventType.CONTACT_TRANSFERRED in types(e)


def test_advance_and_deadline(e):
    q, (a,) = staffed(e, 1, ring_timeout=1000)
    seen = []
    e.set_deadline_hook(seen.append)
    assert seen == [None]
    e.enqueue("c", q, 10)
    assert e.next_deadline == 1010 and seen[-1] == 1010
    e.advance(1010)
    assert EventType.OFFER_WITHDRAWN in types(e)
    e.set_deadline_hook(None)
    with pytest.raises(ccenter.TimeWentBack):
        e.advance(5)
