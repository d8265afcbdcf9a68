"""The routing engine (include/ccenter/engine.h) in Python: `Engine`, and `Queue`, `Agent`
and `Contact` objects that are ids bound to their engine.

Every call that changes state takes `now`: an int of milliseconds, a datetime, or None for
the engine's clock (`Engine(clock=...)`). Durations are int milliseconds or timedelta.
Ids are str (or bytes); anything taking an id also takes the object.

Events are `Event` objects (frozen). Pushed: `Engine(on_event=fn)` calls fn(event) at the
end of the call that raised it. Pulled: `Engine(pull_events=True)`, then
`for ev in engine.events(): ...`. An exception raised by on_event (or by the deadline hook
or the log function) does not reach C: it is kept, the remaining events of the same call
still go to on_event, and the engine call that delivered them raises the first exception
once it has returned (later ones are added to it as notes). The engine is consistent: it
only saw callbacks return.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Union

from ccenter import _callbacks  # noqa: F401 - defines the trampolines
from ccenter._convert import fields as _fields
from ccenter._errors import StateError, check
from ccenter._native import ffi, lib
from ccenter._strings import cstr
from ccenter._time import duration_ms, to_ms
from ccenter.enums import (
    AgentState, Cause, Channel, ContactState, EmptyRule, EngineOption, EventType, LogLevel,
    MaxWaitAction, Outcome, Party, QueueOption, Strategy, coerce,
)

Time = Union[int, "datetime.datetime", None]  # noqa: F821
Duration = Union[int, "datetime.timedelta"]  # noqa: F821


class Closed(StateError):
    """The engine was closed (or its creation failed): no call may use it any more."""


# ---------------------------------------------------------------------------------------
# Plain data

@dataclasses.dataclass(frozen=True)
class Event:
    """One event (ccenter_event). Fields that do not apply are None or 0; *_data are the
    user data of the objects named (as given to add_queue, add_agent, enqueue)."""
    type: EventType
    cause: Cause
    time: int
    agent: Optional[str]
    agent_data: Any
    contact: Optional[str]
    contact_data: Any
    queue: Optional[str]
    queue_data: Any
    queue_to: Optional[str]
    queue_to_data: Any
    agent_to: Optional[str]
    agent_to_data: Any
    reason: Optional[str]
    customer: Optional[str]
    channel: Channel
    state: AgentState
    prev_state: AgentState
    outcome: Outcome
    party: Party
    priority: int
    position: int
    orig_position: int
    step: int
    score: int
    serving: int
    wait_ms: int
    duration_ms: int
    ewt_ms: int
    ring_timeout_ms: int
    threshold_ms: int
    session_ms: int

    def asdict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class QueueInfo:
    waiting: int
    offered: int
    members: int
    members_logged_in: int
    members_ready: int
    longest_wait_ms: int
    ewt_ms: int
    oldest: Optional[str]


@dataclasses.dataclass(frozen=True)
class AgentInfo:
    state: AgentState
    reason: Optional[str]
    pending: Optional[str]
    state_since: int
    idle_since: int
    offered: int
    connected: int
    wrap_up: int
    in_channel: List[int]
    missed_in_row: int
    handled: int
    cause: Cause
    pending_state: AgentState
    pending_cause: Cause
    state_ms: int


@dataclasses.dataclass(frozen=True)
class ContactInfo:
    state: ContactState
    channel: Channel
    priority: int
    is_callback: int
    on_hold: int
    queue: Optional[str]
    agent: Optional[str]
    customer: Optional[str]
    position: int
    enqueued_at: int
    wait_ms: int
    ewt_ms: int


@dataclasses.dataclass(frozen=True)
class SkillInfo:
    agents: int
    logged_in: int
    ready: int
    available: int
    busy: int
    waiting: int
    longest_wait_ms: int
    mean_level: float


# Keyword settings -> (option, how the value is taken).
_DURATION, _INT, _WRAP = "duration", "int", "wrap"
_ENGINE_SETTINGS = {o.name.lower(): o for o in EngineOption}
_ENGINE_KIND = {"reject_delay": _DURATION, "stats_interval": _DURATION,
                "short_abandon": _DURATION, "repeat_window": _DURATION}
_QUEUE_SETTINGS = {o.name.lower(): o for o in QueueOption}
_QUEUE_KIND = {
    "join_empty": EmptyRule, "leave_empty": EmptyRule, "max_wait_action": MaxWaitAction,
    "strategy": Strategy, "wrap_up": _WRAP,
    **{k: _DURATION for k in ("max_wait", "ring_timeout", "announce_every", "sl_threshold",
                              "callback_ewt", "ring_every", "preferred_timeout",
                              "sticky_window", "ageing", "reserve_wait", "reserve_ewt")},
}


def _setting_value(name, kind, value):
    if kind == _DURATION:
        return duration_ms(value, name)
    if kind == _WRAP:
        # -1 (or None): until the agent ends it.
        return -1 if value is None else duration_ms(value, name, allow_negative=value == -1)
    if isinstance(kind, type):
        return int(coerce(kind, value, name))
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s: expected int, got %s" % (name, type(value).__name__))
    return value


def _settings(table, kinds, kw, what):
    out = []
    for name, value in kw.items():
        opt = table.get(name)
        if opt is None:
            raise TypeError("%s: unknown setting %r (known: %s)"
                            % (what, name, ", ".join(sorted(table))))
        out.append((opt, _setting_value(name, kinds.get(name, _INT), value)))
    return out


def _mask(types):
    if types is None:
        return None
    if isinstance(types, int) and not isinstance(types, bool):
        return types
    m = 0
    for t in types:
        m |= 1 << int(coerce(EventType, t, "event_mask"))
    return m


_ENDED_BIT = 1 << int(EventType.CONTACT_ENDED)


# ---------------------------------------------------------------------------------------
# Objects bound to an engine

class _Bound:
    """An id bound to its engine. Equal when engine and id are."""
    __slots__ = ("engine", "id")

    def __init__(self, engine: "Engine", id: str):
        self.engine = engine
        self.id = id

    def __eq__(self, other):
        return (type(other) is type(self) and other.engine is self.engine
                and other.id == self.id)

    def __hash__(self):
        return hash((type(self), id(self.engine), self.id))

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.id)


class Queue(_Bound):
    """A queue of an engine (Engine.add_queue)."""
    __slots__ = ()

    @property
    def user_data(self) -> Any:
        return self.engine._data("queue", self.id)

    @user_data.setter
    def user_data(self, value: Any) -> None:
        self.engine.set_user_data(self, value)

    def set(self, now: Time = None, **settings: Any) -> None:
        self.engine.set_queue(self, now, **settings)

    def get(self, option: Union[QueueOption, str]) -> int:
        return self.engine.queue_get(self, option)

    def settings(self) -> Dict[str, int]:
        return {o.name.lower(): self.get(o) for o in QueueOption}

    def set_overflow(self, target: Optional[Any], now: Time = None) -> None:
        self.engine.queue_set_overflow(self, target, now)

    def add_step(self, requirement: str, duration: Duration, now: Time = None) -> None:
        self.engine.queue_add_step(self, requirement, duration, now)

    def clear_steps(self, now: Time = None) -> None:
        self.engine.queue_clear_steps(self, now)

    def set_thresholds(self, thresholds: Iterable[Duration], now: Time = None) -> None:
        self.engine.queue_set_thresholds(self, thresholds, now)

    def info(self, now: Time = None) -> QueueInfo:
        return self.engine.queue_info(self, now)

    def remove(self, drain_to: Optional[Any] = None, now: Time = None) -> None:
        self.engine.remove_queue(self, drain_to, now)


class Agent(_Bound):
    """An agent of an engine (Engine.add_agent)."""
    __slots__ = ()

    @property
    def user_data(self) -> Any:
        return self.engine._data("agent", self.id)

    @user_data.setter
    def user_data(self, value: Any) -> None:
        self.engine.set_user_data(self, value)

    def login(self, now: Time = None) -> None:
        self.engine.agent_login(self, now)

    def logout(self, now: Time = None) -> None:
        self.engine.agent_logout(self, now)

    def ready(self, now: Time = None) -> None:
        self.engine.agent_ready(self, now)

    def not_ready(self, reason: Optional[str] = None, now: Time = None) -> None:
        self.engine.agent_not_ready(self, reason, now)

    def serve(self, queue: Any, now: Time = None, **params: Any) -> None:
        self.engine.agent_serve(self, queue, now, **params)

    def unserve(self, queue: Any, now: Time = None) -> None:
        self.engine.agent_unserve(self, queue, now)

    def set_skill(self, skill: str, level: int, now: Time = None) -> None:
        self.engine.agent_set_skill(self, skill, level, now)

    def set_attr(self, key: str, value: Optional[str], now: Time = None) -> None:
        self.engine.agent_set_attr(self, key, value, now)

    def set_capacity(self, channel: Any, capacity: int, now: Time = None) -> None:
        self.engine.agent_set_capacity(self, channel, capacity, now)

    def set_overlap(self, busy: Any, incoming: Any, allowed: bool, now: Time = None) -> None:
        self.engine.agent_set_overlap(self, busy, incoming, allowed, now)

    def set_wrap_up(self, wrap_up: Optional[Duration], now: Time = None) -> None:
        self.engine.agent_set_wrap_up(self, wrap_up, now)

    def accept(self, contact: Any, now: Time = None) -> None:
        self.engine.offer_accept(self, contact, now)

    def reject(self, contact: Any, now: Time = None) -> None:
        self.engine.offer_reject(self, contact, now)

    def missed(self, contact: Any, now: Time = None) -> None:
        self.engine.offer_missed(self, contact, now)

    def wrap_up_end(self, contact: Any, now: Time = None) -> None:
        self.engine.wrap_up_end(self, contact, now)

    def wrap_up_extend(self, contact: Any, extra: Duration, now: Time = None) -> None:
        self.engine.wrap_up_extend(self, contact, extra, now)

    def info(self, now: Time = None) -> AgentInfo:
        return self.engine.agent_info(self, now)

    def remove(self, now: Time = None) -> None:
        self.engine.remove_agent(self, now)


class Contact(_Bound):
    """A contact of an engine (Engine.enqueue); forgotten by the engine after its
    CONTACT_ENDED."""
    __slots__ = ()

    @property
    def user_data(self) -> Any:
        return self.engine._data("contact", self.id)

    @user_data.setter
    def user_data(self, value: Any) -> None:
        self.engine.set_user_data(self, value)

    def accept(self, agent: Any, now: Time = None) -> None:
        self.engine.offer_accept(agent, self, now)

    def reject(self, agent: Any, now: Time = None) -> None:
        self.engine.offer_reject(agent, self, now)

    def missed(self, agent: Any, now: Time = None) -> None:
        self.engine.offer_missed(agent, self, now)

    def abandon(self, now: Time = None) -> None:
        self.engine.contact_abandon(self, now)

    def remove(self, now: Time = None) -> None:
        self.engine.contact_remove(self, now)

    def end(self, by: Any = Party.UNKNOWN, now: Time = None) -> None:
        self.engine.contact_end(self, by, now)

    def hold(self, now: Time = None) -> None:
        self.engine.contact_hold(self, now)

    def resume(self, now: Time = None) -> None:
        self.engine.contact_resume(self, now)

    def disposition(self, code: str, now: Time = None) -> None:
        self.engine.contact_disposition(self, code, now)

    def survey(self, score: int, now: Time = None) -> None:
        self.engine.contact_survey(self, score, now)

    def transfer(self, *, queue: Any = None, agent: Any = None, now: Time = None) -> None:
        self.engine.contact_transfer(self, queue=queue, agent=agent, now=now)

    def requeue(self, now: Time = None) -> None:
        self.engine.contact_requeue(self, now)

    def consult(self, agent: Any, now: Time = None) -> None:
        self.engine.consult_start(self, agent, now)

    def consult_complete(self, now: Time = None) -> None:
        self.engine.consult_complete(self, now)

    def consult_cancel(self, now: Time = None) -> None:
        self.engine.consult_cancel(self, now)

    def callback(self, now: Time = None) -> None:
        self.engine.contact_callback(self, now)

    def attr(self, key: str) -> Optional[str]:
        return self.engine.contact_attr(self, key)

    def info(self, now: Time = None) -> ContactInfo:
        return self.engine.contact_info(self, now)


# ---------------------------------------------------------------------------------------
# The engine

class Engine:
    """A routing engine. `with Engine(0) as e:` frees it at the end; so does close().

    now: the engine's starting time (None: the clock's). clock: a function returning the
    time (int ms or datetime), used wherever `now` is left out. statistics: the interval
    statistics (Engine.stats). on_event / pull_events: pushed or pulled events (one of
    them, or neither: events are dropped). event_mask: the event types wanted (an
    iterable of EventType or names, or an int mask). log: a function(level, message) or a
    logging.Logger; log_level the most verbose level passed. Further keyword arguments are
    the engine settings (max_no_answer, reject_delay, ewt_samples, stats_interval,
    stats_keep, short_abandon, repeat_window, seed).
    """

    _ptr = ffi.NULL

    def __init__(self, now: Time = None, **kwargs: Any):
        self._setup(lambda o, out: lib.ccenter_engine_new(o, self._time(now), out), **kwargs)

    @classmethod
    def _create(cls, factory: Callable[[Any, Any], int], **kwargs: Any) -> "Engine":
        """An Engine made by factory(opts, out) (ccenter_engine_new or the store's)."""
        self = cls.__new__(cls)
        self._setup(factory, **kwargs)
        return self

    def _setup(self, factory, *, clock=None, statistics=True, on_event=None,
               pull_events=False, event_mask=None, log=None, log_level=LogLevel.INFO,
               **settings):
        self._ptr = ffi.NULL
        self._clock = clock
        self._exc = None
        self._on_event = on_event
        self._deadline_fn = None
        self._ud = {}          # token -> user data
        self._tokens = {}      # (kind, id) -> token
        self._next_token = 1
        self._queues = {}
        self._agents = {}
        self._sinks = []
        self._depth = 0        # callbacks running (close() is refused inside)
        if on_event is not None and not callable(on_event):
            raise TypeError("on_event: expected a callable")
        if on_event is not None and pull_events:
            raise ValueError("on_event and pull_events: an engine has one event mode")
        if isinstance(log, logging.Logger):
            logger = log
            log = lambda level, msg: logger.log(_PY_LEVEL[level], "%s", msg)  # noqa: E731
        if log is not None and not callable(log):
            raise TypeError("log: expected a callable or a logging.Logger")
        self._log = log
        self._pull = bool(pull_events)
        user_mask = _mask(event_mask)
        self._user_mask = lib.CCENTER_EVENTS_ALL if user_mask is None else user_mask
        pairs = _settings(_ENGINE_SETTINGS, _ENGINE_KIND, settings, "Engine")
        self._handle = ffi.new_handle(self)
        opts = ffi.gc(lib.ccenter_options_new(), lib.ccenter_options_free)
        if opts == ffi.NULL:
            raise MemoryError("ccenter_options_new")
        check(lib.ccenter_options_set_statistics(opts, 1 if statistics else 0), "statistics")
        if self._pull:
            check(lib.ccenter_options_set_event_queue(opts, 1), "pull_events")
            check(lib.ccenter_options_set_event_mask(opts, self._user_mask), "event_mask")
        else:
            # Always a callback: CONTACT_ENDED releases a contact's user data.
            mask = self._user_mask if on_event is not None else 0
            check(lib.ccenter_options_set_event_callback(opts, lib._ccpy_event, self._handle),
                  "on_event")
            check(lib.ccenter_options_set_event_mask(opts, mask | _ENDED_BIT), "event_mask")
        if log is not None:
            check(lib.ccenter_options_set_log(opts, lib._ccpy_log,
                                              int(coerce(LogLevel, log_level, "log_level")),
                                              self._handle), "log")
        out = ffi.new("ccenter_engine **")
        rc = factory(opts, out)
        self._raise_kept(rc)
        check(rc, "creating the engine")
        self._ptr = out[0]
        for opt, value in pairs:
            self._run("setting %s" % opt.name.lower(),
                      lib.ccenter_engine_set(self._ptr, opt, value, self.now))

    # -- life ---------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the engine (no events). Further calls raise Closed. Not from inside a
        callback of this engine (CallbackError)."""
        if self._ptr == ffi.NULL:
            return
        if self._depth:
            from ccenter._errors import error_for
            raise error_for(lib.CCENTER_ECALLBACK, "close")
        for sink in self._sinks:
            sink._detach()
        self._sinks = []
        lib.ccenter_engine_free(self._ptr)
        self._ptr = ffi.NULL
        self._ud.clear()
        self._tokens.clear()

    @property
    def closed(self) -> bool:
        return self._ptr == ffi.NULL

    def __enter__(self) -> "Engine":
        self._p
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self):
        try:
            if self._ptr != ffi.NULL and not self._depth:
                lib.ccenter_engine_free(self._ptr)
                self._ptr = ffi.NULL
        except Exception:
            pass

    @property
    def _p(self):
        p = self._ptr
        if p == ffi.NULL:
            raise Closed("the engine is closed")
        return p

    # -- time ---------------------------------------------------------------------------

    def _time(self, now: Time) -> int:
        """now in ms: None -> the clock's time (TypeError without a clock)."""
        if now is None:
            if self._clock is None:
                raise TypeError("now: required (the engine has no clock)")
            now = self._clock()
        return to_ms(now, "now")

    @property
    def now(self) -> int:
        """The largest `now` the engine has seen (ms)."""
        return lib.ccenter_engine_now(self._p)

    @property
    def next_deadline(self) -> Optional[int]:
        """When to call advance() next, or None when nothing is scheduled."""
        d = lib.ccenter_engine_next_deadline(self._p)
        return None if d == lib.CCENTER_NO_DEADLINE else d

    def advance(self, now: Time = None) -> None:
        """Fires every timer due at or before now."""
        self._run("advance", lib.ccenter_engine_advance(self._p, self._time(now)))

    def set(self, now: Time = None, **settings: Any) -> None:
        """Engine settings as keyword arguments (see the class)."""
        p = self._p
        for opt, value in _settings(_ENGINE_SETTINGS, _ENGINE_KIND, settings, "set"):
            self._run("setting %s" % opt.name.lower(),
                      lib.ccenter_engine_set(p, opt, value, self._time(now)))

    def set_deadline_hook(self, fn: Optional[Callable[[Optional[int]], None]]) -> None:
        """fn(deadline) is called with the new next deadline (None: nothing scheduled)
        whenever a call changed it, and once now; fn None removes it."""
        p = self._p
        if self._deadline_fn is not None:
            lib.ccenter_engine_set_deadline_hook(p, ffi.NULL, ffi.NULL)
            self._deadline_fn = None
        if fn is None:
            return
        if not callable(fn):
            raise TypeError("deadline hook: expected a callable")
        self._deadline_fn = fn
        rc = lib.ccenter_engine_set_deadline_hook(p, lib._ccpy_deadline, self._handle)
        if rc < 0:
            self._deadline_fn = None
        self._run("set_deadline_hook", rc)

    # -- callbacks from C (_callbacks.py) ------------------------------------------------

    def _keep(self, exc):
        if self._exc is None:
            self._exc = exc
        elif exc is not self._exc:
            self._exc.add_note("a later callback raised too: %r" % (exc,))

    def _raise_kept(self, rc=0, what=None):
        exc = self._exc
        if exc is not None:
            self._exc = None
            if rc < 0:
                exc.add_note("the call itself failed too: %s"
                             % ffi.string(lib.ccenter_err_name(rc)).decode())
            raise exc

    def _run(self, what, rc):
        self._raise_kept(rc, what)
        return check(rc, what)

    def _c_event(self, c):
        self._depth += 1
        try:
            ev = self._event(c)
            if self._on_event is not None and (self._user_mask >> int(c.type)) & 1:
                self._on_event(ev)
        finally:
            self._depth -= 1

    def _c_deadline(self, deadline):
        if self._deadline_fn is not None:
            self._depth += 1
            try:
                self._deadline_fn(None if deadline == lib.CCENTER_NO_DEADLINE else deadline)
            finally:
                self._depth -= 1

    def _c_log(self, level, msg):
        self._log(coerce(LogLevel, level, "level"), msg)

    def _event(self, c):
        d = _fields(c, self._data_of)
        ev = Event(**d)
        if ev.type == EventType.CONTACT_ENDED and c.contact_data != ffi.NULL:
            self._drop_token(("contact", ev.contact), int(ffi.cast("uintptr_t",
                                                                     c.contact_data)))
        return ev

    # -- events pulled ------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """Pulls the queued events, oldest first, until none is left (events raised by
        calls made inside the loop are pulled too). Needs pull_events=True."""
        if not self._pull:
            raise StateError("events(): the engine was made without pull_events=True")
        while True:
            c = lib.ccenter_engine_next_event(self._p)
            if c == ffi.NULL:
                return
            yield self._event(c)

    @property
    def pending_events(self) -> int:
        return lib.ccenter_engine_pending_events(self._p)

    # -- user data ----------------------------------------------------------------------

    def _data_of(self, ptr):
        if ptr == ffi.NULL:
            return None
        return self._ud.get(int(ffi.cast("uintptr_t", ptr)))

    def _token_for(self, value):
        if value is None:
            return ffi.NULL, 0
        t = self._next_token
        self._next_token += 1
        self._ud[t] = value
        return ffi.cast("void *", t), t

    def _bind_token(self, key, t):
        old = self._tokens.pop(key, None)
        if old is not None:
            self._ud.pop(old, None)
        if t:
            self._tokens[key] = t

    def _drop_token(self, key, t):
        self._ud.pop(t, None)
        if self._tokens.get(key) == t:
            del self._tokens[key]

    def _data(self, kind, id):
        t = self._tokens.get((kind, id))
        return None if t is None else self._ud.get(t)

    def user_data(self, obj: Union[Queue, Agent, Contact]) -> Any:
        """The user data of a Queue, Agent or Contact."""
        return obj.user_data

    def set_user_data(self, obj: Union[Queue, Agent, Contact], value: Any) -> None:
        """Replaces the user data of a Queue, Agent or Contact (allowed in callbacks)."""
        fn = {Queue: lib.ccenter_queue_set_user_data, Agent: lib.ccenter_agent_set_user_data,
              Contact: lib.ccenter_contact_set_user_data}.get(type(obj))
        if fn is None:
            raise TypeError("set_user_data: expected a Queue, Agent or Contact")
        kind = type(obj).__name__.lower()
        ptr, t = self._token_for(value)
        rc = fn(self._p, cstr(obj.id, kind + " id"), ptr)
        if rc < 0:
            self._ud.pop(t, None)
            check(rc, "set_user_data")
        self._bind_token((kind, obj.id), t)

    # -- ids ------------------------------------------------------------------------------

    def _id(self, x, what, none_ok=False):
        if isinstance(x, _Bound):
            if x.engine is not self:
                raise ValueError("%s: %r belongs to another engine" % (what, x))
            x = x.id
        return cstr(x, what, none_ok)

    @staticmethod
    def _key(x):
        return x.id if isinstance(x, _Bound) else x

    def queue(self, id: str) -> Queue:
        """The Queue object of an id (no check that it exists)."""
        cstr(id, "queue id")
        return self._queues.get(id) or Queue(self, id)

    def agent(self, id: str) -> Agent:
        cstr(id, "agent id")
        return self._agents.get(id) or Agent(self, id)

    def contact(self, id: str) -> Contact:
        cstr(id, "contact id")
        return Contact(self, id)

    def queues(self) -> List[Queue]:
        """The queues added through this object (the C API has no listing)."""
        return list(self._queues.values())

    def agents(self) -> List[Agent]:
        """The agents added through this object."""
        return list(self._agents.values())

    # -- queues ---------------------------------------------------------------------------

    def add_queue(self, id: str, user_data: Any = None, now: Time = None, *,
                  overflow: Any = None, steps: Iterable = (), thresholds: Iterable = (),
                  **settings: Any) -> Queue:
        """Creates a queue; settings (strategy, ring_timeout, wrap_up, sl_threshold, ...)
        as keyword arguments, steps as (requirement, duration) pairs."""
        p, cid, t = self._p, cstr(id, "queue id"), self._time(now)
        pairs = _settings(_QUEUE_SETTINGS, _QUEUE_KIND, settings, "add_queue")
        steps = [(cstr(r, "requirement"), duration_ms(d, "step duration")) for r, d in steps]
        ptr, tok = self._token_for(user_data)
        rc = lib.ccenter_queue_add(p, cid, ptr, t)
        if rc < 0:
            self._ud.pop(tok, None)
        self._run("add_queue %r" % (id,), rc)
        self._bind_token(("queue", id), tok)
        q = self._queues[id] = Queue(self, id)
        try:
            for opt, value in pairs:
                self._run("queue %r %s" % (id, opt.name.lower()),
                          lib.ccenter_queue_set(p, cid, opt, value, t))
            for r, d in steps:
                self._run("queue %r add_step" % (id,),
                          lib.ccenter_queue_add_step(p, cid, r, d, t))
            if overflow is not None:
                self.queue_set_overflow(q, overflow, t)
            thresholds = list(thresholds)
            if thresholds:
                self.queue_set_thresholds(q, thresholds, t)
        except BaseException:
            # All or nothing: a queue whose settings were refused is not left behind.
            lib.ccenter_queue_remove(p, cid, ffi.NULL, t)
            self._queues.pop(id, None)
            self._bind_token(("queue", id), 0)
            raise
        return q

    def remove_queue(self, queue: Any, drain_to: Any = None, now: Time = None) -> None:
        key = self._key(queue)
        self._run("remove_queue %r" % (key,), lib.ccenter_queue_remove(
            self._p, self._id(queue, "queue id"), self._id(drain_to, "drain_to", True),
            self._time(now)))
        self._queues.pop(key, None)
        self._bind_token(("queue", key), 0)

    def set_queue(self, queue: Any, now: Time = None, **settings: Any) -> None:
        p, cid, t = self._p, self._id(queue, "queue id"), self._time(now)
        for opt, value in _settings(_QUEUE_SETTINGS, _QUEUE_KIND, settings, "set_queue"):
            self._run("queue %s" % opt.name.lower(), lib.ccenter_queue_set(p, cid, opt, value, t))

    def queue_get(self, queue: Any, option: Union[QueueOption, str]) -> int:
        opt = coerce(QueueOption, option, "option")
        v = ffi.new("int64_t *")
        check(lib.ccenter_queue_get(self._p, self._id(queue, "queue id"), opt, v), "queue_get")
        kind = _QUEUE_KIND.get(opt.name.lower())
        return kind(v[0]) if isinstance(kind, type) else v[0]

    def queue_set_overflow(self, queue: Any, target: Any, now: Time = None) -> None:
        self._run("queue_set_overflow", lib.ccenter_queue_set_overflow(
            self._p, self._id(queue, "queue id"), self._id(target, "overflow", True),
            self._time(now)))

    def queue_add_step(self, queue: Any, requirement: str, duration: Duration,
                       now: Time = None) -> None:
        self._run("queue_add_step", lib.ccenter_queue_add_step(
            self._p, self._id(queue, "queue id"), cstr(requirement, "requirement"),
            duration_ms(duration, "step duration"), self._time(now)))

    def queue_clear_steps(self, queue: Any, now: Time = None) -> None:
        self._run("queue_clear_steps", lib.ccenter_queue_clear_steps(
            self._p, self._id(queue, "queue id"), self._time(now)))

    def queue_set_thresholds(self, queue: Any, thresholds: Iterable[Duration],
                             now: Time = None) -> None:
        ms = [duration_ms(d, "threshold") for d in thresholds]
        arr = ffi.new("int64_t[]", ms) if ms else ffi.NULL
        self._run("queue_set_thresholds", lib.ccenter_queue_set_thresholds(
            self._p, self._id(queue, "queue id"), arr, len(ms), self._time(now)))

    def queue_info(self, queue: Any, now: Time = None) -> QueueInfo:
        return self._info("ccenter_queue_info", lib.ccenter_queue_info_get, QueueInfo,
                          self._id(queue, "queue id"), now)

    def _info(self, ctype, fn, cls, cid, now):
        info = ffi.new(ctype + " *")
        info.size = ffi.sizeof(ctype)
        check(fn(self._p, cid, self._time(now), info), ctype[8:])
        return cls(**_fields(info))

    # -- agents ---------------------------------------------------------------------------

    def add_agent(self, id: str, user_data: Any = None, now: Time = None, *,
                  skills: Optional[Dict[str, int]] = None,
                  attrs: Optional[Dict[str, str]] = None,
                  capacity: Optional[Dict[Any, int]] = None,
                  queues: Iterable[Any] = ()) -> Agent:
        """Creates an agent (LOGGED_OUT) with its skills, attributes, capacities and the
        queues it serves (default settings)."""
        p, cid, t = self._p, cstr(id, "agent id"), self._time(now)
        ptr, tok = self._token_for(user_data)
        rc = lib.ccenter_agent_add(p, cid, ptr, t)
        if rc < 0:
            self._ud.pop(tok, None)
        self._run("add_agent %r" % (id,), rc)
        self._bind_token(("agent", id), tok)
        a = self._agents[id] = Agent(self, id)
        for k, v in (skills or {}).items():
            self.agent_set_skill(a, k, v, t)
        for k, v in (attrs or {}).items():
            self.agent_set_attr(a, k, v, t)
        for k, v in (capacity or {}).items():
            self.agent_set_capacity(a, k, v, t)
        for q in queues:
            self.agent_serve(a, q, t)
        return a

    def remove_agent(self, agent: Any, now: Time = None) -> None:
        key = self._key(agent)
        self._simple("remove_agent", lib.ccenter_agent_remove, agent, now)
        self._agents.pop(key, None)
        self._bind_token(("agent", key), 0)

    def _simple(self, what, fn, agent, now):
        """fn(engine, agent id, now): the agent calls of one shape."""
        self._run("%s %r" % (what, self._key(agent)),
                  fn(self._p, self._id(agent, "agent id"), self._time(now)))

    def agent_login(self, agent: Any, now: Time = None) -> None:
        self._simple("agent_login", lib.ccenter_agent_login, agent, now)

    def agent_logout(self, agent: Any, now: Time = None) -> None:
        self._simple("agent_logout", lib.ccenter_agent_logout, agent, now)

    def agent_ready(self, agent: Any, now: Time = None) -> None:
        self._simple("agent_ready", lib.ccenter_agent_ready, agent, now)

    def agent_not_ready(self, agent: Any, reason: Optional[str] = None,
                        now: Time = None) -> None:
        self._run("agent_not_ready", lib.ccenter_agent_not_ready(
            self._p, self._id(agent, "agent id"), cstr(reason, "reason", True),
            self._time(now)))

    def agent_serve(self, agent: Any, queue: Any, now: Time = None, *, priority: int = 0,
                    delay: Duration = 0, reserve: bool = False) -> None:
        """Puts queue in the agent's routing profile (or changes its settings)."""
        sp = ffi.new("ccenter_serve_params *")
        lib.ccenter_serve_params_init(sp)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError("priority: expected int")
        sp.priority = priority
        sp.delay_ms = duration_ms(delay, "delay")
        sp.reserve = 1 if reserve else 0
        self._run("agent_serve", lib.ccenter_agent_serve(
            self._p, self._id(agent, "agent id"), self._id(queue, "queue id"), sp,
            self._time(now)))

    def agent_unserve(self, agent: Any, queue: Any, now: Time = None) -> None:
        self._run("agent_unserve", lib.ccenter_agent_unserve(
            self._p, self._id(agent, "agent id"), self._id(queue, "queue id"),
            self._time(now)))

    def agent_set_skill(self, agent: Any, skill: str, level: int, now: Time = None) -> None:
        self._run("agent_set_skill", lib.ccenter_agent_set_skill(
            self._p, self._id(agent, "agent id"), cstr(skill, "skill"), _int(level, "level"),
            self._time(now)))

    def agent_set_attr(self, agent: Any, key: str, value: Optional[str],
                       now: Time = None) -> None:
        self._run("agent_set_attr", lib.ccenter_agent_set_attr(
            self._p, self._id(agent, "agent id"), cstr(key, "key"),
            cstr(value, "value", True), self._time(now)))

    def agent_set_capacity(self, agent: Any, channel: Any, capacity: int,
                           now: Time = None) -> None:
        c = _int(capacity, "capacity")
        if c < 0:
            raise ValueError("capacity: negative")
        self._run("agent_set_capacity", lib.ccenter_agent_set_capacity(
            self._p, self._id(agent, "agent id"), coerce(Channel, channel, "channel"), c,
            self._time(now)))

    def agent_set_overlap(self, agent: Any, busy: Any, incoming: Any, allowed: bool,
                          now: Time = None) -> None:
        self._run("agent_set_overlap", lib.ccenter_agent_set_overlap(
            self._p, self._id(agent, "agent id"), coerce(Channel, busy, "busy"),
            coerce(Channel, incoming, "incoming"), 1 if allowed else 0, self._time(now)))

    def agent_set_wrap_up(self, agent: Any, wrap_up: Optional[Duration],
                          now: Time = None) -> None:
        """The agent's own wrap-up time; None: the queues' again."""
        ms = -1 if wrap_up is None else duration_ms(wrap_up, "wrap_up")
        self._run("agent_set_wrap_up", lib.ccenter_agent_set_wrap_up(
            self._p, self._id(agent, "agent id"), ms, self._time(now)))

    def agent_info(self, agent: Any, now: Time = None) -> AgentInfo:
        return self._info("ccenter_agent_info", lib.ccenter_agent_info_get, AgentInfo,
                          self._id(agent, "agent id"), now)

    def skill_info(self, skill: str, now: Time = None) -> SkillInfo:
        return self._info("ccenter_skill_info", lib.ccenter_skill_info_get, SkillInfo,
                          cstr(skill, "skill"), now)

    # -- offers -------------------------------------------------------------------------

    def _pair(self, what, fn, agent, contact, now):
        """fn(engine, agent id, contact id, now): the offer and wrap-up calls."""
        self._run(what, fn(self._p, self._id(agent, "agent id"),
                           self._id(contact, "contact id"), self._time(now)))

    def offer_accept(self, agent: Any, contact: Any, now: Time = None) -> None:
        self._pair("offer_accept", lib.ccenter_offer_accept, agent, contact, now)

    def offer_reject(self, agent: Any, contact: Any, now: Time = None) -> None:
        self._pair("offer_reject", lib.ccenter_offer_reject, agent, contact, now)

    def offer_missed(self, agent: Any, contact: Any, now: Time = None) -> None:
        self._pair("offer_missed", lib.ccenter_offer_missed, agent, contact, now)

    def wrap_up_end(self, agent: Any, contact: Any, now: Time = None) -> None:
        self._pair("wrap_up_end", lib.ccenter_agent_wrap_up_end, agent, contact, now)

    def wrap_up_extend(self, agent: Any, contact: Any, extra: Duration,
                       now: Time = None) -> None:
        self._run("wrap_up_extend", lib.ccenter_agent_wrap_up_extend(
            self._p, self._id(agent, "agent id"), self._id(contact, "contact id"),
            duration_ms(extra, "extra"), self._time(now)))

    # -- contacts -----------------------------------------------------------------------

    def enqueue(self, id: str, queue: Any, now: Time = None, *, user_data: Any = None,
                channel: Any = Channel.VOICE, priority: int = 0,
                customer: Optional[str] = None, attrs: Optional[Dict[str, str]] = None,
                steps: Iterable = (), preferred: Iterable[Any] = (),
                preferred_timeout: Optional[Duration] = None,
                emergency: bool = False) -> Contact:
        """A contact arrives in queue; steps are (requirement, duration) pairs replacing
        the queue's, preferred the agents tried first."""
        p, cid, qid, t = self._p, cstr(id, "contact id"), self._id(queue, "queue id"), \
            self._time(now)
        cp = ffi.new("ccenter_contact_params *")
        lib.ccenter_contact_params_init(cp)
        cp.channel = coerce(Channel, channel, "channel")
        cp.priority = _int(priority, "priority")
        keep = []  # the C strings live until the call returns
        if customer is not None:
            cust = ffi.new("char[]", cstr(customer, "customer"))
            keep.append(cust)
            cp.customer = cust
        if attrs:
            if not isinstance(attrs, dict):
                raise TypeError("attrs: expected a dict")
            arr = ffi.new("ccenter_attr[]", len(attrs))
            for i, (k, v) in enumerate(attrs.items()):
                kb, vb = ffi.new("char[]", cstr(k, "attribute key")), \
                    ffi.new("char[]", cstr(v, "attribute value"))
                keep += [kb, vb]
                arr[i].key, arr[i].value = kb, vb
            cp.attrs, cp.n_attrs = arr, len(attrs)
            keep.append(arr)
        steps = list(steps)
        if steps:
            arr = ffi.new("ccenter_step[]", len(steps))
            for i, (r, d) in enumerate(steps):
                rb = ffi.new("char[]", cstr(r, "requirement"))
                keep.append(rb)
                arr[i].requirement, arr[i].duration_ms = rb, duration_ms(d, "step duration")
            cp.steps, cp.n_steps = arr, len(steps)
            keep.append(arr)
        preferred = list(preferred)
        if preferred:
            strs = [ffi.new("char[]", self._id(a, "preferred agent")) for a in preferred]
            arr = ffi.new("char *[]", strs)
            keep += strs + [arr]
            cp.preferred, cp.n_preferred = arr, len(strs)
        if preferred_timeout is not None:
            cp.preferred_timeout_ms = duration_ms(preferred_timeout, "preferred_timeout")
        cp.emergency = 1 if emergency else 0
        ptr, tok = self._token_for(user_data)
        cp.user_data = ptr
        rc = lib.ccenter_contact_enqueue(p, cid, qid, cp, t)
        if rc < 0:
            self._ud.pop(tok, None)
        else:
            self._bind_token(("contact", id), tok)
        self._run("enqueue %r" % (id,), rc)
        return Contact(self, id)

    def _c1(self, what, fn, contact, now):
        """fn(engine, contact id, now): the contact calls of one shape."""
        self._run("%s %r" % (what, self._key(contact)),
                  fn(self._p, self._id(contact, "contact id"), self._time(now)))

    def contact_abandon(self, contact: Any, now: Time = None) -> None:
        self._c1("contact_abandon", lib.ccenter_contact_abandon, contact, now)

    def contact_remove(self, contact: Any, now: Time = None) -> None:
        self._c1("contact_remove", lib.ccenter_contact_remove, contact, now)

    def contact_hold(self, contact: Any, now: Time = None) -> None:
        self._c1("contact_hold", lib.ccenter_contact_hold, contact, now)

    def contact_resume(self, contact: Any, now: Time = None) -> None:
        self._c1("contact_resume", lib.ccenter_contact_resume, contact, now)

    def contact_requeue(self, contact: Any, now: Time = None) -> None:
        self._c1("contact_requeue", lib.ccenter_contact_requeue, contact, now)

    def contact_callback(self, contact: Any, now: Time = None) -> None:
        self._c1("contact_callback", lib.ccenter_contact_callback, contact, now)

    def consult_complete(self, contact: Any, now: Time = None) -> None:
        self._c1("consult_complete", lib.ccenter_contact_consult_complete, contact, now)

    def consult_cancel(self, contact: Any, now: Time = None) -> None:
        self._c1("consult_cancel", lib.ccenter_contact_consult_cancel, contact, now)

    def contact_end(self, contact: Any, by: Any = Party.UNKNOWN, now: Time = None) -> None:
        self._run("contact_end", lib.ccenter_contact_end(
            self._p, self._id(contact, "contact id"), coerce(Party, by, "by"),
            self._time(now)))

    def contact_disposition(self, contact: Any, code: str, now: Time = None) -> None:
        self._run("contact_disposition", lib.ccenter_contact_disposition(
            self._p, self._id(contact, "contact id"), cstr(code, "code"), self._time(now)))

    def contact_survey(self, contact: Any, score: int, now: Time = None) -> None:
        self._run("contact_survey", lib.ccenter_contact_survey(
            self._p, self._id(contact, "contact id"), _int(score, "score"), self._time(now)))

    def contact_transfer(self, contact: Any, *, queue: Any = None, agent: Any = None,
                         now: Time = None) -> None:
        """Blind transfer to a queue or to an agent (exactly one of them)."""
        if (queue is None) == (agent is None):
            raise TypeError("contact_transfer: give queue or agent (one of them)")
        if queue is not None:
            self._run("transfer to a queue", lib.ccenter_contact_transfer_queue(
                self._p, self._id(contact, "contact id"), self._id(queue, "queue id"),
                self._time(now)))
        else:
            self._run("transfer to an agent", lib.ccenter_contact_transfer_agent(
                self._p, self._id(contact, "contact id"), self._id(agent, "agent id"),
                self._time(now)))

    def consult_start(self, contact: Any, agent: Any, now: Time = None) -> None:
        self._run("consult_start", lib.ccenter_contact_consult_start(
            self._p, self._id(contact, "contact id"), self._id(agent, "agent id"),
            self._time(now)))

    def contact_info(self, contact: Any, now: Time = None) -> ContactInfo:
        return self._info("ccenter_contact_info", lib.ccenter_contact_info_get, ContactInfo,
                          self._id(contact, "contact id"), now)

    def contact_attr(self, contact: Any, key: str) -> Optional[str]:
        from ccenter._strings import pystr
        return pystr(lib.ccenter_contact_attr(self._p, self._id(contact, "contact id"),
                                              cstr(key, "key")))

    # -- statistics (ccenter/stats.py) ---------------------------------------------------

    @property
    def stats(self):
        """The statistics and KPI queries (ccenter.stats.Stats)."""
        from ccenter.stats import Stats
        return Stats(self)


_PY_LEVEL = {LogLevel.ERROR: logging.ERROR, LogLevel.WARN: logging.WARNING,
             LogLevel.INFO: logging.INFO, LogLevel.DEBUG: logging.DEBUG}


def _int(v, what):
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("%s: expected int, got %s" % (what, type(v).__name__))
    return v
