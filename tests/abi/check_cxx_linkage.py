#!/usr/bin/python3
"""Every exported function has C linkage when the headers are read by a C++ compiler.

    check_cxx_linkage.py --nm NM OBJECT HEADER...

OBJECT is the compiled unit written by gen_cxx_check.py (or a static library holding it),
which takes the address of every function the HEADERs declare with CCENTER_EXPORT. Its
undefined symbols are the names the C++ compiler will ask the linker for: each must be the
plain C name. A mangled name (_Z...) means the header lacks `extern "C"`, and a C++ program
could not link to that function.

Exit status 0 when all have C linkage, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abi_parse  # noqa: E402


def undefined_symbols(nm, path):
    proc = subprocess.run([nm, "--undefined-only", path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (nm, proc.returncode, proc.stderr.strip()))
    names = set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-2] in ("U", "w", "v"):
            names.add(parts[-1].split("@")[0])
    return names


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--root")
    ap.add_argument("object")
    ap.add_argument("headers", nargs="+")
    args = ap.parse_args(argv[1:])

    decls, _ = abi_parse.read_headers(args.headers, args.root)
    try:
        undefined = undefined_symbols(args.nm, args.object)
    except (OSError, RuntimeError) as e:
        print("cannot list the symbols of %s: %s" % (args.object, e))
        return 1

    bad = []
    for name in sorted(decls):
        if name in undefined:
            continue
        mangled = sorted(u for u in undefined
                         if re.match(r"_ZL?%d%s" % (len(name), name), u))
        if mangled:
            bad.append("%-40s C++ linkage (%s), %s" % (name, ", ".join(mangled),
                                                       decls[name][0].where()))
        else:
            bad.append("%-40s not referenced by the C++ unit, %s"
                       % (name, decls[name][0].where()))
    if bad:
        print("Declared with CCENTER_EXPORT but not seen with C linkage from C++ "
              "(missing extern \"C\"?):")
        for b in bad:
            print("  " + b)
    print("%d exported function(s) seen from C++: %s"
          % (len(decls), "MISMATCH" if bad else "all with C linkage"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
