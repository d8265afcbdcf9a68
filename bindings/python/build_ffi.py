#!/usr/bin/python3
"""Generates the C source of the `ccenter._ccenter` extension module (cffi, API mode).

The declarations given to cffi are the public headers themselves, run through the C
preprocessor (with empty stand-ins for the C library's headers: cffi knows int64_t, size_t
and friends), so the bindings follow every change of the headers without a hand-kept copy.
The integer macros of the headers (CCENTER_NO_DEADLINE, CCENTER_MAX_*, ...) are added as
`#define NAME ...`, whose values cffi takes from the real headers when the module is
compiled. The callbacks into Python are declared `extern "Python"` here.

usage: build_ffi.py --cc CC --include DIR [--include DIR ...] --out FILE.c
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import cffi

HEADERS = ["ccenter/ccenter.h", "ccenter/store.h", "ccenter/proto.h"]

# The trampolines the bindings use (ccenter/_callbacks.py defines them).
CALLBACKS = """
extern "Python" void _ccpy_event(ccenter_engine *, const ccenter_event *, void *);
extern "Python" void _ccpy_case_event(ccenter_cases *, const ccenter_case_event *, void *);
extern "Python" void _ccpy_audit(void *, const ccenter_audit_record *);
extern "Python" void _ccpy_deadline(void *, int64_t);
extern "Python" void _ccpy_log(void *, ccenter_log_level, const char *);
extern "Python" void _ccpy_code(void *, const char *, uint64_t);
extern "Python" void _ccpy_reason(void *, const char *, int64_t);
extern "Python" void _ccpy_queue_log(void *, const char *, size_t);
"""

# `#define CCENTER_X <integer expression>`: the constants worth having in Python.
DEFINE = re.compile(r"^\s*#\s*define\s+(CCENTER_[A-Z0-9_]+)\s+(.+?)\s*(?:/\*.*)?$")
INTEGER = re.compile(r"^[\s()0-9A-Za-z_+\-*<>|~uUlLxX]+$")


FLOAT = re.compile(r"^\(?-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)\)?$|^\(?-?[0-9]+\.[0-9]*\)?$")


def constants(include_dirs):
    """(name, is_float) of the headers' numeric macros."""
    names = []
    for h in sorted(os.listdir(os.path.join(include_dirs[0], "ccenter"))):
        if not h.endswith(".h") or h == "uv.h":
            continue
        with open(os.path.join(include_dirs[0], "ccenter", h), encoding="utf-8") as f:
            for line in f:
                m = DEFINE.match(line)
                if not m or "(" in m.group(1):
                    continue
                name, value = m.groups()
                # Integer-valued only: no strings, no function-like macros, no attributes.
                if '"' in value or "__attribute__" in value or not INTEGER.match(value):
                    continue
                if name in ("CCENTER_EXPORT", "CCENTER_H") or name.endswith("_H"):
                    continue
                names.append((name, bool(FLOAT.match(value))))
    return sorted(set(names))


def preprocess(cc, include_dirs):
    with tempfile.TemporaryDirectory() as fake:
        for h in ("stddef.h", "stdint.h", "stdbool.h"):
            open(os.path.join(fake, h), "w").close()
        src = "".join('#include <%s>\n' % h for h in HEADERS)
        cmd = cc + ["-E", "-P", "-nostdinc", "-U__GNUC__", "-I", fake]
        for d in include_dirs:
            cmd += ["-I", d]
        cmd += ["-x", "c", "-"]
        out = subprocess.run(cmd, input=src, capture_output=True, text=True, check=True).stdout
    # What cffi's parser does not take: GNU attributes and the C++ guards are gone with
    # __GNUC__ undefined and no __cplusplus; nothing else is expected.
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True, help="the C compiler command (space separated)")
    ap.add_argument("--include", action="append", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    cc = a.cc.split()
    decls = preprocess(cc, a.include)
    consts = constants(a.include)
    ffi = cffi.FFI()
    ffi.cdef(decls + "\n"
             + "".join("static const double %s;\n" % n if f else "#define %s ...\n" % n
                       for n, f in consts)
             + CALLBACKS)
    ffi.set_source("ccenter._ccenter", "".join("#include <%s>\n" % h for h in HEADERS))
    tmp = a.out + ".tmp"
    ffi.emit_c_code(tmp)
    os.replace(tmp, a.out)


if __name__ == "__main__":
    sys.exit(main())
