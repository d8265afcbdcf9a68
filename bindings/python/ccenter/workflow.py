"""Workflows and the case engine (docs/workflows.md): definitions built in Python or read
from workflow files and the shipped templates, `CaseEngine` holding calendars, workflows,
actors and cases, case events as frozen dataclasses, and the audit chain.

Times are int milliseconds since the Unix epoch, UTC, or `datetime.datetime`; durations
int milliseconds or `datetime.timedelta`. `now` may be left out when the engine was given
a `clock` (a callable returning either).
"""
import dataclasses
import datetime as _dt
import enum
import os
import weakref
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import ccenter._callbacks  # noqa: F401  (the trampolines must be defined before use)
from ccenter._errors import Corrupt, StateError, check, error_for
from ccenter._native import ffi, lib
from ccenter._strings import cstr, pystr
from ccenter._time import duration_ms, to_ms
from ccenter.enums import from_c as _enum
from ccenter.calendar import (Calendar, _listing, _loaded, _parse_error, _parsed, _raise_parse,
                              _shipped, _written)

__all__ = [
    "FieldType", "TimerClock", "TimerExpiry", "CaseEventType", "CountKind", "Result",
    "Money", "CaseEvent", "CaseInfo", "WorkflowStats", "AuditRecord", "AuditHead",
    "Workflow", "CaseEngine", "Case", "load_template", "templates", "verify_audit",
    "SYSTEM_ACTOR",
]

Time = Union[int, _dt.datetime]
Duration = Union[int, _dt.timedelta]
SYSTEM_ACTOR: str = ffi.string(ffi.cast("char *", lib.CCENTER_WF_SYSTEM_ACTOR)).decode() \
    if hasattr(lib, "CCENTER_WF_SYSTEM_ACTOR") else "system"


FieldType = _enum("FieldType", "CCENTER_FIELD_", "The types of case fields.")
TimerClock = _enum("TimerClock", "CCENTER_CLOCK_", "What a timer counts.")
TimerExpiry = _enum("TimerExpiry", "CCENTER_EXPIRY_", "What a timer's expiry does.")
CaseEventType = _enum("CaseEventType", "CCENTER_CASE_", "The types of case events.")
CountKind = _enum("CountKind", "CCENTER_COUNT_", "What `CaseEngine.stat_count` counts.")


class Result(enum.IntEnum):
    """What a transition did: it took effect, or (dual control) awaits approval."""
    TAKEN = 0
    PROPOSED = lib.CCENTER_PROPOSED


def _none_if_no_deadline(t):
    return None if t == lib.CCENTER_NO_DEADLINE else t


@dataclasses.dataclass(frozen=True)
class Money:
    """An amount in integer minor units and an ISO 4217 currency ("GBP")."""
    minor: int
    currency: str


@dataclasses.dataclass(frozen=True)
class CaseEvent:
    """A case event. Fields a type does not carry are None; `deadline` is None when
    there is none; `data` is the case's user data."""
    type: CaseEventType
    seq: int
    time: int
    case_id: Optional[str]
    workflow: Optional[str]
    from_state: Optional[str]
    to_state: Optional[str]
    transition: Optional[str]
    timer: Optional[str]
    action: Optional[str]
    actor: Optional[str]
    role: Optional[str]
    reason: Optional[str]
    outcome: Optional[str]
    field: Optional[str]
    contact: Optional[str]
    deadline: Optional[int]
    elapsed_ms: int
    count: int
    data: Any = None


@dataclasses.dataclass(frozen=True)
class CaseInfo:
    """A case as ccenter_case_info_get() reports it; times None where the C API says
    CCENTER_NO_DEADLINE."""
    case_id: str
    workflow: str
    state: str
    outcome: Optional[str]
    closed: bool
    opened_at: int
    state_since: int
    contained_at: Optional[int]
    proposal: Optional[str]
    proposed_by: Optional[str]
    proposal_expires: Optional[int]
    next_deadline: Optional[int]
    contacts: Tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class WorkflowStats:
    """One workflow's counters since the engine was created."""
    workflow: str
    opened: int
    closed: int
    open: int
    golden_met: int
    golden_missed: int
    warnings: int
    deadlines_missed: int
    proposals: int
    approved: int
    rejected: int
    expired: int
    actions: int


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    """One audit record: its canonical line (docs/workflows.md, "The line format")."""
    seq: int
    time: int
    line: str
    hash: bytes


@dataclasses.dataclass(frozen=True)
class AuditHead:
    """The head of an audit chain: the last record's seq and hash."""
    seq: int
    hash: bytes


# ------------------------------------------------------------------------------------
# Definitions

def _opt(s, what):
    return cstr(s, what, none_ok=True)


def _amount(clock, amount):
    """A timer's length: a duration for elapsed and business-time clocks, else a count."""
    if clock in (TimerClock.ELAPSED, TimerClock.BUSINESS_TIME):
        return duration_ms(amount, "timer length")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("timer length: a count of days or months is an int, got %s"
                        % type(amount).__name__)
    if amount < 0:
        raise ValueError("timer length: negative (%d)" % amount)
    return amount


class Workflow:
    """A workflow definition (ccenter_workflow): built with the methods below, parsed from
    text (`Workflow.parse`), read from a file (`Workflow.load`) or a shipped template
    (`Workflow.template("us-reg-e")`)."""

    def __init__(self, name: str, *, _ptr=None):
        if _ptr is None:
            out = ffi.new("ccenter_workflow **")
            check(lib.ccenter_workflow_new(ffi.NULL, cstr(name, "workflow name"), out),
                  "workflow %r" % (name,))
            _ptr = out[0]
        self._ptr = ffi.gc(_ptr, lib.ccenter_workflow_free)

    @classmethod
    def parse(cls, text: str, source: Optional[str] = None) -> "Workflow":
        return cls("", _ptr=_parsed("ccenter_workflow", lib.ccenter_workflow_parse, text,
                                    source))

    @classmethod
    def load(cls, path) -> "Workflow":
        return cls("", _ptr=_loaded("ccenter_workflow", lib.ccenter_workflow_load_file, path))

    @classmethod
    def template(cls, name: str) -> "Workflow":
        """A shipped template by file stem: "cn-telecom-fraud", "cn-loss-report",
        "uk-app-scam", "us-reg-e"."""
        return cls.load(_shipped("workflows", ".wf", name))

    @property
    def name(self) -> str:
        return pystr(lib.ccenter_workflow_name(self._ptr))

    def __repr__(self):
        return "<Workflow %s>" % self.name

    def text(self) -> str:
        """The canonical text: Workflow.parse(w.text()) is the same workflow."""
        return _written(lib.ccenter_workflow_write, self._ptr)

    def dot(self) -> str:
        """A Graphviz digraph of the states and transitions."""
        return _written(lib.ccenter_workflow_write_dot, self._ptr)

    def check(self) -> None:
        """Raises ParseError saying what is incomplete (as CaseEngine.add_workflow would)."""
        err = _parse_error()
        rc = lib.ccenter_workflow_check(self._ptr, err)
        if rc < 0:
            _raise_parse(rc, err, "workflow %s" % self.name)

    def _do(self, rc, what):
        check(rc, "workflow %s: %s" % (self.name, what))
        return self

    # Each builder returns the workflow, so that calls chain.
    def set_calendar(self, calendar: Union[str, Calendar]) -> "Workflow":
        name = calendar.name if isinstance(calendar, Calendar) else calendar
        return self._do(lib.ccenter_workflow_set_calendar(self._ptr, cstr(name, "calendar")),
                        "calendar")

    def set_golden(self, window: Duration) -> "Workflow":
        return self._do(lib.ccenter_workflow_set_golden(self._ptr, duration_ms(window, "golden")),
                        "golden window")

    def add_field(self, name: str, type: Union[FieldType, str]) -> "Workflow":
        if isinstance(type, str):
            try:
                type = FieldType[type.upper()]
            except KeyError:
                raise ValueError("field type: %r is not one of %s"
                                 % (type, [t.name.lower() for t in FieldType])) from None
        return self._do(lib.ccenter_workflow_add_field(self._ptr, cstr(name, "field"), int(type)),
                        "field %s" % name)

    def add_state(self, name: str, *, initial: bool = False, final: Optional[str] = None,
                  contained: bool = False) -> "Workflow":
        """A state; `final` is the outcome of a final state ("REIMBURSED")."""
        flags = ((lib.CCENTER_STATE_INITIAL if initial else 0)
                 | (lib.CCENTER_STATE_FINAL if final is not None else 0)
                 | (lib.CCENTER_STATE_CONTAINED if contained else 0))
        return self._do(lib.ccenter_workflow_add_state(self._ptr, cstr(name, "state"), flags,
                                                       _opt(final, "outcome")),
                        "state %s" % name)

    def add_transition(self, name: str, source: Union[str, Iterable[str]], to: str,
                       role: Optional[str] = None) -> "Workflow":
        """A transition from `source` (a state, a list of states, or "*") to `to`; role
        None: only timers take it."""
        if not isinstance(source, (str, bytes)) and source is not None:
            source = ",".join(source)
        return self._do(lib.ccenter_workflow_add_transition(
            self._ptr, cstr(name, "transition"), cstr(source, "from"), cstr(to, "to"),
            _opt(role, "role")), "transition %s" % name)

    def set_dual(self, transition: str, approver_role: str,
                 expires: Duration = 0) -> "Workflow":
        return self._do(lib.ccenter_workflow_set_dual(
            self._ptr, cstr(transition, "transition"), cstr(approver_role, "role"),
            duration_ms(expires, "expires")), "dual %s" % transition)

    def add_guard(self, transition: str, expr: str) -> "Workflow":
        return self._do(lib.ccenter_workflow_add_guard(self._ptr, cstr(transition, "transition"),
                                                       cstr(expr, "guard")),
                        "guard %r" % (expr,))

    def require_evidence(self, transition: str, evidence: str) -> "Workflow":
        return self._do(lib.ccenter_workflow_require_evidence(
            self._ptr, cstr(transition, "transition"), cstr(evidence, "evidence")),
            "evidence %s" % evidence)

    def add_action(self, transition: str, action: str, within: Duration = 0) -> "Workflow":
        return self._do(lib.ccenter_workflow_add_action(
            self._ptr, cstr(transition, "transition"), cstr(action, "action"),
            duration_ms(within, "within")), "action %s" % action)

    def add_limit(self, transition: str, key_field: str, max: int) -> "Workflow":
        if isinstance(max, bool) or not isinstance(max, int):
            raise TypeError("max: expected an int, got %s" % type(max).__name__)
        if max < 1:
            raise error_for(lib.CCENTER_ERANGE, "limit %s: max %d < 1" % (transition, max))
        if max > 0xFFFFFFFF:
            raise error_for(lib.CCENTER_ERANGE, "limit %s: max too large" % transition)
        return self._do(lib.ccenter_workflow_add_limit(
            self._ptr, cstr(transition, "transition"), cstr(key_field, "field"), max),
            "limit %s" % transition)

    def add_timer(self, name: str, start_state: Optional[str], clock: TimerClock,
                  amount: Any, on_expiry: TimerExpiry = TimerExpiry.ALERT,
                  target: Optional[str] = None, *, deadline: bool = False,
                  keep: bool = False) -> "Workflow":
        """A timer of `amount` (a duration for ELAPSED and BUSINESS_TIME, else a count of
        days or months) started on entering `start_state` (None: see timer_start_field);
        on expiry a transition, an escalation to a role, or an alert."""
        clock = TimerClock(clock)
        flags = ((lib.CCENTER_TIMER_DEADLINE if deadline else 0)
                 | (lib.CCENTER_TIMER_KEEP if keep else 0))
        return self._do(lib.ccenter_workflow_add_timer(
            self._ptr, cstr(name, "timer"), _opt(start_state, "state"), int(clock),
            _amount(clock, amount), int(TimerExpiry(on_expiry)), _opt(target, "target"),
            flags), "timer %s" % name)

    def timer_start_field(self, timer: str, field: str) -> "Workflow":
        return self._do(lib.ccenter_workflow_timer_start_field(
            self._ptr, cstr(timer, "timer"), cstr(field, "field")), "timer %s" % timer)

    def timer_warn(self, timer: str, before: Duration) -> "Workflow":
        return self._do(lib.ccenter_workflow_timer_warn(
            self._ptr, cstr(timer, "timer"), duration_ms(before, "before")),
            "warn %s" % timer)

    def timer_pause_in(self, timer: str, state: str) -> "Workflow":
        return self._do(lib.ccenter_workflow_timer_pause_in(
            self._ptr, cstr(timer, "timer"), cstr(state, "state")), "pause %s" % timer)


def templates() -> List[str]:
    """The names of the shipped workflow templates found."""
    return _listing("workflows", ".wf")


def load_template(name: str) -> Workflow:
    return Workflow.template(name)


# ------------------------------------------------------------------------------------
# The audit chain

def _head_struct(h):
    if h is None:
        return ffi.NULL
    if not isinstance(h, AuditHead):
        raise TypeError("expected an AuditHead, got %s" % type(h).__name__)
    if len(h.hash) != 32:
        raise ValueError("AuditHead.hash: 32 bytes expected")
    s = ffi.new("ccenter_audit_head *")
    s.seq = h.seq
    ffi.memmove(s.hash, h.hash, 32)
    return s


def _key(key):
    if key is None:
        return ffi.NULL, 0
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError("audit key: expected bytes or str, got %s" % type(key).__name__)
    if not key:
        raise ValueError("audit key: empty (use None for plain SHA-256)")
    return bytes(key), len(key)


def verify_audit(lines: Iterable[Union[str, bytes, AuditRecord]], key=None, *,
                 head: Optional[AuditHead] = None, start: Optional[AuditHead] = None) -> int:
    """Verifies a chain of audit lines (as the sink received them, without newlines) with
    the engine's key (None: plain SHA-256). `head`, a head kept elsewhere, must be in the
    lines (detects truncation); `start` is the head before the first line when older
    records were removed. Returns the number of lines; raises Corrupt, with `first_bad`
    the index of the first line changed, removed, reordered or unreadable."""
    if isinstance(lines, (str, bytes)):
        raise TypeError("lines: expected a list of lines, not one string")
    bufs = []
    for i, ln in enumerate(lines):
        if isinstance(ln, AuditRecord):
            ln = ln.line
        bufs.append(cstr(ln.rstrip("\n") if isinstance(ln, str) else ln, "line %d" % i))
    cl = [ffi.new("char[]", b) for b in bufs]
    arr = ffi.new("const char *[]", cl) if cl else ffi.new("const char *[1]")
    lens = ffi.new("size_t[]", [len(b) for b in bufs]) if bufs else ffi.new("size_t[1]")
    kb, kl = _key(key)
    bad = ffi.new("size_t *")
    rc = lib.ccenter_audit_verify(arr, lens, len(bufs), kb, kl, _head_struct(start),
                                  _head_struct(head), bad)
    if rc == lib.CCENTER_ECORRUPT:
        e = error_for(rc, "audit chain: first bad line at index %d" % bad[0])
        e.first_bad = bad[0]
        raise e
    check(rc, "audit verify")
    return len(bufs)


# ------------------------------------------------------------------------------------
# The case engine

class _Sink:
    """What the C engine's user data points to (ccenter/_callbacks.py's target): a weak
    reference to the engine, so that the handle does not keep the engine alive (the
    engine owns the handle)."""

    def __init__(self, engine):
        self._ref = weakref.ref(engine)

    def _engine(self):
        return self._ref()

    def _c_case_event(self, ev):
        eng = self._ref()
        if eng is not None:
            eng._on_event(eng._event(ev))

    def _c_audit(self, rec):
        eng = self._ref()
        if eng is not None:
            eng._on_audit(AuditRecord(
                rec.seq, rec.time,
                ffi.unpack(rec.line, rec.len).decode("utf-8", "surrogateescape"),
                ffi.unpack(ffi.cast("char *", rec.hash), 32)))

    def _c_deadline(self, t):
        eng = self._ref()
        if eng is not None:
            eng._on_deadline(_none_if_no_deadline(t))

    def _keep(self, exc):
        eng = self._ref()
        if eng is not None and eng._exc is None:
            eng._exc = exc


def _evidence(evidence):
    if evidence is None:
        return []
    items = evidence.items() if isinstance(evidence, Mapping) else evidence
    out = []
    for pair in items:
        if isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise TypeError("evidence: expected a dict or (name, ref) pairs")
        out.append((cstr(pair[0], "evidence name"), cstr(pair[1], "evidence ref")))
    return out


class CaseEngine:
    """The case engine (ccenter_cases): a context manager; `close()` frees it.

    Events go to `on_event(event)` when given, else they queue and `events()` pulls them.
    An exception raised by a callback (on_event, on_audit, on_deadline) is kept and
    raised again from the call that delivered the event; the engine has finished that
    call and stays consistent."""

    def __init__(self, now: Optional[Time] = None, *, clock: Optional[Callable[[], Time]] = None,
                 audit_key: Union[bytes, str, None] = None, calendars: Iterable = (),
                 workflows: Iterable = (), actors: Optional[Mapping[str, Any]] = None,
                 **kwargs: Any):
        t = self._time_of(now, clock)
        self._setup(lambda opts, out: lib.ccenter_cases_new(opts, t, out), clock=clock,
                    **kwargs)
        if audit_key is not None:
            kb, kl = _key(audit_key)
            self._call("set_audit_key", lib.ccenter_cases_set_audit_key, kb, kl)
        for c in calendars:
            self.add_calendar(c, t)
        for w in workflows:
            self.add_workflow(w, t)
        for actor, roles in (actors or {}).items():
            self.set_actor(actor, roles, t)

    @classmethod
    def _create(cls, factory, **kwargs: Any) -> "CaseEngine":
        """An engine made by factory(opts, out) (a store's cases_new/recover), with the
        keyword arguments of CaseEngine() that are not about its creation."""
        self = cls.__new__(cls)
        self._setup(factory, **kwargs)
        return self

    def _setup(self, factory, *, clock=None, on_event=None, on_audit=None, on_deadline=None):
        for name, fn in (("on_event", on_event), ("on_audit", on_audit),
                         ("on_deadline", on_deadline)):
            if fn is not None and not callable(fn):
                raise TypeError("%s: expected a callable, got %s" % (name, type(fn).__name__))
        self._ptr = None
        self._clock = clock
        self._exc = None
        self._data: Dict[str, Any] = {}
        self._on_event = on_event
        self._on_audit = on_audit
        self._on_deadline = on_deadline
        self._handle = ffi.new_handle(_Sink(self))
        out = ffi.new("ccenter_cases **")
        check(factory(ffi.NULL, out), "case engine")
        self._ptr = ffi.gc(out[0], lib.ccenter_cases_free)
        if on_event is not None:
            check(lib.ccenter_cases_set_event_callback(self._ptr, lib._ccpy_case_event,
                                                       self._handle), "event callback")
        if on_audit is not None:
            self.on_audit = on_audit
        if on_deadline is not None:
            self._call("deadline hook", lib.ccenter_cases_set_deadline_hook,
                       lib._ccpy_deadline, self._handle)

    # Lifetime
    def close(self) -> None:
        """Frees the engine (its cases and timers, without events). Idempotent."""
        if self._ptr is not None:
            ffi.release(self._ptr)
            self._ptr = None

    def __enter__(self) -> "CaseEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def _p(self):
        if self._ptr is None:
            raise StateError("the case engine is closed")
        return self._ptr

    # Time
    @staticmethod
    def _time_of(now, clock):
        if now is None:
            if clock is None:
                raise TypeError("now: required (the engine has no clock)")
            now = clock()
        return to_ms(now, "now")

    def _time(self, now) -> int:
        return self._time_of(now, self._clock)

    def _call(self, what, fn, *args):
        """fn(engine, *args), then any exception a callback raised in it, then the
        call's own error."""
        rc = fn(self._p, *args)
        exc, self._exc = self._exc, None
        if exc is not None:
            raise exc
        return check(rc, what)

    @property
    def on_audit(self):
        return self._on_audit

    @on_audit.setter
    def on_audit(self, fn: Optional[Callable[[AuditRecord], None]]) -> None:
        """Where audit records go (None: nowhere; the chain head is kept either way)."""
        if fn is not None and not callable(fn):
            raise TypeError("on_audit: expected a callable")
        self._on_audit = fn
        self._call("audit sink", lib.ccenter_cases_set_audit_sink,
                   lib._ccpy_audit if fn is not None else ffi.NULL,
                   self._handle if fn is not None else ffi.NULL)

    def _event(self, ev) -> CaseEvent:
        case_id = pystr(ev.case_id)
        return CaseEvent(
            CaseEventType(ev.type), ev.seq, ev.time, case_id, pystr(ev.workflow),
            pystr(getattr(ev, "from")), pystr(ev.to), pystr(ev.transition), pystr(ev.timer),
            pystr(ev.action), pystr(ev.actor), pystr(ev.role), pystr(ev.reason),
            pystr(ev.outcome), pystr(ev.field), pystr(ev.contact),
            _none_if_no_deadline(ev.deadline), ev.elapsed_ms, ev.count,
            self._data.get(case_id))

    def events(self) -> Iterator[CaseEvent]:
        """The queued events (none when on_event is set), oldest first."""
        while True:
            ev = lib.ccenter_cases_next_event(self._p)
            if ev == ffi.NULL:
                return
            yield self._event(ev)

    @property
    def pending_events(self) -> int:
        return lib.ccenter_cases_pending_events(self._p)

    # Engine-wide
    def advance(self, now: Optional[Time] = None) -> None:
        """Fires the timers due by now."""
        self._call("advance", lib.ccenter_cases_advance, self._time(now))

    @property
    def next_deadline(self) -> Optional[int]:
        return _none_if_no_deadline(lib.ccenter_cases_next_deadline(self._p))

    @property
    def now(self) -> int:
        return lib.ccenter_cases_now(self._p)

    def audit_head(self) -> AuditHead:
        h = ffi.new("ccenter_audit_head *")
        self._call("audit head", lib.ccenter_cases_audit_head, h)
        return AuditHead(h.seq, bytes(h.hash))

    def add_calendar(self, calendar: Union[Calendar, str], now: Optional[Time] = None) -> None:
        """Adds a copy of a calendar (a Calendar, or a shipped calendar's name)."""
        if not isinstance(calendar, Calendar):
            calendar = Calendar.shipped(calendar)
        self._call("add calendar %s" % calendar.name, lib.ccenter_cases_add_calendar,
                   calendar._ptr, self._time(now))

    def add_workflow(self, workflow: Union[Workflow, str], now: Optional[Time] = None) -> None:
        """Adds a copy of a workflow (a Workflow, or a shipped template's name); its
        calendar must have been added. ParseError when it is incomplete."""
        if not isinstance(workflow, Workflow):
            workflow = Workflow.template(workflow)
        t = self._time(now)
        err = _parse_error()
        if lib.ccenter_workflow_check(workflow._ptr, err) < 0:
            _raise_parse(lib.CCENTER_ESYNTAX, err, "workflow %s" % workflow.name)
        self._call("add workflow %s" % workflow.name, lib.ccenter_cases_add_workflow,
                   workflow._ptr, t)

    def set_actor(self, actor: str, roles: Union[str, Iterable[str], None],
                  now: Optional[Time] = None) -> None:
        """Gives an actor their roles ("agent,supervisor" or a list); None or empty
        removes the actor."""
        if roles is not None and not isinstance(roles, (str, bytes)):
            roles = ",".join(roles)
        self._call("set actor %s" % actor, lib.ccenter_cases_set_actor, cstr(actor, "actor"),
                   cstr(roles, "roles", none_ok=True), self._time(now))

    # Cases
    def open(self, case_id: str, workflow: str, actor: str, now: Optional[Time] = None, *,
             data: Any = None) -> "Case":
        """Opens a case in the workflow's initial state; `data` is kept with it and
        appears in its events."""
        t = self._time(now)
        cid = cstr(case_id, "case id")
        if data is not None:
            self._data[case_id] = data
        try:
            self._call("open case %s" % case_id, lib.ccenter_case_open, cid,
                       cstr(workflow, "workflow"), cstr(actor, "actor"), ffi.NULL, t)
        except BaseException:
            if data is not None and self._data.get(case_id) is data and not self._exists(cid):
                del self._data[case_id]
            raise
        return Case(self, case_id)

    def case(self, case_id: str) -> "Case":
        """A handle on an existing case (NotFound when there is none)."""
        self.info(case_id)
        return Case(self, case_id)

    def _exists(self, cid):
        i = ffi.new("ccenter_case_info *")
        i.size = ffi.sizeof("ccenter_case_info")
        return lib.ccenter_case_info_get(self._p, cid, i) == 0

    def __contains__(self, case_id) -> bool:
        return isinstance(case_id, str) and self._exists(cstr(case_id, "case id"))

    def set_field(self, case_id: str, field: str, value: Any, actor: str,
                  now: Optional[Time] = None) -> None:
        """Sets a field: int or bool (INT, FLAG, TIME fields), datetime (TIME), str (TEXT,
        ACCOUNT), Money or (minor_units, currency) (MONEY)."""
        t = self._time(now)
        head = (cstr(case_id, "case id"), cstr(actor, "actor"), cstr(field, "field"))
        what = "set %s of case %s" % (field, case_id)
        if isinstance(value, tuple) and len(value) == 2:
            value = Money(*value)
        if isinstance(value, Money):
            if isinstance(value.minor, bool) or not isinstance(value.minor, int):
                raise TypeError("money: minor units are an int")
            self._call(what, lib.ccenter_case_set_money, *head, value.minor,
                       cstr(value.currency, "currency"), t)
        elif isinstance(value, (bool, int)):
            self._call(what, lib.ccenter_case_set_int, *head, int(value), t)
        elif isinstance(value, _dt.datetime):
            self._call(what, lib.ccenter_case_set_int, *head, to_ms(value), t)
        elif isinstance(value, (str, bytes)):
            self._call(what, lib.ccenter_case_set_text, *head, cstr(value, "value"), t)
        else:
            raise TypeError("%s: a value of type %s cannot be set" % (what, type(value).__name__))

    def get_field(self, case_id: str, field: str) -> Union[int, str, Money]:
        """A field's value: int (INT, FLAG, TIME), str (TEXT, ACCOUNT) or Money.
        NotFound when the case or field does not exist or the field is not set."""
        cid, f = cstr(case_id, "case id"), cstr(field, "field")
        what = "field %s of case %s" % (field, case_id)
        i = ffi.new("int64_t *")
        rc = lib.ccenter_case_get_int(self._p, cid, f, i)
        if rc == 0:
            return i[0]
        if rc == lib.CCENTER_EINVAL:
            s = ffi.new("const char **")
            rc = lib.ccenter_case_get_text(self._p, cid, f, s)
            if rc == 0:
                return pystr(s[0])
        if rc == lib.CCENTER_EINVAL:
            cur = ffi.new("char[4]")
            rc = lib.ccenter_case_get_money(self._p, cid, f, i, cur)
            if rc == 0:
                return Money(i[0], ffi.string(cur).decode("ascii"))
        raise error_for(rc, what)

    def link_contact(self, case_id: str, contact: str, actor: str,
                     now: Optional[Time] = None) -> None:
        self._call("link %s to case %s" % (contact, case_id), lib.ccenter_case_link_contact,
                   cstr(case_id, "case id"), cstr(contact, "contact"), cstr(actor, "actor"),
                   self._time(now))

    def transition(self, case_id: str, transition: str, actor: str,
                   now: Optional[Time] = None, *, reason: Optional[str] = None,
                   evidence: Union[Mapping[str, str], Iterable[Tuple[str, str]], None] = None
                   ) -> Result:
        """Takes a transition as `actor`: Result.TAKEN, or Result.PROPOSED under dual
        control. `evidence` maps names to references (a dict or pairs). Refusals raise:
        StateError, PermissionDenied, ConditionNotMet, Full, NotFound."""
        t = self._time(now)
        ev = _evidence(evidence)
        inp = ffi.new("ccenter_case_input *")
        lib.ccenter_case_input_init(inp)
        keep = []
        if reason is not None:
            keep.append(ffi.new("char[]", cstr(reason, "reason")))
            inp.reason = keep[-1]
        if ev:
            arr = ffi.new("ccenter_case_evidence[]", len(ev))
            for k, (n, r) in enumerate(ev):
                nb, rb = ffi.new("char[]", n), ffi.new("char[]", r)
                keep += [nb, rb]
                arr[k].name, arr[k].ref = nb, rb
            inp.evidence, inp.n_evidence = arr, len(ev)
            keep.append(arr)
        rc = self._call("%s on case %s" % (transition, case_id), lib.ccenter_case_transition,
                        cstr(case_id, "case id"), cstr(transition, "transition"),
                        cstr(actor, "actor"), inp, t)
        return Result(rc)

    def approve(self, case_id: str, actor: str, now: Optional[Time] = None, *,
                reason: Optional[str] = None) -> None:
        self._call("approve case %s" % case_id, lib.ccenter_case_approve,
                   cstr(case_id, "case id"), cstr(actor, "actor"),
                   cstr(reason, "reason", none_ok=True), self._time(now))

    def reject(self, case_id: str, actor: str, now: Optional[Time] = None, *,
               reason: Optional[str] = None) -> None:
        self._call("reject case %s" % case_id, lib.ccenter_case_reject,
                   cstr(case_id, "case id"), cstr(actor, "actor"),
                   cstr(reason, "reason", none_ok=True), self._time(now))

    def forget(self, case_id: str, now: Optional[Time] = None) -> None:
        """Removes a closed case from memory (StateError while it is open)."""
        self._call("forget case %s" % case_id, lib.ccenter_case_forget,
                   cstr(case_id, "case id"), self._time(now))
        self._data.pop(case_id, None)

    # Queries
    def info(self, case_id: str) -> CaseInfo:
        cid = cstr(case_id, "case id")
        i = ffi.new("ccenter_case_info *")
        i.size = ffi.sizeof("ccenter_case_info")
        self._call("case %s" % case_id, lib.ccenter_case_info_get, cid, i)
        contacts = tuple(pystr(lib.ccenter_case_contact(self._p, cid, k))
                         for k in range(i.contacts))
        return CaseInfo(case_id, pystr(i.workflow), pystr(i.state), pystr(i.outcome),
                        bool(i.closed), i.opened_at, i.state_since,
                        _none_if_no_deadline(i.contained_at), pystr(i.proposal),
                        pystr(i.proposed_by), _none_if_no_deadline(i.proposal_expires),
                        _none_if_no_deadline(i.next_deadline), contacts)

    def timer_deadline(self, case_id: str, timer: str) -> Optional[int]:
        """When a case's running timer expires (None while paused); NotFound when not
        running."""
        out = ffi.new("int64_t *")
        self._call("timer %s of case %s" % (timer, case_id), lib.ccenter_case_timer_deadline,
                   cstr(case_id, "case id"), cstr(timer, "timer"), out)
        return _none_if_no_deadline(out[0])

    def data(self, case_id: str) -> Any:
        """The user data given to open() (or set with set_data)."""
        return self._data.get(case_id)

    def set_data(self, case_id: str, data: Any) -> None:
        if case_id not in self:
            raise error_for(lib.CCENTER_ENOENT, "case %s" % case_id)
        self._data[case_id] = data

    @property
    def open_count(self) -> int:
        return lib.ccenter_cases_open_count(self._p)

    def __len__(self) -> int:
        return lib.ccenter_cases_count(self._p)

    def stats(self, workflow: str) -> WorkflowStats:
        s = ffi.new("ccenter_workflow_stats *")
        s.size = ffi.sizeof("ccenter_workflow_stats")
        self._call("statistics of %s" % workflow, lib.ccenter_workflow_stats_get,
                   cstr(workflow, "workflow"), s)
        return WorkflowStats(workflow, *(getattr(s, f.name) for f in
                                         dataclasses.fields(WorkflowStats)[1:]))

    def stat_count(self, workflow: str, kind: Union[CountKind, str], name: str) -> int:
        """One named counter: cases closed with an outcome, times a transition took
        effect, a timer expired, an action was requested."""
        if isinstance(kind, str):
            kind = CountKind[kind.upper()]
        out = ffi.new("uint64_t *")
        self._call("%s count of %s" % (name, workflow), lib.ccenter_workflow_stat_count,
                   cstr(workflow, "workflow"), int(CountKind(kind)), cstr(name, "name"), out)
        return out[0]

    @property
    def memory(self) -> int:
        return lib.ccenter_cases_memory(self._p)


class Case:
    """A case of a CaseEngine, by id: the engine's case methods without the id."""

    __slots__ = ("engine", "id")

    def __init__(self, engine: CaseEngine, case_id: str):
        self.engine, self.id = engine, case_id

    def __repr__(self):
        return "<Case %s>" % self.id

    def __eq__(self, other):
        return isinstance(other, Case) and other.engine is self.engine and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    @property
    def info(self) -> CaseInfo:
        return self.engine.info(self.id)

    @property
    def state(self) -> str:
        return self.info.state

    @property
    def data(self) -> Any:
        return self.engine.data(self.id)

    def __getitem__(self, field: str):
        return self.engine.get_field(self.id, field)

    def set(self, field: str, value: Any, actor: str, now: Optional[Time] = None) -> "Case":
        self.engine.set_field(self.id, field, value, actor, now)
        return self

    def transition(self, transition: str, actor: str, now: Optional[Time] = None,
                   **kw: Any) -> Result:
        return self.engine.transition(self.id, transition, actor, now, **kw)

    def approve(self, actor: str, now: Optional[Time] = None, **kw: Any) -> None:
        self.engine.approve(self.id, actor, now, **kw)

    def reject(self, actor: str, now: Optional[Time] = None, **kw: Any) -> None:
        self.engine.reject(self.id, actor, now, **kw)

    def link_contact(self, contact: str, actor: str, now: Optional[Time] = None) -> None:
        self.engine.link_contact(self.id, contact, actor, now)

    def timer_deadline(self, timer: str) -> Optional[int]:
        return self.engine.timer_deadline(self.id, timer)

    def forget(self, now: Optional[Time] = None) -> None:
        self.engine.forget(self.id, now)
