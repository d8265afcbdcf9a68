"""Statistics and KPIs of an engine (include/ccenter/stats.h), as plain data.

`engine.stats.queue("sales")` gives a `QueueStats` (a frozen dataclass: counters as ints,
`dataclasses.asdict()` or `.asdict()` go straight into pandas), `engine.stats.agent(...)` an
`AgentStats`; their KPI methods return a float, or None where the denominator is zero.
Times are ms; `start`/`end` default to every interval kept. The queue_log export:
`engine.stats.attach_queue_log(fn)` calls fn(line) for each Asterisk queue_log line.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, List, Optional

from ccenter._callbacks import Collector
from ccenter._convert import fields as _fields
from ccenter._errors import check
from ccenter._native import ffi, lib
from ccenter._strings import cstr
from ccenter._time import to_ms
from ccenter.enums import SLVariant, coerce


class _Counters:
    _ctype = ""

    def asdict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def _c(self):
        d = self.asdict()
        d["from"] = d.pop("from_")
        d["size"] = ffi.sizeof(self._ctype)
        return ffi.new(self._ctype + " *", d)

    def _kpi(self, fn, *args):
        out = ffi.new("double *")
        rc = fn(self._c(), *args, out)
        if rc == lib.CCENTER_ERANGE:
            return None  # zero denominator: no value, not an error
        check(rc, fn.__name__)
        return out[0]


@dataclasses.dataclass(frozen=True)
class QueueStats(_Counters):
    """ccenter_queue_stats: docs/statistics.md defines every counter."""
    intervals: int
    from_: int
    to: int
    threshold_ms: int
    n_extra: int
    extra_ms: List[int]
    offered: int
    contacts: int
    answered: int
    answered_within: int
    abandoned: int
    short_abandoned: int
    abandoned_within: int
    timed_out: int
    exit_empty: int
    removed: int
    overflowed_out: int
    overflowed_in: int
    moved_out: int
    moved_in: int
    transferred_out: int
    transferred_out_agent: int
    transferred_out_consult: int
    transferred_in: int
    requeued: int
    waiting: int
    callbacks_offered: int
    callbacks_requested: int
    callbacks_completed: int
    repeat_contacts: int
    handled: int
    dispositions: int
    surveys: int
    survey_sum: int
    survey_hist: List[int]
    answered_within_extra: List[int]
    abandoned_within_extra: List[int]
    wait_answered_ms: int
    wait_abandoned_ms: int
    max_wait_answered_ms: int
    max_wait_abandoned_ms: int
    talk_ms: int
    hold_ms: int
    wrap_ms: int

    _ctype = "ccenter_queue_stats"

    def service_level(self, variant: Any = SLVariant.ABANDONS_IGNORED,
                      threshold: Optional[int] = None) -> Optional[float]:
        """Service level 0..1 at the queue's threshold, or at extra threshold index
        `threshold` (0..n_extra-1)."""
        v = coerce(SLVariant, variant, "variant")
        if threshold is None:
            return self._kpi(lib.ccenter_kpi_service_level, v)
        return self._kpi(lib.ccenter_kpi_service_level_extra, v, threshold)

    def asa(self) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_asa)

    def aht(self) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_aht)

    def abandon_rate(self, exclude_short: bool = False) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_abandon_rate, 1 if exclude_short else 0)

    def transfer_rate(self) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_transfer_rate)

    def repeat_rate(self) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_repeat_rate)

    def kpis(self) -> Dict[str, Optional[float]]:
        """Every KPI of the queue as a dict (service levels per variant)."""
        d = {"sl_" + v.name.lower(): self.service_level(v) for v in SLVariant}
        d.update(asa=self.asa(), aht=self.aht(), abandon_rate=self.abandon_rate(),
                 abandon_rate_excl_short=self.abandon_rate(True),
                 transfer_rate=self.transfer_rate(), repeat_rate=self.repeat_rate())
        return d


@dataclasses.dataclass(frozen=True)
class AgentStats(_Counters):
    """ccenter_agent_stats."""
    intervals: int
    from_: int
    to: int
    logged_in_ms: int
    ready_ms: int
    ready_idle_ms: int
    not_ready_ms: int
    talk_ms: int
    hold_ms: int
    wrap_ms: int
    logins: int
    logouts: int
    offered: int
    answered: int
    missed: int
    rejected: int
    handled: int
    transfers: int

    _ctype = "ccenter_agent_stats"

    def occupancy(self) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_occupancy)

    def utilisation(self) -> Optional[float]:
        return self._kpi(lib.ccenter_kpi_utilisation)

    def kpis(self) -> Dict[str, Optional[float]]:
        return {"occupancy": self.occupancy(), "utilisation": self.utilisation()}


def _counters(cls, c):
    d = _fields(c)
    d["from_"] = d.pop("from")
    return cls(**d)


class QueueLog:
    """An attached queue_log export (Stats.attach_queue_log)."""

    def __init__(self, engine, fn):
        self._engine = engine
        self._fn = fn
        self._ptr = ffi.NULL
        self._handle = ffi.new_handle(self)

    def _c_line(self, line):
        self._fn(line)

    def _keep(self, exc):
        self._engine._keep(exc)

    @property
    def dropped(self) -> int:
        return lib.ccenter_queue_log_dropped(self._ptr)

    def _detach(self):
        if self._ptr != ffi.NULL:
            lib.ccenter_queue_log_detach(self._ptr)
            self._ptr = ffi.NULL

    def detach(self) -> None:
        """Stops the export (not from inside a callback)."""
        if self._engine._depth:
            check(lib.CCENTER_ECALLBACK, "detach")
        self._detach()
        if self in self._engine._sinks:
            self._engine._sinks.remove(self)


class Stats:
    """The statistics queries of one engine (Engine.stats)."""

    def __init__(self, engine):
        self._e = engine

    def _range(self, start, end):
        lo = lib.CCENTER_TIME_MIN if start is None else to_ms(start, "start")
        hi = lib.CCENTER_TIME_MAX if end is None else to_ms(end, "end")
        return lo, hi

    def interval_start(self, t: Any) -> int:
        """The start of the statistics interval that contains t."""
        return lib.ccenter_stats_interval_start(self._e._p, to_ms(t, "t"))

    def queue(self, queue: Any, start: Any = None, end: Any = None) -> QueueStats:
        """The queue's counters summed over the kept intervals overlapping [start, end)."""
        p, cid = self._e._p, self._e._id(queue, "queue id")
        s = ffi.new("ccenter_queue_stats *")
        s.size = ffi.sizeof("ccenter_queue_stats")
        check(lib.ccenter_stats_queue(p, cid, *self._range(start, end), s), "stats.queue")
        return _counters(QueueStats, s)

    def agent(self, agent: Any, start: Any = None, end: Any = None,
              now: Any = None) -> AgentStats:
        """The agent's counters over [start, end), with the time accrued up to now."""
        p, cid = self._e._p, self._e._id(agent, "agent id")
        s = ffi.new("ccenter_agent_stats *")
        s.size = ffi.sizeof("ccenter_agent_stats")
        check(lib.ccenter_stats_agent(p, cid, *self._range(start, end),
                                      self._now(now), s), "stats.agent")
        return _counters(AgentStats, s)

    def _now(self, now):
        return self._e.now if now is None and self._e._clock is None else self._e._time(now)

    def _collect(self, what, call):
        col = Collector()
        rc = call(col.handle)
        if col.exc is not None:
            raise col.exc
        check(rc, what)
        return dict(col.items)

    def queue_dispositions(self, queue: Any, start: Any = None,
                           end: Any = None) -> Dict[str, int]:
        """Disposition code -> how often it was recorded on the queue's contacts."""
        p, cid = self._e._p, self._e._id(queue, "queue id")
        lo, hi = self._range(start, end)
        return self._collect("stats.queue_dispositions", lambda h: (
            lib.ccenter_stats_queue_dispositions(p, cid, lo, hi, lib._ccpy_code, h)))

    def agent_not_ready(self, agent: Any, start: Any = None, end: Any = None,
                        now: Any = None) -> Dict[str, int]:
        """Not-ready reason -> ms spent in it."""
        p, cid = self._e._p, self._e._id(agent, "agent id")
        lo, hi = self._range(start, end)
        t = self._now(now)
        return self._collect("stats.agent_not_ready", lambda h: (
            lib.ccenter_stats_agent_not_ready(p, cid, lo, hi, t, lib._ccpy_reason, h)))

    @property
    def dropped(self) -> int:
        """Events the statistics could not record completely."""
        return lib.ccenter_stats_dropped(self._e._p)

    def attach_queue_log(self, fn: Callable[[str], None], epoch_offset: int = 0) -> QueueLog:
        """fn(line) for every event with an Asterisk queue_log line (no newline), from now
        on; epoch_offset ms are added to the engine time for the line's epoch. An
        exception of fn is re-raised from the engine call, as on_event's."""
        if not callable(fn):
            raise TypeError("attach_queue_log: fn must be callable")
        e = self._e
        ql = QueueLog(e, fn)
        out = ffi.new("ccenter_queue_log **")
        if e._depth:
            check(lib.CCENTER_ECALLBACK, "attach_queue_log")
        check(lib.ccenter_queue_log_attach(e._p, to_ms(epoch_offset, "epoch_offset"),
                                           lib._ccpy_queue_log, ql._handle, out),
              "attach_queue_log")
        ql._ptr = out[0]
        e._sinks.append(ql)
        return ql
