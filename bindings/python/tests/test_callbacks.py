"""Callbacks from C into Python never crash: an exception in on_event (or the deadline
hook, the log, the queue_log sink) is kept, the rest of the call's events still reach
on_event, and the call that delivered them raises it after the engine returned."""
import logging

import pytest

import ccenter
from ccenter import EventType


class Boom(Exception):
    pass


def test_exception_in_on_event_is_raised_from_the_call():
    got = []

    def handler(ev):
        got.append(ev.type)
        if ev.type == EventType.CONTACT_QUEUED:
            raise Boom("queued")

    with ccenter.Engine(0, on_event=handler) as e:
        q = e.add_queue("q", now=0)
        a = e.add_agent("a", now=0, queues=[q])
        a.login(0)
        a.ready(0)
        with pytest.raises(Boom):
            e.enqueue("c", q, 1)
        # The later event of the same call still reached the handler; the engine went on.
        assert got[-2:] == [EventType.CONTACT_QUEUED, EventType.CONTACT_OFFERED]
        assert e.contact_info("c", 1).state is ccenter.ContactState.OFFERED
        a.accept("c", 2)  # nothing kept any more: the next call is clean
        assert got[-1] == EventType.CONTACT_CONNECTED


def test_several_exceptions_first_wins_others_noted():
    def handler(ev):
        raise Boom(ev.type.name)

    with ccenter.Engine(0, on_event=handler) as e:
        e.add_queue("q", now=0)
        with pytest.raises(Boom) as info:
            e.add_agent("a", now=0, queues=["q"])
        assert str(info.value) == "AGENT_SERVE"


def test_keyboard_interrupt_is_kept_too():
    def handler(ev):
        raise KeyboardInterrupt

    with ccenter.Engine(0, on_event=handler) as e:
        e.add_queue("q", now=0)
        with pytest.raises(KeyboardInterrupt):
            e.enqueue("c", "q", 1)
        assert e.queue_info("q", 1).waiting == 1


def test_state_changes_inside_the_callback_are_refused():
    errors = []

    def handler(ev):
        try:
            e.add_queue("other", now=ev.time)
        except ccenter.CallbackError as x:
            errors.append(x)
        # queries work inside
        assert e.queue_info("q", ev.time).waiting == 1
        with pytest.raises(ccenter.CallbackError):
            e.close()

    e = ccenter.Engine(0, on_event=handler, event_mask=[EventType.CONTACT_QUEUED])
    e.add_queue("q", now=0)
    e.enqueue("c", "q", 1)
    assert len(errors) == 1 and errors[0].code == ccenter.CallbackError.code
    e.close()


def test_deadline_hook_exception():
    def hook(d):
        raise Boom("hook")

    with ccenter.Engine(0) as e:
        with pytest.raises(Boom):
            e.set_deadline_hook(hook)  # called once at once
        e.add_queue("q", now=0)


def _log_through_c(e, level, text):
    # The library logs only on rare failures (out of memory, a refused step): the
    # trampoline is called as the library would call it.
    from ccenter._native import ffi, lib
    lib._ccpy_log(e._handle, level, ffi.new("char[]", text.encode()))


def test_log_function_and_logger(caplog):
    lines = []
    with ccenter.Engine(0, log=lambda lvl, msg: lines.append((lvl, msg)),
                        log_level="debug") as e:
        _log_through_c(e, 1, "careful")
        e.add_queue("q", now=0)
    assert lines == [(ccenter.LogLevel.WARN, "careful")]
    log = logging.getLogger("ccenter-test")
    with caplog.at_level(logging.DEBUG, logger="ccenter-test"):
        with ccenter.Engine(0, log=log, log_level=ccenter.LogLevel.DEBUG) as e:
            _log_through_c(e, 0, "bad")
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_log_exception_is_kept():
    def bad(level, msg):
        raise Boom(msg)

    with ccenter.Engine(0, log=bad) as e:
        _log_through_c(e, 0, "x")
        with pytest.raises(Boom):
            e.add_queue("q", now=0)
        e.add_queue("r", now=0)
