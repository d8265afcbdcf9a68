#!/usr/bin/python3
"""The version script and the public headers name the same symbols.

    check_map.py MAP HEADER_DIR [ROOT]

Every function declared with CCENTER_EXPORT in HEADER_DIR/*.h (all of them, whether or
not the build installs them) must be listed once in MAP, every entry of MAP must be
declared in a header, and all of them start with ccenter_. A prototype without
CCENTER_EXPORT in a public header is an error too: it is a function no program could
ever link to. The map must not export wildcards and must hide everything else
(`local: *;`). ROOT, if given, shortens the paths printed.

Exit status 0 when they agree, 1 with the list of differences otherwise.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abi_parse  # noqa: E402

PREFIX = "ccenter_"


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write("usage: check_map.py MAP HEADER_DIR [ROOT]\n")
        return 2
    map_path, header_dir = argv[1], argv[2]
    root = argv[3] if len(argv) == 4 else None

    def show(p):
        return os.path.relpath(p, root) if root else p

    headers = abi_parse.headers_in(header_dir)
    decls, problems = abi_parse.read_headers(headers, root)
    vs = abi_parse.read_version_script(map_path, show(map_path))
    problems.extend(vs.problems)

    listed = {}
    for node in vs.nodes:
        for sym in vs.globals[node]:
            if any(ch in sym for ch in "*?["):
                problems.append("%s: node %s exports the pattern %r: list symbols one by one"
                                % (show(map_path), node, sym))
                continue
            if sym in listed:
                problems.append("%s: %s is listed twice (nodes %s and %s)"
                                % (show(map_path), sym, listed[sym], node))
                continue
            listed[sym] = node
    if not any("*" in vs.locals[n] for n in vs.nodes):
        problems.append("%s: no node has 'local: *;' so every default-visibility symbol "
                        "would be exported" % show(map_path))

    for name in sorted(decls):
        if not name.startswith(PREFIX):
            problems.append("%s: %s is declared with CCENTER_EXPORT but lacks the %s prefix"
                            % (decls[name][0].where(), name, PREFIX))
    for name in sorted(listed):
        if not name.startswith(PREFIX):
            problems.append("%s: %s (node %s) lacks the %s prefix"
                            % (show(map_path), name, listed[name], PREFIX))

    missing_from_map = sorted(set(decls) - set(listed))
    not_declared = sorted(set(listed) - set(decls))

    failed = bool(problems or missing_from_map or not_declared)
    if missing_from_map:
        print("Declared with CCENTER_EXPORT but missing from %s:" % show(map_path))
        for name in missing_from_map:
            print("  %-40s %s" % (name, decls[name][0].where()))
    if not_declared:
        print("Listed in %s but declared in no public header:" % show(map_path))
        for name in not_declared:
            print("  %-40s node %s" % (name, listed[name]))
    if problems:
        print("Problems:")
        for p in problems:
            print("  " + p)
    print("%d header(s), %d exported declaration(s), %d map entr%s: %s"
          % (len(headers), len(decls), len(listed), "y" if len(listed) == 1 else "ies",
             "MISMATCH" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
