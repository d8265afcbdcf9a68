"""Statistics and KPIs as dataclasses, dispositions and not-ready reasons as dicts, the
queue_log export."""
import dataclasses

import pytest

import ccenter


def run(e):
    q = e.add_queue("q", now=0, sl_threshold=20000)
    a = e.add_agent("a", now=0, queues=[q])
    a.login(0)
    a.ready(0)
    c = e.enqueue("c", q, 1000)
    a.accept(c, 6000)
    c.disposition("sale", 7000)
    c.disposition("sale", 7000)
    c.end("customer", 66000)
    e.enqueue("d", q, 70000)
    e.contact_abandon("d", 80000)
    a.not_ready("lunch", 90000)
    return q, a


def test_queue_and_agent_stats():
    with ccenter.Engine(0) as e:
        q, a = run(e)
        s = e.stats.queue(q)
        assert isinstance(s, ccenter.QueueStats)
        assert s.offered == 2 and s.answered == 1 and s.abandoned == 1
        assert s.wait_answered_ms == 5000 and len(s.survey_hist) == 11
        assert s.asa() == 5000.0 and s.aht() == 60000.0
        assert s.abandon_rate() == 0.5 and s.service_level("asterisk") == 1.0
        assert s.transfer_rate() == 0.0 and s.repeat_rate() == 0.0
        with pytest.raises(ccenter.InvalidArgument):
            s.service_level(threshold=0)  # no extra thresholds
        k = s.kpis()
        assert k["asa"] == 5000.0 and "sl_abandons_ignored" in k
        d = dataclasses.asdict(s)
        assert d["offered"] == 2 and "from_" in d
        ag = e.stats.agent(a, now=100000)
        assert ag.answered == 1 and ag.talk_ms == 60000 and ag.logins == 1
        assert 0 < ag.occupancy() <= 1 and 0 < ag.utilisation() <= 1
        assert ag.kpis()["occupancy"] == ag.occupancy()
        assert e.stats.queue_dispositions(q) == {"sale": 2}
        assert e.stats.agent_not_ready(a, now=100000) == {"lunch": 10000}
        assert e.stats.dropped == 0
        assert e.stats.interval_start(1000000) == 900000
        part = e.stats.queue(q, 0, 900000)
        assert part.offered == 2 and part.from_ == 0 and part.to == 900000
        with pytest.raises(ccenter.NotFound):
            e.stats.queue("nope")
        with pytest.raises(ccenter.InvalidArgument):
            e.stats.queue(q, 10, 10)


def test_zero_denominators_are_none():
    with ccenter.Engine(0) as e:
        e.add_queue("q", now=0)
        e.enqueue("c", "q", 1)
        s = e.stats.queue("q")
        assert s.asa() is None and s.aht() is None
        e.add_agent("a", now=1)
        e.agent_login("a", 1)
        assert e.stats.agent("a").occupancy() is None


def test_statistics_off():
    with ccenter.Engine(0, statistics=False) as e:
        e.add_queue("q", now=0)
        with pytest.raises(ccenter.NotSupported):
            e.stats.queue("q")


def test_queue_log():
    lines = []
    with ccenter.Engine(0) as e:
        ql = e.stats.attach_queue_log(lines.append, epoch_offset=1_700_000_000_000)
        run(e)
        assert ql.dropped == 0
        ql.detach()
        n = len(lines)
        e.enqueue("x", "q", 100000)
        assert len(lines) == n
    assert any("|ENTERQUEUE|" in ln for ln in lines)
    assert all(ln.startswith("17000") for ln in lines)


def test_queue_log_exception_is_raised_from_the_call():
    def bad(line):
        raise RuntimeError(line)

    with ccenter.Engine(0) as e:
        e.stats.attach_queue_log(bad)
        e.add_queue("q", now=0)
        with pytest.raises(RuntimeError):
            e.enqueue("c", "q", 1)
        # closed with the sink attached: detached first, no leak, no crash
