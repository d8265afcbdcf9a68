"""Staffing: Erlang B, C and A, service level, ASA and the solver (docs/staffing.md).

Traffic is in erlangs (arrivals per second × mean handle time in seconds). Durations (AHT,
threshold, patience, interval) are seconds as int or float, or `datetime.timedelta`.
Each function takes a scalar or an iterable (list, tuple, range, generator, numpy array)
for any of its numeric arguments and then returns a list, element by element; several
iterables must have the same length, scalars go with every element. A staffing table for
a day is one call: `agents_needed(calls_per_interval=[...], aht=180)`.
"""
import dataclasses
import datetime as _dt
import math
from typing import Any, Iterable, List, Optional, Union

from ccenter._errors import check, error_for
from ccenter._native import ffi, lib

__all__ = [
    "ErlangMetrics", "StaffingResult", "StaffingRow", "erlang_b", "erlang_c",
    "erlang_c_metrics", "erlang_a", "service_level", "asa", "solve", "agents_needed",
    "traffic", "MAX_AGENTS", "MAX_TRAFFIC",
]

MAX_AGENTS: int = lib.CCENTER_STAFFING_MAX_AGENTS
MAX_TRAFFIC: float = lib.CCENTER_STAFFING_MAX_TRAFFIC

Number = Union[int, float]
Seconds = Union[int, float, _dt.timedelta]


@dataclasses.dataclass(frozen=True)
class ErlangMetrics:
    """What a queue model predicts for one staffing level (ccenter_erlang_metrics)."""
    agents: int
    traffic: float
    p_wait: float
    p_abandon: float
    service_level: float
    abandon_within: float
    asa_s: float
    mean_wait_s: float
    mean_queue: float
    occupancy: float


@dataclasses.dataclass(frozen=True)
class StaffingResult:
    """The solver's answer: the fewest agents meeting every target, and what they achieve."""
    traffic: float
    agents: int
    staff: int
    p_wait: float
    p_abandon: float
    service_level: float
    asa_s: float
    occupancy: float


@dataclasses.dataclass(frozen=True)
class StaffingRow(StaffingResult):
    """One interval of a staffing table (`agents_needed`)."""
    interval: int = 0
    calls: float = 0.0


def _is_vector(x):
    return not isinstance(x, (str, bytes, dict)) and hasattr(x, "__iter__")


def _broadcast(fn, args):
    """fn(*args) for scalars; element by element when any argument is an iterable."""
    args = [list(a) if _is_vector(a) else a for a in args]
    lengths = {len(a) for a in args if isinstance(a, list)}
    if not lengths:
        return fn(*args)
    if len(lengths) > 1:
        raise ValueError("the lists given have different lengths: %s" % sorted(lengths))
    n = lengths.pop()
    return [fn(*[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


def _real(x, what):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        # numpy scalars and Decimal are numbers too; anything float() takes that is not
        # text is accepted, but None, text and bools are refused outright.
        if x is None or isinstance(x, (str, bytes, bool)) or not hasattr(x, "__float__"):
            raise TypeError("%s: expected a number, got %s" % (what, type(x).__name__))
    return float(x)


def _seconds(x, what, allow_inf=False):
    """A duration in seconds (number or timedelta), refused when negative."""
    if isinstance(x, _dt.timedelta):
        s = x.total_seconds()
    else:
        s = _real(x, what)
    if s < 0:
        raise ValueError("%s: negative (%r s)" % (what, s))
    if math.isinf(s) and not allow_inf:
        raise ValueError("%s: must be finite" % what)
    return s


def _agents(n, what="agents"):
    if isinstance(n, bool) or not isinstance(n, int):
        if not (hasattr(n, "__index__") and not isinstance(n, bool)):
            raise TypeError("%s: expected an int, got %s" % (what, type(n).__name__))
        n = n.__index__()
    if n < 0:
        raise ValueError("%s: negative (%d)" % (what, n))
    if n > MAX_AGENTS:
        raise error_for(lib.CCENTER_ERANGE, "%s: %d is above %d" % (what, n, MAX_AGENTS))
    return n


def _metrics(m, agents, a):
    return ErlangMetrics(agents, a, m.p_wait, m.p_abandon, m.service_level, m.abandon_within,
                         m.asa_s, m.mean_wait_s, m.mean_queue, m.occupancy)


def _one_b(a, n):
    out = ffi.new("double *")
    check(lib.ccenter_erlang_b(_real(a, "traffic"), _agents(n), out), "erlang_b")
    return out[0]


def _one_c(a, n):
    out = ffi.new("double *")
    check(lib.ccenter_erlang_c(_real(a, "traffic"), _agents(n), out), "erlang_c")
    return out[0]


def _one_metrics(a, n, aht, threshold, patience):
    a, n = _real(a, "traffic"), _agents(n)
    aht = _seconds(aht, "aht")
    threshold = _seconds(threshold, "threshold")
    m = ffi.new("ccenter_erlang_metrics *")
    m.size = ffi.sizeof("ccenter_erlang_metrics")
    if patience is None:
        check(lib.ccenter_erlang_c_metrics(a, n, aht, threshold, m), "erlang_c_metrics")
    else:
        p = _seconds(patience, "patience", allow_inf=True)
        check(lib.ccenter_erlang_a_metrics(a, n, aht, p, threshold, m), "erlang_a")
    return _metrics(m, n, a)


def erlang_b(traffic: Any, agents: Any) -> Any:
    """Blocking probability of a loss system (M/M/N/N)."""
    return _broadcast(_one_b, [traffic, agents])


def erlang_c(traffic: Any, agents: Any) -> Any:
    """Probability of waiting (M/M/N). OutOfRange when agents <= traffic."""
    return _broadcast(_one_c, [traffic, agents])


def erlang_c_metrics(traffic: Any, agents: Any, aht: Any, threshold: Any = 20) -> Any:
    """Erlang C: every figure of `ErlangMetrics` for N agents."""
    return _broadcast(lambda a, n, h, t: _one_metrics(a, n, h, t, None),
                      [traffic, agents, aht, threshold])


def erlang_a(traffic: Any, agents: Any, aht: Any, patience: Any, threshold: Any = 20) -> Any:
    """Erlang A (M/M/N+M): as Erlang C with callers who abandon after a mean `patience`
    (float('inf') is Erlang C, 0 a loss system)."""
    return _broadcast(_one_metrics, [traffic, agents, aht, threshold, patience])


def service_level(traffic: Any, agents: Any, aht: Any, threshold: Any = 20,
                  patience: Any = None) -> Any:
    """Fraction answered within `threshold` (Erlang C, or Erlang A with a patience)."""
    return _broadcast(lambda *a: _one_metrics(*a).service_level,
                      [traffic, agents, aht, threshold, patience])


def asa(traffic: Any, agents: Any, aht: Any, patience: Any = None) -> Any:
    """Average speed of answer in seconds (Erlang C, or Erlang A with a patience)."""
    return _broadcast(lambda a, n, h, p: _one_metrics(a, n, h, 0, p).asa_s,
                      [traffic, agents, aht, patience])


def traffic(calls: Any, aht: Any, interval: Any = 1800) -> Any:
    """Offered traffic in erlangs of `calls` arrivals per `interval` with mean handle
    time `aht`: 100 calls in 30 minutes at 180 s is 10 erlangs."""
    def one(c, h, i):
        c = _real(c, "calls")
        if c < 0:
            raise ValueError("calls: negative (%r)" % c)
        i = _seconds(i, "interval")
        if i == 0:
            raise ValueError("interval: must be > 0")
        return c / i * _seconds(h, "aht")
    return _broadcast(one, [calls, aht, interval])


def _solve_one(a, aht, target_sl, threshold, target_asa, max_occupancy, max_abandon,
               shrinkage, patience, max_agents):
    p = ffi.new("ccenter_staffing_params *")
    p.size = ffi.sizeof("ccenter_staffing_params")
    check(lib.ccenter_staffing_params_init(p), "staffing params")
    p.traffic_erlangs = _real(a, "traffic")
    p.aht_s = _seconds(aht, "aht")
    p.patience_s = math.inf if patience is None else _seconds(patience, "patience", True)
    p.target_service_level = 0.0 if target_sl is None else _real(target_sl, "target_sl")
    p.threshold_s = _seconds(threshold, "threshold")
    p.target_asa_s = math.inf if target_asa is None else _seconds(target_asa, "target_asa")
    p.max_occupancy = 1.0 if max_occupancy is None else _real(max_occupancy, "max_occupancy")
    p.max_abandon = 1.0 if max_abandon is None else _real(max_abandon, "max_abandon")
    p.shrinkage = _real(shrinkage, "shrinkage")
    p.max_agents = _agents(max_agents, "max_agents")
    r = ffi.new("ccenter_staffing_result *")
    r.size = ffi.sizeof("ccenter_staffing_result")
    check(lib.ccenter_staffing_solve(p, r), "staffing solve (traffic %r)" % p.traffic_erlangs)
    return StaffingResult(p.traffic_erlangs, r.agents, r.staff, r.p_wait, r.p_abandon,
                          r.service_level, r.asa_s, r.occupancy)


def solve(traffic: Any, aht: Any, *, target_sl: Optional[Number] = 0.8,
          threshold: Seconds = 20, target_asa: Optional[Seconds] = None,
          max_occupancy: Optional[Number] = None, max_abandon: Optional[Number] = None,
          shrinkage: Number = 0.0, patience: Optional[Seconds] = None,
          max_agents: int = MAX_AGENTS) -> Any:
    """The fewest agents that meet every target (ccenter_staffing_solve): a
    `StaffingResult`, or a list of them when `traffic` (or another argument) is a list.
    `patience` None uses Erlang C, a duration Erlang A; None for a target means none.
    NoSolution when no number of agents up to `max_agents` does it."""
    return _broadcast(_solve_one, [traffic, aht, target_sl, threshold, target_asa,
                                   max_occupancy, max_abandon, shrinkage, patience,
                                   max_agents])


def agents_needed(calls_per_interval: Iterable[Number], aht: Any, *,
                  interval: Seconds = 1800, **targets: Any) -> List[StaffingRow]:
    """A staffing table: one `StaffingRow` per interval, from the calls offered in each
    (`interval` long) and the AHT (a scalar or one per interval). The keyword targets
    are `solve`'s. An interval without calls needs 0 agents."""
    calls = list(calls_per_interval) if _is_vector(calls_per_interval) else [calls_per_interval]
    loads = traffic(calls, aht, interval)
    rows = []
    ahts = list(aht) if _is_vector(aht) else [aht] * len(calls)
    for i, (c, a, h) in enumerate(zip(calls, loads, ahts)):
        if a == 0:
            rows.append(StaffingRow(0.0, 0, 0, 0.0, 0.0, 1.0, 0.0, 0.0, interval=i,
                                    calls=float(c)))
            continue
        r = solve(a, h, **targets)
        rows.append(StaffingRow(**dataclasses.asdict(r), interval=i, calls=float(c)))
    return rows
