"""Workflows and the case engine: a definition built in Python and its text, the shipped
templates, cases with fields, evidence, dual control, limits, timers, statistics, events
pulled and by callback (a callback's exception raised from the call), the audit chain.
Well under a second."""
import datetime as dt

import pytest

import ccenter
from ccenter.workflow import (CaseEngine, CaseEventType as T, CountKind, Money, Result,
                              TimerClock, TimerExpiry, Workflow, verify_audit)

H = 3600 * 1000
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
MS0 = int(T0.timestamp() * 1000)


def fraud():
    w = (Workflow("fraud")
         .add_field("amount", "money").add_field("account", ccenter.FieldType.ACCOUNT)
         .add_field("urgent", "flag").add_field("note", "text")
         .add_state("OPEN", initial=True).add_state("STOPPED", contained=True)
         .add_state("DONE", final="RECOVERED").add_state("LAPSED", final="LAPSED")
         .add_transition("stop", "OPEN", "STOPPED", "agent")
         .add_guard("stop", "urgent").require_evidence("stop", "police_ref")
         .add_action("stop", "place_stop", dt.timedelta(hours=1))
         .add_limit("stop", "account", 1)
         .add_transition("close", ["STOPPED"], "DONE", "agent")
         .set_dual("close", "supervisor", 2 * H)
         .add_transition("lapse", "*", "LAPSED")
         .set_golden(dt.timedelta(hours=1))
         .add_timer("lapse_48h", "OPEN", TimerClock.ELAPSED, 48 * H,
                    TimerExpiry.TRANSITION, "lapse", deadline=True)
         .timer_warn("lapse_48h", H))
    w.check()
    return w


def engine(**kw):
    return CaseEngine(T0, workflows=[fraud()], actors={"a1": "agent", "a2": "agent",
                                                       "s1": ["supervisor"]}, **kw)


def test_definition_text_and_templates():
    w = fraud()
    assert Workflow.parse(w.text()).text() == w.text()
    assert "digraph" in w.dot()
    assert set(ccenter.templates()) >= {"us-reg-e", "uk-app-scam", "cn-telecom-fraud",
                                        "cn-loss-report"}
    for name in ccenter.templates():
        t = ccenter.load_template(name)
        t.check()
        assert Workflow.parse(t.text(), name).name == t.name
    with pytest.raises(ccenter.ParseError) as ei:
        Workflow.parse("workflow x\nstate A initial\nbogus\n", "x.wf")
    assert "x.wf:3" in str(ei.value)
    incomplete = Workflow("half").add_state("A")
    with pytest.raises(ccenter.ParseError):
        incomplete.check()
    with pytest.raises(ccenter.InvalidArgument):
        Workflow("w").add_state("A").add_transition("t", "A", "NOWHERE", "r")


def test_case_life_pulled_events():
    with engine() as ce:
        c = ce.open("c1", "fraud", "a1", T0, data="mine")
        assert "c1" in ce and len(ce) == 1 and ce.open_count == 1
        c.set("amount", Money(5000, "GBP"), "a1", T0).set("account", "ACC1", "a1", T0)
        c.set("note", "hi", "a1", T0)
        assert c["amount"] == Money(5000, "GBP") and c["account"] == "ACC1"
        with pytest.raises(ccenter.ConditionNotMet):
            c.transition("stop", "a1", T0, evidence={"police_ref": "P1"})
        c.set("urgent", True, "a1", T0)
        assert c["urgent"] == 1
        with pytest.raises(ccenter.ConditionNotMet):
            c.transition("stop", "a1", T0)  # no evidence
        with pytest.raises(ccenter.PermissionDenied):
            c.transition("stop", "s1", T0, evidence={"police_ref": "P1"})
        t1 = T0 + dt.timedelta(minutes=10)
        assert c.transition("stop", "a1", t1, reason="stop it",
                            evidence=[("police_ref", "P1")]) is Result.TAKEN
        assert c.state == "STOPPED"
        assert c.transition("close", "a1", t1) == Result.PROPOSED
        with pytest.raises(ccenter.StateError):
            c.transition("close", "a1", t1)
        with pytest.raises(ccenter.PermissionDenied):
            c.approve("a1", t1)
        assert c.info.proposal == "close" and c.info.proposed_by == "a1"
        c.approve("s1", t1, reason="ok")
        info = c.info
        assert info.closed and info.outcome == "RECOVERED"
        assert info.contained_at == MS0 + 10 * 60000
        evs = list(ce.events())
        types = [e.type for e in evs]
        assert types[0] is T.OPENED and T.GOLDEN_MET in types and T.CLOSED in types
        assert T.ACTION in types and T.APPROVAL_NEEDED in types and T.APPROVED in types
        assert all(e.data == "mine" and e.case_id == "c1" for e in evs)
        act = next(e for e in evs if e.type is T.ACTION)
        assert act.action == "place_stop" and act.deadline == MS0 + 10 * 60000 + H
        assert ce.pending_events == 0
        st = ce.stats("fraud")
        assert (st.opened, st.closed, st.golden_met, st.approved, st.actions) == (1, 1, 1, 1, 1)
        assert ce.stat_count("fraud", CountKind.OUTCOME, "RECOVERED") == 1
        assert ce.stat_count("fraud", "transition", "stop") == 1
        # The limit: one stop per account across cases.
        d = ce.open("c2", "fraud", "a2", t1)
        d.set("urgent", 1, "a2", t1).set("account", "ACC1", "a2", t1)
        with pytest.raises(ccenter.Full):
            d.transition("stop", "a2", t1, evidence={"police_ref": "P2"})
        d.link_contact("call-1", "a2", t1)
        assert d.info.contacts == ("call-1",)
        assert d.timer_deadline("lapse_48h") == MS0 + 10 * 60000 + 48 * H
        ce.advance(d.timer_deadline("lapse_48h"))
        assert d.info.outcome == "LAPSED"
        evs = [e.type for e in ce.events()]
        assert T.TIMER_WARNING in evs and T.DEADLINE_MISSED in evs
        c.forget(t1 + dt.timedelta(days=3))
        assert "c1" not in ce and ce.memory > 0
        with pytest.raises(ccenter.NotFound):
            ce.info("c1")
    with pytest.raises(ccenter.StateError):
        ce.info("c2")


def test_reject_and_callbacks():
    got, deadlines = [], []
    ce = engine(on_event=got.append, on_deadline=deadlines.append)
    c = ce.open("c1", "fraud", "a1", MS0)
    assert got[0].type is T.OPENED and list(ce.events()) == []
    assert deadlines[-1] == MS0 + H  # the golden window ends first
    c.set("urgent", True, "a1", MS0).set("account", "A", "a1", MS0)
    c.transition("stop", "a1", MS0, evidence={"police_ref": "x"})
    c.transition("close", "a1", MS0)
    c.reject("s1", MS0, reason="no")
    assert got[-1].type is T.REJECTED and got[-1].reason == "no"
    ce.close()

    def boom(ev):
        if ev.type is T.FIELD_SET:
            raise KeyError("from the callback")
    ce = engine(on_event=boom)
    c = ce.open("c1", "fraud", "a1", MS0)
    with pytest.raises(KeyError, match="from the callback"):
        c.set("urgent", True, "a1", MS0)
    assert c["urgent"] == 1  # the call took effect; the engine goes on
    assert c.state == "OPEN" and ce.next_deadline == MS0 + H

    def reenter(ev):
        ce2.open("c9", "fraud", "a1", MS0)
    ce2 = engine(on_event=reenter)
    with pytest.raises(ccenter.CallbackError):
        ce2.open("c1", "fraud", "a1", MS0)
    assert "c9" not in ce2 and "c1" in ce2


def test_clock_and_audit():
    now = [MS0]
    lines = []
    ce = CaseEngine(clock=lambda: now[0], workflows=[fraud()], actors={"a1": "agent"},
                    audit_key="secret", on_audit=lines.append)
    c = ce.open("c1", "fraud", "a1")
    now[0] += 1000
    c.set("note", "tab\there", "a1")
    head = ce.audit_head()
    assert head.seq == len(lines) and head.hash == lines[-1].hash
    assert verify_audit(lines, "secret", head=head) == len(lines)
    assert verify_audit([r.line for r in lines], b"secret") == len(lines)
    with pytest.raises(ccenter.Corrupt) as ei:
        verify_audit(lines, b"other")
    assert ei.value.first_bad == 0
    with pytest.raises(ccenter.Corrupt) as ei:
        verify_audit(lines[:-1], "secret", head=head)
    assert ei.value.first_bad == len(lines) - 1
    cut = [r.line for r in lines]
    cut[2] = cut[2].replace("c1", "c2")
    with pytest.raises(ccenter.Corrupt) as ei:
        verify_audit(cut, "secret")
    assert ei.value.first_bad == 2
    with pytest.raises(TypeError):
        CaseEngine()
    ce.on_audit = None
    c.set("note", "y", "a1")
    assert len(lines) == head.seq


def test_templates_in_an_engine():
    with CaseEngine(T0, calendars=["us-frb-2026"], workflows=["us-reg-e"],
                    actors={"a": "agent"}) as ce:
        c = ce.open("n1", "us-reg-e", "a", T0)
        assert c.state == "INTAKE"
        c.set("notice_in_time", True, "a", T0).set("extended_case", False, "a", T0)
        assert c.transition("investigate", "a", T0) is Result.TAKEN
        assert c.info.next_deadline is not None
        with pytest.raises(ccenter.NotFound):
            ce.add_workflow("cn-telecom-fraud", T0)  # its calendar is not there
