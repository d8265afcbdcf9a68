#!/usr/bin/python3
"""The ccenter-store tool against a store written by test-store-make (see its comment):
every command, what each prints, and the files it must refuse (in use, damaged blob, newer
schema, foreign database, not a database). Usage: test-store.py CCENTER-STORE TEST-STORE-MAKE
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

tool, maker = sys.argv[1], sys.argv[2]
failures = []


def run(*args, want=0, stdin=None):
    p = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)
    if p.returncode != want:
        failures.append(f"{' '.join(args)}: exit {p.returncode}, wanted {want}\n"
                        f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def expect(cond, what):
    if not cond:
        failures.append(what)


def export(path, *opts):
    p = run("export", *opts, path)
    return [json.loads(line) for line in p.stdout.splitlines()]


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "a.db")
    subprocess.run([maker, db], check=True, timeout=60)

    # info: the engines, counts and spans.
    out = run("info", db).stdout
    expect("schema      2" in out, "info: schema line\n" + out)
    expect("snapshots   0, 0 B" in out, "info: snapshots line\n" + out)
    expect("journal     11 records, seq 1..11" in out, "info: journal line\n" + out)
    expect("audit       4 lines" in out, "info: audit line\n" + out)
    expect(any(l.split()[:4] == ["main", "routing", "1772442000000", "7"]
               for l in out.splitlines()), "info: engine main\n" + out)

    # export: every column, NULL against "", each blob kind, a non-UTF-8 string.
    lines = export(db, "--audit")
    engines = [l for l in lines if l["type"] == "engine"]
    recs = {l["seq"]: l for l in lines if l["type"] == "record"}
    audit = [l for l in lines if l["type"] == "audit"]
    expect([e["name"] for e in engines] == ["main", "fraud"], f"export: engines {engines}")
    expect(sorted(recs) == list(range(1, 12)), f"export: seqs {sorted(recs)}")
    expect(len(audit) == 4 and audit[0]["line"].startswith("1\t"), f"export: audit {audit}")
    expect(recs[2]["name"] == "queue_set_thresholds" and recs[2]["thresholds"] == [20000, 30000],
           f"export: thresholds {recs[2]}")
    expect(recs[4]["s2"] == "" and recs[5]["s2"] is None, f"export: '' and NULL {recs[4]} {recs[5]}")
    p6 = recs[6].get("params", {})
    expect(p6.get("customer") == {"hex": "63757374fffe"} and p6.get("priority") == 7
           and p6.get("attrs") == [{"key": "lang", "value": "fr"}, {"key": "tier", "value": ""}]
           and p6.get("steps") == [{"requirement": "", "duration_ms": 5000}]
           and p6.get("preferred") == ["a1"] and p6.get("emergency") == 1,
           f"export: params {recs[6]}")
    expect(recs[7]["params"]["customer"] is None and recs[7]["params"]["attrs"] == [],
           f"export: default params {recs[7]}")
    expect(recs[11]["name"] == "transition" and recs[11]["s3"] == "confirmed"
           and recs[11]["evidence"] == [{"name": "police", "ref": "PR-1"},
                                        {"name": "call", "ref": "rec\t7"}],
           f"export: evidence {recs[11]}")
    expect("workflow w\n" in recs[8]["s0"], f"export: workflow text {recs[8]}")
    only = export(db, "--engine", "fraud", "--from", "10")
    expect([l.get("seq") for l in only] == [None, 10, 11], f"export --engine --from: {only}")
    run("export", "--engine", "nosuch", db, want=1)

    # verify: the audit chain needs its key; --replay recovers both engines.
    run("verify", db, want=1)
    key = os.path.join(tmp, "key")
    with open(key, "wb") as f:
        f.write(b"k3y")
    out = run("verify", "--key-file", key, "--replay", db).stdout
    expect("replayed    main (routing)" in out and "replayed    fraud (cases): 1 cases" in out,
           "verify --replay\n" + out)

    # backup: a copy that exports the same; never over an existing file. compact.
    copy = os.path.join(tmp, "b.db")
    run("backup", db, copy)
    expect(run("export", "--audit", copy).stdout == run("export", "--audit", db).stdout,
           "backup: the copy exports differently")
    run("backup", db, copy, want=1)
    run("verify", "--key-file", key, copy)
    run("compact", copy)

    # snapshot: refused without the key (the case engine's chain would go on with other
    # hashes); with it, one per engine, which recovery then starts from; --keep 1 removes the
    # journal before it, and the store still verifies and replays.
    snap = os.path.join(tmp, "s.db")
    shutil.copy(db, snap)
    expect("--key-file" in run("snapshot", snap, want=1).stderr, "snapshot without the key")
    run("snapshot", "--engine", "nosuch", "--key-file", key, snap, want=1)
    out = run("snapshot", "--engine", "main", "--key-file", key, snap).stdout
    expect("snapshot    main at record 11" in out and "fraud" not in out,
           "snapshot --engine\n" + out)
    out = run("snapshot", "--key-file", key, "--keep", "1", snap).stdout
    expect("snapshot    main at record 11" in out and "snapshot    fraud at record 11" in out,
           "snapshot\n" + out)
    out = run("info", snap).stdout
    expect("journal     0 records, removed by retention up to seq 11" in out
           and "snapshots   2," in out, "info after retention\n" + out)
    out = run("verify", "--key-file", key, "--replay", snap).stdout
    expect("replayed    main (routing)" in out and "replayed    fraud (cases): 1 cases" in out,
           "verify --replay from snapshots\n" + out)
    run("snapshot", "--keep", "x", snap, want=2)

    # A store in use: the library's lock keeps the tool out, with a message that says so.
    held = os.path.join(tmp, "held.db")
    hold = subprocess.Popen([maker, held, "hold"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        expect(hold.stdout.readline().strip() == "ready", "hold: not ready")
        expect("in use" in run("info", held, want=1).stderr, "info: in use")
        expect("another process" in run("verify", held, want=1).stderr, "verify: in use")
    finally:
        hold.stdin.close()
        expect(hold.wait(timeout=60) == 0, "hold: exit status")
    run("info", held)

    # A damaged blob: export and verify stop at it.
    bad = os.path.join(tmp, "bad.db")
    shutil.copy(db, bad)
    with sqlite3.connect(bad) as c:
        c.execute("UPDATE journal SET extra = substr(extra, 1, 5) WHERE seq = 6")
    p = run("export", bad, want=1)
    expect("record 6" in p.stderr and len(p.stdout.splitlines()) == 8,
           f"export of a damaged blob: {p.stderr} {p.stdout}")
    run("verify", "--key-file", key, bad, want=1)
    shutil.copy(db, bad)
    with sqlite3.connect(bad) as c:
        c.execute("UPDATE journal SET extra = NULL WHERE seq = 2")
    expect("missing" in run("export", bad, want=1).stderr, "export: a missing blob")

    # A newer schema, a foreign database, a file that is no database.
    newer = os.path.join(tmp, "newer.db")
    shutil.copy(db, newer)
    with sqlite3.connect(newer) as c:
        c.execute("PRAGMA user_version = 99")
    expect("newer" in run("info", newer, want=1).stdout, "info: newer")
    expect("newer" in run("export", newer, want=1).stderr, "export: newer")
    foreign = os.path.join(tmp, "foreign.db")
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE t(x)")
    expect("not a libccenter store" in run("info", foreign, want=1).stderr, "info: foreign")
    text = os.path.join(tmp, "text.db")
    with open(text, "w") as f:
        f.write("hello, this is not a database\n" * 200)
    run("info", text, want=1)
    run("export", text, want=1)
    run("verify", text, want=1)
    run("info", os.path.join(tmp, "missing.db"), want=1)
    expect(not os.path.exists(os.path.join(tmp, "missing.db")), "info created a file")

    # The command line.
    run(want=2)
    run("info", want=2)
    run("export", "--from", "x", db, want=2)
    run("info", "--replay", db, want=2)
    run("frobnicate", db, want=2)
    run("--help")

for f in failures:
    print("FAIL:", f)
print("ok" if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
