"""Business calendars (docs/calendars.md): local time, opening hours, holidays, and the
deadline arithmetic of bank workflows.

Instants are int milliseconds since the Unix epoch (UTC) or `datetime.datetime` (a naive
one is UTC). A query returns the same kind it was given: an int for an int, an aware UTC
datetime for a datetime. Shipped calendars load by name: `Calendar.shipped("us-frb-2026")`.
"""
import dataclasses
import datetime as _dt
import os
import sys
from typing import Iterator, List, Optional, Union

from ccenter._errors import check, error_for
from ccenter._native import ffi, lib
from ccenter._strings import cstr, pystr
from ccenter._time import duration_ms, from_ms, to_ms

__all__ = ["Calendar", "Civil", "Weekday", "load_calendar", "calendars", "data_dirs"]

Time = Union[int, _dt.datetime]


class Weekday:
    """ISO 8601 weekday numbers, as the C API takes them."""
    MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(1, 8)


_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _weekday(d):
    if isinstance(d, str):
        k = d[:3].lower()
        if k not in _DAYS:
            raise ValueError("weekday: %r is not a day name" % d)
        return _DAYS[k]
    if isinstance(d, bool) or not isinstance(d, int):
        raise TypeError("weekday: expected 1..7 or a day name, got %s" % type(d).__name__)
    return d


@dataclasses.dataclass(frozen=True)
class Civil:
    """Local civil time with its weekday (ISO, 1 = Monday) and UTC offset in seconds."""
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    ms: int
    weekday: int
    offset_s: int

    def to_datetime(self) -> _dt.datetime:
        tz = _dt.timezone(_dt.timedelta(seconds=self.offset_s))
        return _dt.datetime(self.year, self.month, self.day, self.hour, self.minute,
                            self.second, self.ms * 1000, tzinfo=tz)


def data_dirs() -> List[str]:
    """Where shipped calendars and workflow templates are looked for, in order:
    $CCENTER_DATA_DIR, then share/ccenter under the interpreter's prefixes and the
    usual system prefixes."""
    dirs = []
    env = os.environ.get("CCENTER_DATA_DIR")
    if env:
        dirs.append(env)
    for prefix in (sys.prefix, sys.base_prefix, "/usr/local", "/usr"):
        d = os.path.join(prefix, "share", "ccenter")
        if d not in dirs:
            dirs.append(d)
    return dirs


def _shipped(kind, ext, name):
    """The path of a shipped file `name` (file stem, case-insensitive) of `kind`."""
    if not isinstance(name, str):
        raise TypeError("%s name: expected str, got %s" % (kind, type(name).__name__))
    want = name.lower()
    if want.endswith(ext):
        want = want[:-len(ext)]
    for d in data_dirs():
        sub = os.path.join(d, kind)
        if not os.path.isdir(sub):
            continue
        for f in sorted(os.listdir(sub)):
            if f.endswith(ext) and f[:-len(ext)].lower() == want:
                return os.path.join(sub, f)
    raise error_for(lib.CCENTER_ENOENT, "no shipped %s named %r in %s"
                    % (kind[:-1], name, ", ".join(data_dirs())))


def _listing(kind, ext):
    names = set()
    for d in data_dirs():
        sub = os.path.join(d, kind)
        if os.path.isdir(sub):
            names.update(f[:-len(ext)] for f in os.listdir(sub) if f.endswith(ext))
    return sorted(names)


def calendars() -> List[str]:
    """The names of the shipped calendars found (file stems: "us-frb-2026", ...)."""
    return _listing("calendars", ".cal")


def _parse_error():
    e = ffi.new("ccenter_parse_error *")
    e.size = ffi.sizeof("ccenter_parse_error")
    return e


def _raise_parse(rc, err, what):
    """The error of a parse or check, with the library's "source:line: what" message."""
    msg = ffi.string(err.message).decode("utf-8", "replace") if err.message[0] else ""
    exc = error_for(rc, "%s: %s" % (what, msg) if msg else what)
    exc.line = err.line
    raise exc


def _parsed(ctype, parse, text, source):
    """The object a ccenter_*_parse function builds from text, or its ParseError."""
    kind = ctype[len("ccenter_"):]
    b = cstr(text, kind + " text")
    out = ffi.new(ctype + " **")
    err = _parse_error()
    rc = parse(ffi.NULL, b, len(b), cstr(source, "source", none_ok=True), out, err)
    if rc < 0:
        _raise_parse(rc, err, kind)
    return out[0]


def _loaded(ctype, load, path):
    """The object a ccenter_*_load_file function reads from a file."""
    p = os.fspath(path) if isinstance(path, os.PathLike) else path
    out = ffi.new(ctype + " **")
    err = _parse_error()
    rc = load(ffi.NULL, cstr(p, "path"), out, err)
    if rc < 0:
        _raise_parse(rc, err, "%s file %s" % (ctype[len("ccenter_"):], p))
    return out[0]


def _written(writer, obj):
    """The text of a ccenter_*_write-style function (size query, then the text)."""
    need = ffi.new("size_t *")
    rc = writer(obj, ffi.NULL, 0, need)
    if rc != lib.CCENTER_ERANGE:
        check(rc, "write")
    buf = ffi.new("char[]", need[0] + 1)
    check(writer(obj, buf, need[0] + 1, need), "write")
    return ffi.string(buf, need[0]).decode("utf-8", "surrogateescape")


def _like(ms, t):
    """ms as the kind of `t`: a UTC datetime for a datetime, else int."""
    return from_ms(ms) if isinstance(t, _dt.datetime) else ms


def _date(d, what="date"):
    if isinstance(d, _dt.datetime):
        d = d.date()
    if isinstance(d, str):
        try:
            d = _dt.date.fromisoformat(d)
        except ValueError:
            raise ValueError("%s: %r is not an ISO date (YYYY-MM-DD)" % (what, d)) from None
    if not isinstance(d, _dt.date):
        raise TypeError("%s: expected a date or 'YYYY-MM-DD', got %s" % (what, type(d).__name__))
    return d


def _time_of_day(x, what):
    """ms into the day from a datetime.time, a timedelta, 'HH:MM' or int ms."""
    if isinstance(x, _dt.time):
        return ((x.hour * 60 + x.minute) * 60 + x.second) * 1000 + x.microsecond // 1000
    if isinstance(x, str):
        if x == "24:00":
            return 86400000
        return _time_of_day(_dt.time.fromisoformat(x), what)
    return duration_ms(x, what)


def _offset_s(x, what="offset"):
    if isinstance(x, _dt.timedelta):
        return int(x.total_seconds())
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError("%s: expected seconds (int) or timedelta, got %s"
                        % (what, type(x).__name__))
    return x


class Calendar:
    """A business calendar (ccenter_calendar). `Calendar(name)` starts as UTC, Monday to
    Friday open all day; `Calendar.parse(text)`, `Calendar.load(path)` and
    `Calendar.shipped(name)` read the text format."""

    def __init__(self, name: str = "UTC", *, _ptr=None):
        if _ptr is None:
            out = ffi.new("ccenter_calendar **")
            check(lib.ccenter_calendar_new(ffi.NULL, cstr(name, "calendar name"), out),
                  "calendar %r" % (name,))
            _ptr = out[0]
        self._ptr = ffi.gc(_ptr, lib.ccenter_calendar_free)

    @classmethod
    def parse(cls, text: str, source: Optional[str] = None) -> "Calendar":
        return cls(_ptr=_parsed("ccenter_calendar", lib.ccenter_calendar_parse, text, source))

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Calendar":
        return cls(_ptr=_loaded("ccenter_calendar", lib.ccenter_calendar_load_file, path))

    @classmethod
    def shipped(cls, name: str) -> "Calendar":
        """A shipped calendar by file stem ("cn-2026", "gb-eaw-2026", "us-frb-2026")."""
        return cls.load(_shipped("calendars", ".cal", name))

    @property
    def name(self) -> str:
        return pystr(lib.ccenter_calendar_name(self._ptr))

    def copy(self) -> "Calendar":
        out = ffi.new("ccenter_calendar **")
        check(lib.ccenter_calendar_clone(self._ptr, out), "calendar clone")
        return Calendar(_ptr=out[0])

    __copy__ = copy

    def text(self) -> str:
        """The canonical text form: Calendar.parse(c.text()) equals c."""
        return _written(lib.ccenter_calendar_write, self._ptr)

    def __repr__(self):
        return "<Calendar %s>" % self.name

    def __eq__(self, other):
        return isinstance(other, Calendar) and self.text() == other.text()

    __hash__ = None

    # Building
    def set_offset(self, offset) -> None:
        check(lib.ccenter_calendar_set_offset(self._ptr, _offset_s(offset)), "set_offset")

    def add_transition(self, at: Time, offset) -> None:
        check(lib.ccenter_calendar_add_transition(self._ptr, to_ms(at, "at"), _offset_s(offset)),
              "add_transition")

    def add_hours(self, weekday, open, close) -> None:
        """Opens a weekday (1..7 or "mon".."sun") from `open` to `close` local time
        (datetime.time, "HH:MM", timedelta or ms into the day; "24:00" is midnight)."""
        check(lib.ccenter_calendar_add_hours(self._ptr, _weekday(weekday),
                                             _time_of_day(open, "open"),
                                             _time_of_day(close, "close")), "add_hours")

    def clear_hours(self, weekday) -> None:
        check(lib.ccenter_calendar_clear_hours(self._ptr, _weekday(weekday)), "clear_hours")

    def add_holiday(self, date) -> None:
        d = _date(date)
        check(lib.ccenter_calendar_add_holiday(self._ptr, d.year, d.month, d.day),
              "add_holiday %s" % d)

    def add_working_day(self, date, as_weekday) -> None:
        d = _date(date)
        check(lib.ccenter_calendar_add_working_day(self._ptr, d.year, d.month, d.day,
                                                   _weekday(as_weekday)),
              "add_working_day %s" % d)

    def load_tzif(self, zone: str, start: Time, end: Time) -> None:
        """Offsets from the system's zoneinfo ("Europe/London") for [start, end)."""
        check(lib.ccenter_calendar_load_tzif(self._ptr, cstr(zone, "zone"),
                                             to_ms(start, "start"), to_ms(end, "end")),
              "load_tzif %s" % zone)

    # Queries
    def offset_at(self, t: Time) -> _dt.timedelta:
        out = ffi.new("int32_t *")
        check(lib.ccenter_calendar_offset_at(self._ptr, to_ms(t), out), "offset_at")
        return _dt.timedelta(seconds=out[0])

    def to_civil(self, t: Time) -> Civil:
        c = ffi.new("ccenter_civil *")
        c.size = ffi.sizeof("ccenter_civil")
        check(lib.ccenter_calendar_to_civil(self._ptr, to_ms(t), c), "to_civil")
        return Civil(c.year, c.month, c.day, c.hour, c.minute, c.second, c.ms, c.weekday,
                     c.offset_s)

    def local(self, t: Time) -> _dt.datetime:
        """Instant t as an aware datetime in the calendar's local time."""
        return self.to_civil(t).to_datetime()

    def from_local(self, local: _dt.datetime) -> int:
        """The instant (ms) of a local civil time given as a naive datetime (or a date:
        its midnight). A skipped local time maps to the end of the skip."""
        if isinstance(local, _dt.date) and not isinstance(local, _dt.datetime):
            local = _dt.datetime(local.year, local.month, local.day)
        if not isinstance(local, _dt.datetime):
            raise TypeError("local: expected a naive datetime, got %s" % type(local).__name__)
        if local.tzinfo is not None:
            raise ValueError("local: expected a naive (local) datetime")
        c = ffi.new("ccenter_civil *")
        c.size = ffi.sizeof("ccenter_civil")
        c.year, c.month, c.day = local.year, local.month, local.day
        c.hour, c.minute, c.second = local.hour, local.minute, local.second
        c.ms = local.microsecond // 1000
        out = ffi.new("int64_t *")
        check(lib.ccenter_calendar_from_civil(self._ptr, c, out), "from_civil")
        return out[0]

    def is_business_day(self, date) -> bool:
        d = _date(date)
        return check(lib.ccenter_calendar_is_business_day(self._ptr, d.year, d.month, d.day),
                     "is_business_day %s" % d) == 1

    def is_open(self, t: Time) -> bool:
        return check(lib.ccenter_calendar_is_open(self._ptr, to_ms(t)), "is_open") == 1

    def _instant(self, fn, t, *args):
        out = ffi.new("int64_t *")
        check(fn(self._ptr, to_ms(t), *args, out), fn.__name__)
        return _like(out[0], t)

    def next_open(self, t: Time) -> Time:
        return self._instant(lib.ccenter_calendar_next_open, t)

    def add_business_days(self, t: Time, n: int, same_time: bool = False) -> Time:
        """n business days after t: the close of that day, or with same_time the same
        local time of day."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("n: expected an int, got %s" % type(n).__name__)
        mode = lib.CCENTER_BDAY_SAME_TIME if same_time else lib.CCENTER_BDAY_END_OF_DAY
        return self._instant(lib.ccenter_calendar_add_business_days, t, n, mode)

    def add_business_time(self, t: Time, duration) -> Time:
        return self._instant(lib.ccenter_calendar_add_business_time, t,
                             duration_ms(duration, "duration"))

    def business_time_between(self, t0: Time, t1: Time):
        """Opening time between t0 and t1: int ms, or a timedelta for datetimes."""
        out = ffi.new("int64_t *")
        check(lib.ccenter_calendar_business_time_between(self._ptr, to_ms(t0), to_ms(t1), out),
              "business_time_between")
        return _dt.timedelta(milliseconds=out[0]) if isinstance(t0, _dt.datetime) else out[0]

    def _int_n(self, fn, t, n):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("n: expected an int, got %s" % type(n).__name__)
        return self._instant(fn, t, n)

    def add_days(self, t: Time, n: int) -> Time:
        return self._int_n(lib.ccenter_calendar_add_days, t, n)

    def add_months(self, t: Time, n: int) -> Time:
        return self._int_n(lib.ccenter_calendar_add_months, t, n)

    def business_days(self, start, end) -> Iterator[_dt.date]:
        """The business days from date start to date end, both included."""
        d, e = _date(start), _date(end)
        while d <= e:
            if self.is_business_day(d):
                yield d
            d += _dt.timedelta(days=1)


def load_calendar(name_or_path: str) -> Calendar:
    """A shipped calendar by name, or a calendar file by path."""
    if isinstance(name_or_path, (str, os.PathLike)) and os.path.sep in os.fspath(name_or_path):
        return Calendar.load(name_or_path)
    return Calendar.shipped(name_or_path)
