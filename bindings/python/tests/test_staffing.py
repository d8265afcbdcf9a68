"""Staffing: the figures of docs/staffing.md's worked examples, the C functions' own
answers, vectorised calls and their errors. Runs in well under a second."""
import datetime as dt
import math

import pytest

import ccenter
from ccenter import staffing as s
from ccenter._native import ffi, lib


def test_call_centre_helper_example():
    m = s.erlang_c_metrics(10, 14, 180, 20)
    assert m.p_wait == pytest.approx(0.17413, abs=5e-6)
    assert m.service_level == pytest.approx(0.88835, abs=5e-6)
    assert m.asa_s == pytest.approx(7.836, abs=5e-4)
    assert m.occupancy == pytest.approx(10 / 14)
    m11 = s.erlang_c_metrics(10, 11, dt.timedelta(minutes=3), dt.timedelta(seconds=20))
    assert (round(m11.p_wait, 4), round(m11.service_level, 4)) == (0.6821, 0.3896)
    assert round(s.service_level(10, 13, 180), 3) == 0.796
    r = s.solve(10, 180, max_occupancy=0.85, shrinkage=0.3)
    assert (r.agents, r.staff) == (14, 20)
    r = s.solve(10, 180, max_occupancy=0.70, shrinkage=0.3)
    assert (r.agents, r.staff) == (15, 22)
    assert s.solve(2.5, 300, target_sl=0.9, threshold=0).agents == 6


def test_erlang_a_example():
    rows = s.erlang_a(10, [12, 13, 14], 180, 600, 20)
    assert [round(m.p_abandon, 4) for m in rows] == [0.0300, 0.0165, 0.0088]
    assert [round(m.service_level, 4) for m in rows] == [0.7340, 0.8376, 0.9066]
    assert s.solve(10, 180, patience=600).agents == 13
    assert s.erlang_a(10, 14, 180, math.inf).p_wait == pytest.approx(s.erlang_c(10, 14))


def test_equal_to_c():
    out = ffi.new("double *")
    for a, n in [(0.5, 1), (10, 14), (100, 120), (3.3, 0)]:
        assert lib.ccenter_erlang_b(a, n, out) == 0
        assert s.erlang_b(a, n) == out[0]
    assert lib.ccenter_erlang_c(10.0, 14, out) == 0
    assert s.erlang_c(10, 14) == out[0]
    assert s.asa(10, 14, 180) == s.erlang_c_metrics(10, 14, 180).asa_s


def test_vectorised():
    assert s.erlang_b([1, 2, 3], 3) == [s.erlang_b(a, 3) for a in (1, 2, 3)]
    assert s.erlang_c(10, range(11, 15)) == [s.erlang_c(10, n) for n in range(11, 15)]
    assert s.service_level([10, 20], [14, 24], 180) == [
        s.service_level(10, 14, 180), s.service_level(20, 24, 180)]
    rs = s.solve([10, 20], 180)
    assert [r.agents for r in rs] == [14, 24]
    table = ccenter.agents_needed([100, 0, 200], aht=180, interval=dt.timedelta(minutes=30),
                                  shrinkage=0.3)
    assert [(r.interval, r.agents, r.staff) for r in table] == [(0, 14, 20), (1, 0, 0),
                                                               (2, 24, 35)]
    assert s.traffic(100, 180, 1800) == 10
    with pytest.raises(ValueError):
        s.erlang_b([1, 2], [1, 2, 3])


def test_errors():
    with pytest.raises(ccenter.OutOfRange):
        s.erlang_c(10, 10)
    with pytest.raises(ccenter.OutOfRange):
        s.erlang_b(1, s.MAX_AGENTS + 1)
    with pytest.raises(ccenter.OutOfRange):
        s.erlang_b(s.MAX_TRAFFIC * 10, 1)
    with pytest.raises(ccenter.InvalidArgument):
        s.erlang_b(float("nan"), 3)
    with pytest.raises(ccenter.NoSolution):
        s.solve(10, 180, max_agents=12)
    with pytest.raises(ccenter.InvalidArgument):
        s.solve(10, 180, target_sl=1.5)
    with pytest.raises(ccenter.InvalidArgument):
        s.erlang_c_metrics(10, 14, 0)
