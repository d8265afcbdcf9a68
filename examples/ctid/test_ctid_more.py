#!/usr/bin/python3
"""More end-to-end tests of ctid (suite ctid, TAP): reload on SIGHUP, a slow wallboard cut
off at its output bound, the per-session command rate limit, TLS through ctid, and bad
input against the running server. Same servers and desks as test_ctid.py.

  test_ctid_more.py CTID CCENTER_DESK CCENTER_PASSWD
"""
import os
import random
import re
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import test_ctid as t
from test_ctid import Desk, ok, run_desk, response_codes

# What a desk round trip may take while the server is under the abuse of a test: far
# above the milliseconds it takes, far below a stalled loop (a 2-core machine under ASan).
NORMAL_RTT = 2.0


class Server(t.Server):
    def text(self):
        # errors="replace": test_bad_input checks the bytes themselves
        with open(os.path.join(self.tmp, "ctid.log"), errors="replace") as f:
            f.seek(self.log_start)
            return f.read()


def with_limits(srv, **kv):
    """Rewrites [limits] keys of a server's configuration (before start or a reload)."""
    with open(srv.conf) as f:
        text = f.read()
    for k, v in kv.items():
        if re.search(r"^%s = .*$" % re.escape(k), text, re.M):
            text = re.sub(r"^%s = .*$" % re.escape(k), "%s = %s" % (k, v), text, flags=re.M)
        else:
            text = text.replace("[limits]\n", "[limits]\n%s = %s\n" % (k, v), 1)
    with open(srv.conf, "w") as f:
        f.write(text)


def rtt(desk):
    """Seconds for one query of a desk to be answered."""
    n = desk.count(r"^response id=")
    t0 = time.time()
    desk.send("info-agent")
    deadline = t0 + 30
    while desk.count(r"^response id=") <= n and time.time() < deadline:
        time.sleep(0.005)
    return time.time() - t0


def sees(desk, pattern, name):
    ok(desk.expect(pattern), name, desk.text()[-1500:])


def close(*desks):
    for d in desks:
        d.close()


def stop(srv, name):
    """Stops a server; a sanitizer's report makes its exit status non-zero."""
    rc = srv.stop()
    text = srv.text()
    ok(rc == 0 and "stopped" in text, "%s: ctid stops cleanly with 0" % name, text[-1500:])


class Relay:
    """A loopback listener passing one client's bytes to ctid (over TLS when given a
    context) and back, keeping what the client sent: how a test gets a desk's frames and
    puts ccenter-desk, which speaks only plain TCP, behind TLS."""

    def __init__(self, port, tls=None):
        self.port, self.tls, self.sent = port, tls, b""
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.addr = "127.0.0.1:%d" % self.ls.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        c, _ = self.ls.accept()
        u = socket.create_connection(("127.0.0.1", self.port))
        if self.tls:
            u = self.tls.wrap_socket(u, server_hostname="localhost")
        # One thread for both directions: an SSL object read in one thread and written in
        # another at the same time is not safe (a TLS 1.3 ticket read during a write).
        try:
            while True:
                ready = ([u] if self.tls and u.pending() else
                         select.select([c, u], [], [])[0])
                for a in ready:
                    d = a.recv(65536)
                    if not d:
                        raise EOFError
                    if a is c:
                        self.sent += d
                    (u if a is c else c).sendall(d)
        except (OSError, EOFError):
            pass
        for s in (c, u):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def first_frame(data):
    """The first frame of a stream with its varint prefix (the Hello of a session)."""
    n = shift = i = 0
    while True:
        b = data[i]
        n |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            return data[:i + n]


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def frames_of(srv, principal, role, lines=()):
    """The bytes ccenter-desk sends for a principal (its Hello first, then the frames of
    its lines), captured through a relay."""
    r = Relay(srv.port)
    p = subprocess.run([t.DESK, "-a", r.addr, "-r", role, "-p", principal, "-s", t.SECRET,
                        "-t", "20000"], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True, timeout=120)
    deadline = time.time() + 10
    while not r.sent and time.time() < deadline:
        time.sleep(0.01)
    assert "welcome" in p.stdout, p.stdout
    return r.sent


def hello_of(srv, principal, role):
    return first_frame(frames_of(srv, principal, role))


def test_reload(tmp):
    srv = Server(tmp)
    srv.start()
    try:
        alice = Desk(srv, "alice")
        alice.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
        alice.expect(r"state=AGENT_READY")
        pbx = Desk(srv, "pbx", "switch")
        pbx.send("enqueue r1 sales")
        sees(alice, r"type=EV_CONTACT_OFFERED agent=alice contact=r1",
             "reload: r1 offered to alice")
        alice.send("accept r1")
        sees(pbx, r"type=EV_CONTACT_CONNECTED agent=alice contact=r1",
             "reload: r1 connected before the reload")
        carol = Desk(srv, "carol", "supervisor")
        carol.send("info-queue support")
        carol.expect(r"^response id=\d+ code=")
        ok(response_codes(carol.text())[-1:] == ["CCENTER_ENOENT"],
           "reload: queue support unknown before", carol.text())
        # A queue setting changed, a queue added and an agent serving it added.
        with open(srv.conf) as f:
            text = f.read()
        text = text.replace("[queue sales]\nwrap_up = 10m\n",
                            "[queue sales]\nwrap_up = 20m\nmax_wait = 1s\n"
                            "max_wait_action = overflow\noverflow = general\n"
                            "[queue support]\nwrap_up = 10m\n", 1)
        text = text.replace("[agent alice]", "[agent dave]\nqueues = support\n[agent alice]", 1)
        text += "[principal dave]\nrole = agent\nagent = dave\nsecret = %s\n" % (
            re.search(r"^secret = (.*)$", text, re.M).group(1))
        with open(srv.conf, "w") as f:
            f.write(text)
        log0 = len(srv.text())
        srv.proc.send_signal(t.signal.SIGHUP)
        deadline = time.time() + 30
        while "reloaded " not in srv.text()[log0:] and time.time() < deadline:
            time.sleep(0.05)
        log = srv.text()[log0:]
        ok("reloaded " in log and re.search(r"reload \S+ queue sales .*outcome=", log) and
           "reload refused" not in log, "reload: SIGHUP applied, queue sales changed", log)
        dave = Desk(srv, "dave")
        dave.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
        ok(dave.expect(r"state=AGENT_READY"), "reload: the new agent dave logs in", dave.text())
        carol.send("info-queue support", "info-contact r1")
        sees(carol, r"^queue-info queue=support waiting=0 offered=0 members_ready=1",
             "reload: queue support served by dave")
        sees(carol, r"^contact-info contact=r1 state=CONTACT_CONNECTED .*agent=alice",
             "reload: r1 still connected to alice")
        # A contact's max_wait is fixed when it is queued: r3, queued after the reload, with
        # no one ready in sales, gets the new one.
        pbx.send("enqueue r3 sales")
        sees(pbx, r"type=EV_CONTACT_OVERFLOWED .*contact=r3",
             "reload: sales's new max_wait (1 s) overflows r3")
        alice.send("end r1")
        sees(pbx, r"type=EV_CONVERSATION_ENDED agent=alice contact=r1",
             "reload: the call in progress ends normally")
        pbx.send("enqueue r2 support")
        sees(dave, r"type=EV_CONTACT_OFFERED agent=dave contact=r2",
             "reload: a call to the new queue offered to dave")
        close(alice, pbx, carol, dave)
    finally:
        stop(srv, "reload")


def test_slow_wallboard(tmp):
    srv = Server(tmp)
    with_limits(srv, **{"output_max.wallboard": "64K"})
    srv.start()
    try:
        alice = Desk(srv, "alice")
        alice.send("login", "notready")
        pbx = Desk(srv, "pbx", "switch")
        pbx.send(*["enqueue w%d sales" % i for i in range(1000)])
        ok(pbx.expect(r"type=EV_CONTACT_QUEUED .*contact=w999", 60),
           "slow wallboard: 1,000 callers waiting", pbx.text()[-1500:])
        # A wallboard asking for snapshots of 1,000 waiting callers and reading none: far
        # more than its bound and the kernel's socket buffers together.
        frames = frames_of(srv, "board", "wallboard", ["snapshot"])
        hello = first_frame(frames)
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", srv.port))
        slow.sendall(hello)
        slowest = 0.0
        t0 = time.time()
        try:
            for batch in range(200):
                slow.sendall(frames[len(hello):] * 5)
                slowest = max(slowest, rtt(alice))
                if "cut off principal=board" in srv.text():
                    break
        except OSError:
            pass  # cut off
        for i in range(5):
            slowest = max(slowest, rtt(alice))
        pbx.send("enqueue w-last sales")
        log = srv.text()
        ok('cut off principal=board role=wallboard why="output bound"' in log,
           "slow wallboard: cut off at its output bound", log[-1500:])
        ok(pbx.expect(r"type=EV_CONTACT_QUEUED .*contact=w-last", 60),
           "slow wallboard: the switch still served (%.1f s)" % (time.time() - t0), pbx.text()[-1500:])
        ok(slowest < NORMAL_RTT, "slow wallboard: desk round trips at most %.3f s" % slowest)
        slow.close()
        close(alice, pbx)
    finally:
        stop(srv, "slow wallboard")


def test_rate_limit(tmp):
    srv = Server(tmp)
    with_limits(srv, commands_per_second=20)
    srv.start()
    try:
        alice = Desk(srv, "alice")
        alice.send(*["info-agent"] * 100)
        alice.expect(r"^response id=100 ")
        codes = response_codes(alice.text())
        busy = codes.count("CCENTER_EBUSY")
        ok(len(codes) == 100 and busy >= 50 and codes.count("CCENTER_OK") >= 10,
           "rate limit: a burst of 100 at 20/s: %d CCENTER_EBUSY" % busy, alice.text())
        ok("too many commands per second" in alice.text(), "rate limit: the reason given")
        alice.send("sleep 1500", "login", "ready", "info-agent")
        ok(alice.expect(r"^agent-info agent=alice state=AGENT_READY") and
           response_codes(alice.text())[100:] == ["CCENTER_OK"] * 3,
           "rate limit: the session usable after", alice.text()[-800:])
        alice.close()
    finally:
        stop(srv, "rate limit")


def test_tls(tmp):
    made = t.self_signed(tmp)
    if not made:
        ok(True, "tls: skipped (no openssl command) # SKIP")
        return
    cert, key = made
    srv = Server(tmp, "[listen sec]\ntcp = 127.0.0.1:0\ntls_cert = %s\ntls_key = %s\n" %
                 (cert, key))
    srv.start()
    try:
        m = re.search(r"listening name=sec tcp=127.0.0.1:(\d+) tls=yes", srv.text())
        ok(m, "tls: ctid listens with TLS", srv.text())
        ctx = ssl.create_default_context(cafile=cert)
        r = Relay(int(m.group(1)), ctx)
        p = subprocess.run([t.DESK, "-a", r.addr, "-r", "agent", "-p", "alice", "-s",
                            t.SECRET, "-t", "20000"], input="login\ninfo-agent\n",
                           capture_output=True, text=True, timeout=120)
        ok(re.search(r"^welcome ", p.stdout, re.M) and
           re.search(r"^agent-info agent=alice state=AGENT_NOT_READY", p.stdout, re.M),
           "tls: a desk over TLS gets its Welcome and is answered", p.stdout)
        # A client speaking plain TCP to the TLS listener is not a session.
        s = socket.create_connection(("127.0.0.1", int(m.group(1))))
        s.settimeout(30)
        s.sendall(hello_of(srv, "alice", "agent"))
        got = b""
        try:
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        except OSError:
            pass
        s.close()
        ok(b"welcome" not in got.lower() and b"CCENTER_OK" not in got,
           "tls: plain bytes to the TLS listener get no session", repr(got[:200]))
    finally:
        stop(srv, "tls")
    bad = Server(tmp, "[listen wide]\ntcp = 0.0.0.0:0\n")
    log = open(os.path.join(tmp, "bad.log"), "w")
    p = subprocess.run([t.CTID, "-c", bad.conf], stderr=log, timeout=60)
    log.close()
    with open(os.path.join(tmp, "bad.log")) as f:
        text = f.read()
    ok(p.returncode != 0 and "not a loopback address" in text,
       "tls: plain TCP on 0.0.0.0 refused at start (rc %d)" % p.returncode, text)


def test_bad_input(tmp):
    srv = Server(tmp)
    srv.start()
    try:
        hello = hello_of(srv, "a03", "agent")
        alice = Desk(srv, "alice")
        alice.send("login")
        half_open = []

        def abuse(k):
            r = random.Random(k)
            for i in range(60):
                try:
                    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                    what = i % 6
                    if what == 0:  # truncated: a prefix promising more than comes
                        s.sendall(varint(len(hello) + 50) + hello[1:])
                    elif what == 1:  # oversized: over frame_max
                        s.sendall(varint(10 * 1024 * 1024) + bytes(r.randrange(256)
                                                                   for _ in range(4096)))
                    elif what == 2:  # garbage
                        s.sendall(bytes(r.randrange(256) for _ in range(r.randrange(1, 3000))))
                    elif what == 3:  # a mutated Hello, then mutated frames after it
                        m = bytearray(hello)
                        for _ in range(r.randrange(1, 6)):
                            m[r.randrange(len(m))] = r.randrange(256)
                        s.sendall(bytes(m) + bytes(m[r.randrange(len(m)):]))
                    elif what == 4:  # a valid Hello, then an 11-byte prefix
                        s.sendall(hello + b"\xff" * 11)
                    else:  # half open: some bytes, the write side shut, left open
                        s.sendall(hello[:r.randrange(1, len(hello))])
                        s.shutdown(socket.SHUT_WR)
                        half_open.append(s)
                        continue
                    if r.random() < 0.5:
                        s.settimeout(0.2)  # a truncated frame is answered by nothing
                        try:
                            s.recv(4096)
                        except OSError:
                            pass
                    s.close()
                except OSError:
                    pass

        threads = [threading.Thread(target=abuse, args=(k,)) for k in range(6)]
        for th in threads:
            th.start()
        slowest = 0.0
        while any(th.is_alive() for th in threads):
            slowest = max(slowest, rtt(alice))
        for th in threads:
            th.join()
        ok(srv.proc.poll() is None, "bad input: ctid alive after 360 bad connections",
           srv.text()[-1500:])
        # 10,000 connects and disconnects, some with a byte or a Hello sent.
        t0 = time.time()
        for i in range(10000):
            try:
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                if i % 10 == 1:
                    s.sendall(hello[:1])
                elif i % 100 == 2:
                    s.sendall(hello)
                s.close()
            except OSError:
                pass
            if i % 1000 == 999:
                slowest = max(slowest, rtt(alice))
        churn = time.time() - t0
        print("# 10,000 connects: %.1f s" % churn, flush=True)
        ok(srv.proc.poll() is None, "bad input: ctid alive after 10,000 connects (%.1f s)" %
           churn, srv.text()[-1500:])
        alice.send("ready", "info-agent")
        ok(alice.expect(r"^agent-info agent=alice state=AGENT_READY"),
           "bad input: the desk's session goes on", alice.text()[-800:])
        ok(slowest < NORMAL_RTT, "bad input: desk round trips at most %.3f s" % slowest)
        for s in half_open:
            s.close()
        alice.close()
        rc, out = run_desk(srv, "bob", ["login", "info-agent"])
        ok(re.search(r"^agent-info agent=bob state=AGENT_NOT_READY", out, re.M),
           "bad input: a new desk served after", out)
        with open(os.path.join(tmp, "ctid.log"), "rb") as f:
            raw = f.read()
        try:
            lines = raw.decode("ascii").splitlines()
        except UnicodeDecodeError as e:
            lines = [repr(e)]
        bad = [l for l in lines if not re.match(r"<\d>ctid: ", l)]
        ok(not bad, "bad input: the log stays ASCII, one event a line", "\n".join(bad[:5]))
    finally:
        stop(srv, "bad input")


def main():
    tests = [test_reload, test_slow_wallboard, test_rate_limit, test_tls, test_bad_input]
    for fn in tests:
        t0 = time.time()
        with tempfile.TemporaryDirectory(prefix="ctid-more-") as tmp:
            try:
                fn(tmp)
            except Exception as e:  # a broken step fails its test, not the rest
                import traceback
                ok(False, "%s raised %r" % (fn.__name__, e), traceback.format_exc())
        print("# %s: %.1f s" % (fn.__name__, time.time() - t0), flush=True)
    print("1..%d" % t.n_test, flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
