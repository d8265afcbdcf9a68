"""The trampolines from C into Python (declared `extern "Python"` in build_ffi.py).

The C user data of each is a handle (ffi.new_handle) of a Python target. A trampoline
never lets an exception out into C: what a target raises, KeyboardInterrupt included, is
given to the target's `_keep(exc)`, and the Python call that made the C call re-raises it
after the C call returned (the library is then consistent: it only saw a callback return).
"""
from ccenter._native import ffi
from ccenter._strings import pystr


def _guard(ud, method, *args):
    target = ffi.from_handle(ud)
    try:
        getattr(target, method)(*args)
    except BaseException as exc:  # noqa: B902 - everything must stop here, not in C
        target._keep(exc)


@ffi.def_extern()
def _ccpy_event(engine, ev, ud):
    _guard(ud, "_c_event", ev)


@ffi.def_extern()
def _ccpy_deadline(ud, deadline):
    _guard(ud, "_c_deadline", deadline)


@ffi.def_extern()
def _ccpy_log(ud, level, msg):
    _guard(ud, "_c_log", level, pystr(msg))


@ffi.def_extern()
def _ccpy_code(ud, code, count):
    _guard(ud, "_c_item", pystr(code), count)


@ffi.def_extern()
def _ccpy_reason(ud, reason, ms):
    _guard(ud, "_c_item", pystr(reason), ms)


@ffi.def_extern()
def _ccpy_queue_log(ud, line, n):
    _guard(ud, "_c_line", ffi.unpack(line, n).decode("utf-8", "surrogateescape"))


class Collector:
    """A target that gathers (name, value) pairs, for the iterating statistics calls."""

    def __init__(self):
        self.items = []
        self.exc = None
        self.handle = ffi.new_handle(self)

    def _c_item(self, name, value):
        self.items.append((name, value))

    def _keep(self, exc):
        if self.exc is None:
            self.exc = exc


@ffi.def_extern()
def _ccpy_case_event(cases, ev, ud):
    _guard(ud, "_c_case_event", ev)


@ffi.def_extern()
def _ccpy_audit(ud, rec):
    _guard(ud, "_c_audit", rec)
