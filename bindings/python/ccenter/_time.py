"""Times and durations as the C API takes them: milliseconds as int.

A time is an int (milliseconds since the Unix epoch, the engine's own scale: any origin
the integrator keeps consistently) or a `datetime.datetime` (aware; a naive one is taken
as UTC). A duration is an int of milliseconds or a `datetime.timedelta`. Anything else is
a TypeError, a negative duration a ValueError: never a silent conversion.
"""
import datetime as _dt

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_ms(t, what="time"):
    if isinstance(t, bool):
        raise TypeError("%s: a bool is not a time" % what)
    if isinstance(t, int):
        return t
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        d = t - _EPOCH
        return (d.days * 86400 + d.seconds) * 1000 + d.microseconds // 1000
    raise TypeError("%s: expected int milliseconds or datetime, got %s"
                    % (what, type(t).__name__))


def duration_ms(d, what="duration", allow_negative=False):
    if isinstance(d, bool):
        raise TypeError("%s: a bool is not a duration" % what)
    if isinstance(d, _dt.timedelta):
        ms = (d.days * 86400 + d.seconds) * 1000 + d.microseconds // 1000
    elif isinstance(d, int):
        ms = d
    else:
        raise TypeError("%s: expected int milliseconds or timedelta, got %s"
                        % (what, type(d).__name__))
    if ms < 0 and not allow_negative:
        raise ValueError("%s: negative (%d ms)" % (what, ms))
    return ms


def from_ms(ms):
    """A UTC datetime for engine time ms (for display; the API returns ints)."""
    return _EPOCH + _dt.timedelta(milliseconds=ms)
