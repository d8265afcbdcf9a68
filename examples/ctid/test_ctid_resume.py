#!/usr/bin/python3
"""Resume by sequence number through the real ctid (suite ctid, TAP): ccenter-switch cut
off and coming back, and ctid killed with -9 and restarted under it, with wallboard desks
as the witnesses of the whole event stream.

  test_ctid_resume.py CTID CCENTER_DESK CCENTER_PASSWD CCENTER_SWITCH

ctid listens on a Unix socket, so that a restarted server is at the same address. The
switch (-R) reconnects and resumes; its event log (-e) is compared with what the
wallboards saw: the same numbers and types, in order, no gap, no duplicate.
"""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import test_ctid  # its Desk, Server and ok (the same arguments come first)
from test_ctid import ok

CTID, DESK, PASSWD, SWITCH = sys.argv[1:5]
SECRET = "pw-secret"


class Server(test_ctid.Server):
    """test_ctid's server on a Unix socket, with agents and principals of its own."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "ctid.sock")
        h = subprocess.run([PASSWD, "--iterations", "1000"], input=SECRET + "\n",
                           capture_output=True, text=True, check=True).stdout.strip()
        principals = "".join(
            "[principal %s]\nrole = %s\n%ssecret = %s\n" % (
                p, role, "agent = %s\n" % p if role == "agent" else "", h)
            for p, role in [("pbx", "switch"), ("carol", "supervisor"), ("board", "wallboard"),
                            ("board2", "wallboard")] + [("a%02d" % i, "agent") for i in range(4)])
        agents = "".join("[agent a%02d]\nqueues = sales, general\n" % i for i in range(4))
        self.conf = os.path.join(tmp, "ctid.conf")
        with open(self.conf, "w") as f:
            f.write("""[server]
store = %s/ctid.db
durability = full
[listen lo]
unix = %s
[limits]
commands_per_second = 100000
[queue sales]
[queue general]
%s%s""" % (tmp, self.sock, agents, principals))
        self.proc = None
        self.log_start = 0

    def addr(self):
        return "unix:" + self.sock

    def kill9(self):
        self.stop(signal.SIGKILL)


EVENT = re.compile(r"^event seq=(\d+) type=(\S+) agent=\S+ contact=(\S+)", re.M)


def events(text):
    """(seq, type, contact) of every event line."""
    return [(int(s), t, c) for s, t, c in EVENT.findall(text)]


def after_resume(text):
    """The events a desk got after the answer to its `resume` (before it, the live ones
    that the resume sends again), and that answer's too_old."""
    m = re.search(r"^resume too_old=(\d) last_seq=(\d+)\n", text, re.M)
    if not m:
        return None, []
    return int(m.group(1)), events(text[m.end():])


def switch_log(path, session="switch"):
    """(seq, type, contact, how) of the events a session of ccenter-switch got."""
    out = []
    with open(path) as f:
        for line in f:
            who, seq, typ, contact, how = line.split()
            if who == session:
                out.append((int(seq), typ, contact, how))
    return out


def increasing(seqs):
    return all(a < b for a, b in zip(seqs, seqs[1:]))


class Relay:
    """A Unix-socket relay in front of ctid that can cut every connection through it and
    refuse new ones for a while: the network failing under the switch."""

    def __init__(self, path, upstream):
        self.path, self.upstream = path, upstream
        self.cut_now = False
        self.lock = threading.Lock()
        self.socks = []
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(64)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            if self.cut_now:
                c.close()
                continue
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                u.connect(self.upstream)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    def pipe(self, a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.cut_now = True
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.socks = []

    def restore(self):
        self.cut_now = False

    def close(self):
        self.ls.close()


def wait_log(path, cond, timeout=60):
    """Waits until cond(the switch's events so far) holds; the events."""
    deadline = time.time() + timeout
    got = []
    while time.time() < deadline:
        got = switch_log(path) if os.path.exists(path) else []
        if cond(got):
            break
        time.sleep(0.05)
    return got


def run_switch(tmp, addr, evlog, seed, duration=120):
    """ccenter-switch until SIGTERM (the test ends it once it has seen what it waits for,
    so that slow machines only take longer)."""
    out = open(os.path.join(tmp, "switch-%d.out" % seed), "w")
    # 4 agents answering through the supervisor session; the switch comes back for 60 s.
    p = subprocess.Popen([SWITCH, "-a", addr, "-p", "pbx", "-s", SECRET, "-P", "carol",
                          "-S", SECRET, "-q", "sales,general", "-r", "20", "-d", str(duration),
                          "-A", "a00,a01,a02,a03", "-T", "400", "-W", "5000", "-x", str(seed),
                          "-R", "60000", "-e", evlog], stdout=out, stderr=subprocess.STDOUT)
    return p, out


def report_of(tmp, seed):
    with open(os.path.join(tmp, "switch-%d.out" % seed)) as f:
        return f.read()


def resume_counts(report):
    m = re.search(r"^resume reconnects=(\d+) resumed_events=(\d+) snapshots=(\d+) "
                  r"duplicates=(\d+) unanswered=(\d+) lost=(\d+)", report, re.M)
    return tuple(int(x) for x in m.groups()) if m else None


def test_cut_off(tmp):
    """The switch's connections cut for 1.5 s while calls go on (a supervisor desk places
    three of its own): it reconnects and gets exactly the events it missed."""
    srv = Server(tmp)
    srv.start()
    relay = Relay(os.path.join(tmp, "relay.sock"), srv.sock)
    try:
        board = test_ctid.Desk(srv, "board", "wallboard")
        evlog = os.path.join(tmp, "cut.events")
        sw, sw_out = run_switch(tmp, "unix:" + relay.path, evlog, 11)
        wait_log(evlog, lambda g: len(g) >= 20)
        relay.cut()
        carol = test_ctid.Desk(srv, "carol", "supervisor")
        carol.send("enqueue x1 sales", "enqueue x2 general", "enqueue x3 sales", "abandon x3")
        carol.expect(r"^event seq=\d+ type=EV_CONTACT_ENDED .*contact=x3", timeout=30)
        time.sleep(0.5)
        relay.restore()
        # Back, the missed calls resumed, and calls going on live after them.
        wait_log(evlog, lambda g: any(e[2] == "x3" for e in g) and
                 len([e for e in g if e[3] == "live" and e[0] > max(x[0] for x in g if x[2] == "x3")]) >= 10)
        sw.send_signal(signal.SIGTERM)
        sw.wait(timeout=120)
        sw_out.close()
        report = report_of(tmp, 11)
        counts = resume_counts(report)
        ok(counts is not None and counts[0] >= 2 and counts[1] > 0 and counts[2] == 0 and
           counts[3] == 0 and counts[5] == 0,
           "cut off: the switch's two sessions came back, resumed events, no snapshot, no "
           "duplicate, no call lost", report)
        got = switch_log(evlog)
        seqs = [g[0] for g in got]
        ok(got and increasing(seqs), "cut off: the switch's events in order, none twice",
           "\n".join(map(str, got[-30:])))
        resumed = [g for g in got if g[3] == "resumed"]
        ok({"x1", "x2", "x3"} <= {g[2] for g in resumed},
           "cut off: the calls placed while it was away came by resume (%d events)" %
           len(resumed), "\n".join(map(str, resumed)))
        last = seqs[-1] if seqs else 0
        board.expect(r"^event seq=%d " % last, timeout=30)
        witness = [(s, t, c) for s, t, c in events(board.text())
                   if c != "-" and seqs and seqs[0] <= s <= last]
        ok([(s, t, c) for s, t, c, _ in got] == witness,
           "cut off: the switch got every contact event the wallboard saw from its first to "
           "its last (%d), no gap" % len(witness),
           "switch:\n%s\nwallboard:\n%s" % ("\n".join(map(str, got[:60])),
                                            "\n".join(map(str, witness[:60]))))
        carol.close()
        board.close()
        rc = srv.stop()
        ok(rc == 0, "cut off: ctid stops cleanly", srv.text()[-1500:])
    finally:
        relay.close()
        if srv.proc.poll() is None:
            srv.proc.kill()


def test_kill9(tmp):
    """kill -9 of ctid under ccenter-switch, restart at the same address: the switch, a
    wallboard that left before the kill and one that was there until it resume from the
    durable window; nothing the server accepted is lost."""
    srv = Server(tmp)
    srv.start()
    addr = "unix:" + srv.sock
    try:
        board = test_ctid.Desk(srv, "board", "wallboard")
        early = test_ctid.Desk(srv, "board2", "wallboard")
        evlog = os.path.join(tmp, "kill.events")
        sw, sw_out = run_switch(tmp, addr, evlog, 7)
        wait_log(evlog, lambda g: len(g) >= 20)
        early.close()
        early_seen = events(early.text())
        s_early = early_seen[-1][0] if early_seen else 0
        n_then = len(switch_log(evlog))
        wait_log(evlog, lambda g: len(g) >= n_then + 20)
        # Paused, so that nothing is in flight at the kill; its sessions stay open.
        sw.send_signal(signal.SIGSTOP)
        time.sleep(0.5)
        old = events(board.text())
        board.close()
        srv.kill9()
        srv.start()
        m = re.search(r"event window \S+ history=\d+ preloaded=(\d+) first=(\d+) last=(\d+) "
                      r"stream_after=(\d+)", srv.text())
        ok(m and int(m.group(1)) > 0 and old and int(m.group(3)) >= old[-1][0],
           "kill -9: the restarted ctid preloaded the window up to the last event sent",
           srv.text()[-1500:])
        last_old = int(m.group(3)) if m else 0
        # The wallboard that left early, back: the rest of the old run, then the new one.
        early2 = test_ctid.Desk(srv, "board2", "wallboard")
        early2.send("resume %d" % s_early)
        board2 = test_ctid.Desk(srv, "board", "wallboard")
        board2.send("resume %d" % (old[-1][0] if old else 0))
        sw.send_signal(signal.SIGCONT)
        # Back on the new run, with calls going on live.
        after = int(m.group(4)) if m else 0
        wait_log(evlog, lambda g: len([e for e in g if e[0] > after]) >= 20)
        sw.send_signal(signal.SIGTERM)
        sw.wait(timeout=120)
        sw_out.close()
        report = report_of(tmp, 7)
        counts = resume_counts(report)
        ok(counts is not None and counts[0] >= 2 and counts[2] == 0 and counts[3] == 0 and
           counts[5] == 0,
           "kill -9: the switch's sessions resumed across the restart, no snapshot, no "
           "duplicate, every accepted call's CONTACT_QUEUED seen", report)
        ok(re.search(r"placed=[1-9]\d* answered=[1-9]", report),
           "kill -9: the switch carried on placing and answering calls", report)
        got = switch_log(evlog)
        seqs = [g[0] for g in got]
        ok(increasing(seqs) and any(s > last_old for s in seqs),
           "kill -9: the switch's events in order, none twice, the new run's after the old",
           "\n".join(map(str, got[-30:])))
        sw_last = seqs[-1] if seqs else 0
        time.sleep(0.3)
        too_old, early_tail = after_resume(early2.text())
        want = [e for e in old if e[0] > s_early]
        ok(too_old == 0 and early_tail[:len(want)] == want and want,
           "kill -9: a wallboard gone before the kill resumes from the durable window: the "
           "%d events it missed, as sent" % len(want),
           "got:\n%s\nwant:\n%s" % ("\n".join(map(str, early_tail[:40])),
                                    "\n".join(map(str, want[:40]))))
        board2.expect(r"^event seq=%d " % sw_last, timeout=30)
        too_old2, tail = after_resume(board2.text())
        ok(too_old2 == 0 and tail and increasing([e[0] for e in tail]),
           "kill -9: the wallboard there until the kill resumes with no snapshot",
           board2.text()[-1500:])
        stream = old + tail
        witness = [e for e in stream if e[2] != "-" and seqs and seqs[0] <= e[0] <= sw_last]
        ok([(s, t, c) for s, t, c, _ in got] == witness,
           "kill -9: the switch got every contact event of both runs the wallboards saw, "
           "from its first to its last (%d), no gap" % len(witness),
           "switch:\n%s\nwallboards:\n%s" % ("\n".join(map(str, got[-60:])),
                                             "\n".join(map(str, witness[-60:]))))
        # A number between the old run's last frame and the new run's first was never sent:
        # a client claiming it gets a snapshot, not events it cannot place.
        m2 = re.search(r"stream_after=(\d+)", srv.text())
        gap = test_ctid.Desk(srv, "board", "wallboard")
        gap.send("resume %d" % (last_old + 1))
        gap.expect(r"^snapshot last_seq=")
        ok(after_resume(gap.text())[0] == 1 and m2 and int(m2.group(1)) > last_old + 1,
           "kill -9: a resume from the gap the restart left gets too_old and a snapshot",
           gap.text()[-800:])
        gap.close()
        for d in (early2, board2):
            d.close()
        rc = srv.stop()
        ok(rc == 0, "kill -9: the restarted ctid stops cleanly", srv.text()[-1500:])
        trusted_after_restart(srv, tmp)
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()


def set_boot(tmp, boot):
    """What a machine restart changes for the window file: the kernel's boot id."""
    db = sqlite3.connect(os.path.join(tmp, "ctid.db.events"))
    db.execute("UPDATE meta SET value = ? WHERE key = 'boot'", (boot,))
    db.commit()
    clean = db.execute("SELECT value FROM meta WHERE key = 'clean'").fetchone()[0]
    db.close()
    return clean


def trusted_after_restart(srv, tmp):
    """The window's commits are written, not synced: a run that ended cleanly (synced)
    is trusted after a machine restart, one killed before a machine restart is not."""
    clean = set_boot(tmp, "another-boot")
    srv.start()
    m = re.search(r"event window \S+ history=\d+ preloaded=(\d+)", srv.text())
    ok(clean == "1" and m and int(m.group(1)) > 0,
       "window: after a clean stop it is trusted across a machine restart (clean=%s)" % clean,
       srv.text()[-1000:])
    srv.kill9()
    clean = set_boot(tmp, "another-boot")
    srv.start()
    m = re.search(r"event window \S+ history=\d+ preloaded=(\d+)", srv.text())
    ok(clean == "0" and "not closed cleanly" in srv.text() and m and int(m.group(1)) == 0,
       "window: after kill -9 and a machine restart it is dropped (clean=%s)" % clean,
       srv.text()[-1000:])
    rc = srv.stop()
    # A row that is not an event frame (a damaged file): the window is dropped, not served.
    db = sqlite3.connect(os.path.join(tmp, "ctid.db.events"))
    db.execute("INSERT INTO events (seq, frame) VALUES ((SELECT max(seq) FROM events) + 1, ?)",
               (b"not a frame",))
    db.commit()
    db.close()
    srv.start()
    m = re.search(r"event window \S+ history=\d+ preloaded=(\d+)", srv.text())
    ok(re.search(r"event window \S+: .*; dropped", srv.text()) and m and int(m.group(1)) == 0,
       "window: a damaged row drops the window at start", srv.text()[-1000:])
    rc = srv.stop() or rc
    ok(rc == 0, "window: ctid stops cleanly", srv.text()[-1000:])


def main():
    for t in (test_cut_off, test_kill9):
        with tempfile.TemporaryDirectory(prefix="ctid-resume-") as tmp:
            try:
                t(tmp)
            except Exception as e:  # a broken step fails its test, not the rest
                import traceback
                ok(False, "%s raised %r" % (t.__name__, e), traceback.format_exc())
    print("1..%d" % test_ctid.n_test, flush=True)
    return 1 if test_ctid.failed else 0


if __name__ == "__main__":
    sys.exit(main())
