"""Bad input to staffing, calendars, workflows, cases and the store: a clear Python
exception, never a crash. Well under a second."""
import datetime as dt

import pytest

import ccenter
from ccenter import staffing as s
from ccenter.calendar import Calendar
from ccenter.workflow import CaseEngine, Workflow, verify_audit
from test_workflow import MS0, fraud


@pytest.mark.parametrize("call", [
    lambda: s.erlang_b(None, 3), lambda: s.erlang_b("10", 3), lambda: s.erlang_b(1, 2.5),
    lambda: s.erlang_b(1, True), lambda: s.erlang_c(10, None),
    lambda: s.erlang_c_metrics(10, 14, "180"), lambda: s.solve(None, 180),
    lambda: s.solve(10, 180, shrinkage=None), lambda: s.agents_needed([1, None], 180),
])
def test_staffing_types(call):
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("call", [
    lambda: s.erlang_b(1, -1), lambda: s.erlang_c_metrics(10, 14, -180),
    lambda: s.erlang_c_metrics(10, 14, 180, dt.timedelta(seconds=-1)),
    lambda: s.solve(10, 180, patience=-5), lambda: s.traffic(-1, 180),
    lambda: s.traffic(1, 180, 0), lambda: s.erlang_b(-1.0, 3),
])
def test_staffing_values(call):
    with pytest.raises(ValueError):
        call()


def test_calendar_bad_input():
    c = Calendar("X")
    for bad in (None, 5, b"\0"):
        with pytest.raises((TypeError, ValueError)):
            Calendar(bad)
    with pytest.raises(ccenter.InvalidArgument):
        Calendar("has space")
    with pytest.raises(ccenter.InvalidArgument):
        Calendar("x" * 1000)
    with pytest.raises(TypeError):
        c.is_open(None)
    with pytest.raises(TypeError):
        c.is_open(1.5)
    with pytest.raises(ValueError):
        c.add_business_time(0, -1)
    with pytest.raises(ccenter.InvalidArgument):
        c.add_business_days(0, -1)
    with pytest.raises(TypeError):
        c.add_business_days(0, "1")
    with pytest.raises(ValueError):
        c.add_holiday("2026-02-30")
    with pytest.raises(TypeError):
        c.add_holiday(20260101)
    with pytest.raises(ValueError):
        c.add_hours("funday", 0, 1)
    with pytest.raises(ccenter.InvalidArgument):
        c.add_hours(9, 0, 1)
    with pytest.raises(ccenter.OutOfRange):
        c.is_open(10 ** 17)
    with pytest.raises(ccenter.InvalidArgument):
        c.business_time_between(10, 0)
    with pytest.raises(TypeError):
        Calendar.parse(None)
    with pytest.raises(ValueError):
        Calendar.parse("calendar X\0")


def test_workflow_bad_input():
    with pytest.raises(TypeError):
        Workflow(None)
    with pytest.raises(ccenter.InvalidArgument):
        Workflow("a b")
    w = Workflow("w")
    with pytest.raises(ValueError):
        w.add_field("f", "colour")
    with pytest.raises(TypeError):
        w.add_field(3, "int")
    with pytest.raises(ValueError):
        w.set_golden(-1)
    w.add_state("A", initial=True).add_state("B", final="X").add_transition("t", "A", "B", "r")
    with pytest.raises(ccenter.ParseError):
        w.add_guard("t", "nosuchfield > 3")
    with pytest.raises(ccenter.OutOfRange):
        w.add_limit("t", "f", 0)
    with pytest.raises(ValueError):
        w.add_timer("tm", "A", ccenter.TimerClock.ELAPSED, -5)
    with pytest.raises(TypeError):
        w.add_timer("tm", "A", ccenter.TimerClock.DAYS, dt.timedelta(days=1))
    with pytest.raises(ValueError):
        w.add_timer("tm", "A", 99, 5)


def test_cases_bad_input():
    ce = CaseEngine(MS0, workflows=[fraud()], actors={"a1": "agent"})
    c = ce.open("c1", "fraud", "a1", MS0)
    with pytest.raises(TypeError):
        ce.open(None, "fraud", "a1", MS0)
    with pytest.raises(TypeError):
        ce.open(5, "fraud", "a1", MS0)
    with pytest.raises(ccenter.InvalidArgument):
        ce.open("x" * 5000, "fraud", "a1", MS0)
    with pytest.raises(ccenter.AlreadyExists):
        ce.open("c1", "fraud", "a1", MS0)
    with pytest.raises(ccenter.NotFound):
        ce.open("c2", "nope", "a1", MS0)
    with pytest.raises(ccenter.TimeWentBack):
        ce.open("c2", "fraud", "a1", MS0 - 1)
    with pytest.raises(TypeError):
        c.set("note", 1.5, "a1", MS0)
    with pytest.raises(ccenter.InvalidArgument):
        c.set("note", 5, "a1", MS0)  # an int to a text field
    with pytest.raises(ccenter.InvalidArgument):
        c.set("amount", ("5", "GBP"), "a1", MS0) if False else c.set("amount", (5, "gbp"), "a1", MS0)
    with pytest.raises(ccenter.NotFound):
        c["note"]  # not set
    with pytest.raises(TypeError):
        c.transition("stop", "a1", MS0, evidence=["police_ref"])
    with pytest.raises(TypeError):
        c.transition("stop", "a1", MS0, evidence={"police_ref": None})
    with pytest.raises(TypeError):
        ce.set_actor("x", 5, MS0)
    with pytest.raises(ccenter.InvalidArgument):
        ce.set_actor(ccenter.workflow.SYSTEM_ACTOR, "agent", MS0)
    with pytest.raises(TypeError):
        CaseEngine(MS0, on_event=5)
    with pytest.raises(TypeError):
        CaseEngine(MS0, audit_key=5)
    with pytest.raises(ValueError):
        CaseEngine(MS0, audit_key=b"")
    with pytest.raises(TypeError):
        verify_audit("one string")
    with pytest.raises(TypeError):
        verify_audit([None])
    with pytest.raises(TypeError):
        verify_audit([], head=(1, b"x"))
    assert verify_audit([]) == 0


def test_store_bad_input(tmp_path):
    for bad in (None, 5):
        with pytest.raises(TypeError):
            ccenter.Store(bad)
    with ccenter.open_store(tmp_path / "b.db") as st:
        with pytest.raises(TypeError):
            st.cases_new(None, MS0)
        with pytest.raises(TypeError):
            st.cases_new("x")  # no now, no clock
        with pytest.raises(ValueError):
            st.set_retention(-1)
        with pytest.raises(TypeError):
            st.set_retention("2")
        with pytest.raises(ValueError):
            st.set_durability(ccenter.Durability.GROUPED, max_ms=-1)
        with pytest.raises(TypeError):
            st.verify(key=5)
