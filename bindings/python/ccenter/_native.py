"""The compiled part: `ffi` and `lib` of the cffi extension built from the public headers
(bindings/python/build_ffi.py). Everything else in the package is Python over these."""
from ccenter._ccenter import ffi, lib  # noqa: F401
