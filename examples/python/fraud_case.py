"""A telecom-fraud emergency case, walked through the case engine with the ccenter bindings.

Friday 9 October 2026, 09:00 in Shanghai: a victim reports a transfer of CNY 48,500 to a
"police officer". The bank opens a case of the shipped template cn-telecom-fraud (on the
CN-2026 business calendar; docs/workflows.md explains both), triages it, contains what it
can on its own side (which meets the 30-minute golden window), refers it to the police,
records the police reference, stops the receiving account on the police's instruction and
freezes it under maker-checker: agent Wang proposes the freeze, cannot approve it herself,
and supervisor Chen approves it. The police later decide that the frozen funds go back;
the return, again maker-checker, closes the case as RECOVERED. The return deadline is
3 business days on the Chinese calendar.

Each step prints the case's events, its state and its next deadline (local time). At the
end the audit chain (HMAC-SHA-256 with the bank's key) is verified against the engine's
head with ccenter.verify_audit, and the same check run on a copy with one line changed
shows where the chain breaks.

Run from the source tree after building:

    PYTHONPATH=build/bindings/python /usr/bin/python3 examples/python/fraud_case.py

The templates and calendars come from $CCENTER_DATA_DIR, else from the source tree's data/
next to this script, else from the installed share/ccenter.
"""
import datetime as dt
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DATA = os.path.join(HERE, os.pardir, os.pardir, "data")
if "CCENTER_DATA_DIR" not in os.environ and os.path.isdir(SOURCE_DATA):
    os.environ["CCENTER_DATA_DIR"] = os.path.normpath(SOURCE_DATA)

import ccenter  # noqa: E402  (after the data dir is known)
from ccenter import CaseEventType as Ev  # noqa: E402

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "CST")
T0 = dt.datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)
AUDIT_KEY = b"example bank audit key"
CASE = "CN-F-20261009-0001"
MAKER, OTHER_AGENT, CHECKER = "wang.fang", "li.wei", "chen.jun"


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def local(ms):
    if ms is None:
        return "none"
    return dt.datetime.fromtimestamp(ms / 1000, SHANGHAI).strftime("%a %d %b %Y %H:%M")


def describe(ev):
    if ev.type == Ev.OPENED:
        return "%s by %s in %s" % (ev.workflow, ev.actor, ev.to_state)
    if ev.type == Ev.STATE_CHANGED:
        return "%s -> %s by %s (%s)" % (ev.from_state, ev.to_state, ev.actor, ev.transition)
    if ev.type == Ev.ACTION:
        return "action %s due %s" % (ev.action, local(ev.deadline))
    if ev.type == Ev.APPROVAL_NEEDED:
        return "%s proposed by %s, needs a %s until %s" % (ev.transition, ev.actor, ev.role,
                                                          local(ev.deadline))
    if ev.type == Ev.APPROVED:
        return "%s approved by %s" % (ev.transition, ev.actor)
    if ev.type == Ev.FIELD_SET:
        return "field %s set by %s" % (ev.field, ev.actor)
    if ev.type == Ev.GOLDEN_MET:
        return "golden window met after %d min" % (ev.elapsed_ms // 60000)
    if ev.type == Ev.CLOSED:
        return "closed: %s" % ev.outcome
    if ev.timer is not None:
        return "timer %s, deadline %s" % (ev.timer, local(ev.deadline))
    return ev.transition or ev.role or ""


def step(ce, title):
    """Prints what the last calls did: the events they raised and the case's state."""
    print(title)
    for ev in ce.events():
        print("    %-16s %s" % (ev.type.name, describe(ev)))
    info = ce.info(CASE)
    print("    => state %s, next deadline %s%s" % (
        info.state, local(info.next_deadline),
        ", proposal %s by %s" % (info.proposal, info.proposed_by) if info.proposal else ""))


def run(ce):
    case = ce.open(CASE, "cn-telecom-fraud", OTHER_AGENT, at(0))
    case.set("amount", ccenter.Money(4_850_000, "CNY"), OTHER_AGENT, at(1))
    case.set("receiving_account", "6222 0211 0000 4821", OTHER_AGENT, at(1))
    case.set("funds_in_flight", True, OTHER_AGENT, at(1))
    step(ce, "09:00 the victim's report: case opened, amount and receiving account recorded")

    case.transition("triage", OTHER_AGENT, at(2))
    case.transition("contain", OTHER_AGENT, at(3), reason="transfer still pending")
    step(ce, "09:03 triage and containment on the bank's own side")

    case.transition("refer", OTHER_AGENT, at(5))
    step(ce, "09:05 referred to the police (supervisor alerted if no reference in 30 min)")

    case.set("police_ref", "SH-PSB-2026-1009-0457", OTHER_AGENT, at(14))
    case.transition("police_reference", OTHER_AGENT, at(14),
                    evidence={"police_ref": "SH-PSB-2026-1009-0457"})
    step(ce, "09:14 police reference recorded")

    case.transition("stop", MAKER, at(21), evidence={
        "platform_msg": "EPSP-20261009-88213", "four_field_check": "ok: name,acct,amt,time"})
    step(ce, "09:21 emergency stop-payment on the police's instruction")
    print("    stop lapses %s" % local(case.timer_deadline("stop_lapse")))

    r = case.transition("freeze", MAKER, at(40), evidence={"freeze_notice": "SH-FN-7781"})
    step(ce, "09:40 %s proposes the freeze: %s" % (MAKER, r.name))
    try:
        case.approve(MAKER, at(41))
    except ccenter.PermissionDenied as e:
        print("    the maker approving her own proposal is refused: %s" % e)
    case.approve(CHECKER, at(45), reason="notice checked against the platform message")
    step(ce, "09:45 %s (supervisor) approves the freeze" % CHECKER)
    print("    freeze lapses %s" % local(case.timer_deadline("freeze_lapse")))

    decided = dt.datetime(2026, 10, 30, 16, 0, tzinfo=SHANGHAI)
    case.set("police_decision_at", decided, MAKER, decided)
    case.transition("return_decided", MAKER, decided,
                    evidence={"police_decision": "SH-RD-2026-311"})
    step(ce, "Fri 30 Oct 16:00 the police decide the frozen funds go back")
    print("    return due (3 business days, CN-2026) %s" % local(case.timer_deadline("return_due")))

    back = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    case.transition("return_funds", MAKER, back)
    case.approve(CHECKER, back + dt.timedelta(minutes=20))
    step(ce, "Mon 2 Nov 10:00 the return, proposed and approved")

    st = ce.stats("cn-telecom-fraud")
    print("workflow statistics: opened %d, closed %d, golden met %d, proposals %d, "
          "approved %d" % (st.opened, st.closed, st.golden_met, st.proposals, st.approved))


def check_audit(lines, head):
    n = ccenter.verify_audit(lines, AUDIT_KEY, head=head)
    print("audit chain verified: %d records, head seq %d hash %s" % (n, head.seq,
                                                                       head.hash.hex()))
    # Someone edits the stored amount afterwards: the chain names the line.
    changed = list(lines)
    bad = next(i for i, ln in enumerate(changed) if "4850000" in ln)
    changed[bad] = changed[bad].replace("4850000", "485000")
    try:
        ccenter.verify_audit(changed, AUDIT_KEY, head=head)
    except ccenter.Corrupt as e:
        print("a changed audit line is detected: %s (the amount's line, index %d, was "
              "changed)" % (e, bad))
        return 0
    print("a changed audit line was NOT detected")
    return 1


def main():
    lines = []
    with ccenter.CaseEngine(at(-60), audit_key=AUDIT_KEY, calendars=["cn-2026"],
                            workflows=["cn-telecom-fraud"],
                            actors={OTHER_AGENT: "agent", MAKER: "agent",
                                    CHECKER: "agent,supervisor"},
                            on_audit=lambda rec: lines.append(rec.line)) as ce:
        run(ce)
        head = ce.audit_head()
    return check_audit(lines, head)


if __name__ == "__main__":
    sys.exit(main())
