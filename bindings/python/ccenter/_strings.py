"""Text in and out of the C API: ids, names and texts are str, passed as UTF-8 without NUL
(the library accepts any bytes but NUL; bytes are accepted as they are)."""
from ccenter._native import ffi


def cstr(s, what="id", none_ok=False):
    if s is None:
        if none_ok:
            return ffi.NULL
        raise TypeError("%s: None is not allowed" % what)
    if isinstance(s, str):
        b = s.encode("utf-8")
    elif isinstance(s, (bytes, bytearray)):
        b = bytes(s)
    else:
        raise TypeError("%s: expected str, got %s" % (what, type(s).__name__))
    if b"\0" in b:
        raise ValueError("%s: contains a NUL character" % what)
    return b


def pystr(p):
    """A C string as str (None for NULL); bytes that are not UTF-8 are kept as
    surrogate escapes, so nothing is lost."""
    if p == ffi.NULL:
        return None
    return ffi.string(p).decode("utf-8", "surrogateescape")
