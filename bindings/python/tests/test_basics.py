"""The package imports from the build tree, says its version, and maps every error code
to its exception class."""
import datetime as dt

import pytest

import ccenter
from ccenter import _errors, _time
from ccenter._native import lib


def test_version():
    assert ccenter.__version__.count(".") == 2


def test_every_code_has_its_class():
    codes = [v for k, v in vars(lib).items() if k.startswith("CCENTER_E") and k != "CCENTER_ERRNO_END_"
             and isinstance(v, int) and v < 0]
    assert len(codes) == -lib.CCENTER_ERRNO_END_ - 1
    seen = set()
    for c in codes:
        e = _errors.error_for(c, "doing it")
        assert isinstance(e, ccenter.Error) and type(e) is not ccenter.Error
        assert e.code == c and e.name.startswith("CCENTER_E")
        assert str(e).startswith("doing it: ")
        seen.add(type(e))
    assert len(seen) == len(codes)
    assert issubclass(ccenter.NotFound, LookupError)
    assert issubclass(ccenter.InvalidArgument, ValueError)
    assert _errors.check(3) == 3
    with pytest.raises(ccenter.NotFound):
        _errors.check(lib.CCENTER_ENOENT)


def test_times_and_durations():
    assert _time.to_ms(5) == 5
    assert _time.to_ms(dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)) == 1000
    assert _time.to_ms(dt.datetime(1970, 1, 1, 0, 0, 1)) == 1000  # naive: UTC
    assert _time.duration_ms(dt.timedelta(seconds=2, microseconds=1500)) == 2001
    with pytest.raises(TypeError):
        _time.to_ms(1.5)
    with pytest.raises(TypeError):
        _time.to_ms(True)
    with pytest.raises(ValueError):
        _time.duration_ms(-1)
    assert _time.from_ms(1000).second == 1
