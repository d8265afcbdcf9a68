"""Exceptions: one class per libccenter error code, under `ccenter.Error`.

Each carries the code (`code`, a negative int as in C), its C name (`name`, e.g.
"CCENTER_ENOENT") and a message: the library's description of the code and what the call
was about. Where a Python built-in exception means the same, the class derives from it
too, so `except KeyError` / `except ValueError` / `except OSError` work as a Python user
expects.
"""
from ccenter._native import ffi, lib


class Error(Exception):
    """Base of every libccenter error."""

    code = 0
    name = "CCENTER_OK"

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = code
            self.name = _name(code)


class InvalidArgument(Error, ValueError):
    """CCENTER_EINVAL: an argument is missing or malformed."""


class OutOfMemory(Error, MemoryError):
    """CCENTER_ENOMEM."""


class NotFound(Error, LookupError):
    """CCENTER_ENOENT: no object with that id."""


class AlreadyExists(Error):
    """CCENTER_EEXIST: an object with that id already exists."""


class StateError(Error):
    """CCENTER_ESTATE: not allowed in the object's current state."""


class TimeWentBack(Error, ValueError):
    """CCENTER_ETIME: `now` earlier than the engine's time."""


class Full(Error):
    """CCENTER_EFULL: a queue or a limit is full."""


class CapacityError(Error):
    """CCENTER_ECAPACITY: the agent has no free capacity for the channel."""


class Busy(Error):
    """CCENTER_EBUSY: in use (a store held by another process, a callback running)."""


class CallbackError(Error):
    """CCENTER_ECALLBACK: not allowed from inside one of the engine's callbacks."""


class OutOfRange(Error, ValueError):
    """CCENTER_ERANGE: a value outside its documented range."""


class ParseError(Error, ValueError):
    """CCENTER_ESYNTAX: a requirement, calendar or workflow text that does not parse."""


class NotSupported(Error, NotImplementedError):
    """CCENTER_ENOTSUP: this build of the library cannot do it."""


class StoreIOError(Error, OSError):
    """CCENTER_EIO: an input/output error (the store)."""


class Corrupt(Error):
    """CCENTER_ECORRUPT: damaged data (a store file, a snapshot, an audit chain)."""


class NoAgents(Error):
    """CCENTER_ENOAGENTS: staffing with no agents to do it."""


class NoSolution(Error):
    """CCENTER_ENOSOLUTION: no staffing meets the target within the limits."""


class PermissionDenied(Error, PermissionError):
    """CCENTER_EPERM: the actor's roles do not allow it."""


class ConditionNotMet(Error):
    """CCENTER_ECONDITION: a guard or required evidence of the transition is missing."""


class NewerFormat(Error):
    """CCENTER_ENEWER: written by a newer libccenter."""


class NoSpace(Error, OSError):
    """CCENTER_ENOSPC: the disk is full."""


_BY_CODE = {
    lib.CCENTER_EINVAL: InvalidArgument,
    lib.CCENTER_ENOMEM: OutOfMemory,
    lib.CCENTER_ENOENT: NotFound,
    lib.CCENTER_EEXIST: AlreadyExists,
    lib.CCENTER_ESTATE: StateError,
    lib.CCENTER_ETIME: TimeWentBack,
    lib.CCENTER_EFULL: Full,
    lib.CCENTER_ECAPACITY: CapacityError,
    lib.CCENTER_EBUSY: Busy,
    lib.CCENTER_ECALLBACK: CallbackError,
    lib.CCENTER_ERANGE: OutOfRange,
    lib.CCENTER_ESYNTAX: ParseError,
    lib.CCENTER_ENOTSUP: NotSupported,
    lib.CCENTER_EIO: StoreIOError,
    lib.CCENTER_ECORRUPT: Corrupt,
    lib.CCENTER_ENOAGENTS: NoAgents,
    lib.CCENTER_ENOSOLUTION: NoSolution,
    lib.CCENTER_EPERM: PermissionDenied,
    lib.CCENTER_ECONDITION: ConditionNotMet,
    lib.CCENTER_ENEWER: NewerFormat,
    lib.CCENTER_ENOSPC: NoSpace,
}

for _code, _cls in _BY_CODE.items():
    _cls.code = _code
    _cls.name = ffi.string(lib.ccenter_err_name(_code)).decode()


def _name(code):
    return ffi.string(lib.ccenter_err_name(code)).decode()


def error_for(code, what=None):
    """The exception for a negative libccenter code, with `what` (the call and its
    subject) before the library's own description."""
    cls = _BY_CODE.get(code, Error)
    text = ffi.string(lib.ccenter_strerror(code)).decode()
    return cls("%s: %s" % (what, text) if what else text, code)


def check(rc, what=None):
    """Returns rc when it is not negative, else raises its exception."""
    if rc < 0:
        raise error_for(rc, what)
    return rc
