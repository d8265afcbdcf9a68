"""Calendars: the shipped ones by name, the text format both ways, every query with ints
and datetimes. Well under a second."""
import datetime as dt

import pytest

import ccenter
from ccenter.calendar import Calendar, Weekday

UTC = dt.timezone.utc


def test_shipped_and_text():
    assert {"cn-2026", "gb-eaw-2026", "us-frb-2026"} <= set(ccenter.calendars())
    us = ccenter.load_calendar("US-FRB-2026")
    assert us.name == "US-FRB-2026"
    assert Calendar.parse(us.text()) == us
    assert us.copy() == us and us.copy() is not us
    assert not us.is_business_day("2026-07-04") and us.is_business_day(dt.date(2026, 7, 3))
    assert not us.is_business_day("2026-12-25")
    cn = Calendar.shipped("cn-2026")
    assert cn.is_business_day("2026-01-04")  # an extra working day on a Sunday
    with pytest.raises(ccenter.NotFound):
        Calendar.shipped("xx-1999")


def test_queries():
    us = Calendar.shipped("us-frb-2026")
    fri = dt.datetime(2026, 7, 3, 20, 0, tzinfo=UTC)  # 16:00 EDT, open
    assert us.is_open(fri)
    assert us.offset_at(fri) == dt.timedelta(hours=-4)
    loc = us.local(fri)
    assert (loc.hour, loc.utcoffset()) == (16, dt.timedelta(hours=-4))
    assert us.to_civil(fri).weekday == Weekday.FRIDAY
    ms = int(fri.timestamp() * 1000)
    assert us.from_local(dt.datetime(2026, 7, 3, 16)) == ms
    nxt = us.next_open(fri + dt.timedelta(hours=2))
    assert nxt == dt.datetime(2026, 7, 6, 13, 0, tzinfo=UTC)  # Monday 09:00 EDT
    assert us.next_open(ms + 2 * 3600000) == int(nxt.timestamp() * 1000)
    assert us.add_business_days(fri, 1) == dt.datetime(2026, 7, 6, 21, tzinfo=UTC)
    assert us.add_business_days(fri, 1, same_time=True) == dt.datetime(2026, 7, 6, 20,
                                                                         tzinfo=UTC)
    assert us.add_business_time(fri, dt.timedelta(hours=2)) == dt.datetime(2026, 7, 6, 14,
                                                                              tzinfo=UTC)
    assert us.business_time_between(fri, fri + dt.timedelta(days=3)) == dt.timedelta(hours=8)
    assert us.business_time_between(ms, ms + 3600000) == 3600000
    assert us.add_days(ms, 1) == ms + 86400000
    assert us.add_months(fri, -1) == dt.datetime(2026, 6, 3, 20, tzinfo=UTC)
    assert list(us.business_days("2026-07-02", "2026-07-06")) == [
        dt.date(2026, 7, 2), dt.date(2026, 7, 3), dt.date(2026, 7, 6)]


def test_build():
    c = Calendar("BACK-OFFICE")
    c.set_offset(dt.timedelta(hours=1))
    c.add_transition(dt.datetime(2026, 3, 29, 1, tzinfo=UTC), 7200)
    for d in ("mon", "tue", "wed", "thu", "fri"):
        c.clear_hours(d)
        c.add_hours(d, "09:00", dt.time(17))
    c.add_hours(Weekday.SATURDAY, 9 * 3600000, dt.timedelta(hours=12))
    c.add_holiday("2026-12-25")
    c.add_working_day("2026-12-27", "mon")
    assert c.is_business_day("2026-12-27") and not c.is_business_day("2026-12-25")
    assert c.offset_at(dt.datetime(2026, 6, 1, tzinfo=UTC)) == dt.timedelta(hours=2)
    assert Calendar.parse(c.text(), "x.cal") == c
    with pytest.raises(ccenter.AlreadyExists):
        c.add_holiday(dt.date(2026, 12, 25))
    with pytest.raises(ccenter.InvalidArgument):
        c.add_hours("mon", "10:00", "11:00")  # overlaps
    with pytest.raises(ccenter.OutOfRange):
        c.set_offset(20 * 3600)
    with pytest.raises(ccenter.ParseError) as ei:
        Calendar.parse("calendar X\nhours someday 09:00-10:00\n", "bad.cal")
    assert "bad.cal:2" in str(ei.value) and ei.value.line == 2
    with pytest.raises(ccenter.StoreIOError):
        Calendar.load("/nonexistent/x.cal")
    never = Calendar("NEVER")
    for d in range(1, 8):
        never.clear_hours(d)
    with pytest.raises(ccenter.NotFound):
        never.next_open(0)
