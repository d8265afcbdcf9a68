#!/usr/bin/python3
"""End-to-end tests of ctid (suite ctid, TAP): the real server on a free loopback port with
a temporary store, driven by ccenter-desk (and ccenter-switch when given).

  test_ctid.py CTID CCENTER_DESK CCENTER_PASSWD [CCENTER_SWITCH]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CTID, DESK, PASSWD = sys.argv[1:4]
SWITCH = sys.argv[4] if len(sys.argv) > 4 else None
SECRET = "pw-secret"
n_test = 0
failed = 0

WORKFLOW = """workflow mc
field amount int
state OPEN initial
state DONE final DONE
transition close OPEN -> DONE role agent
  dual approver supervisor
"""


def ok(cond, name, detail=""):
    global n_test, failed
    n_test += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n_test, name), flush=True)
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[-40:]:
            print("#   " + line, flush=True)


class Server:
    def __init__(self, tmp, conf_extra=""):
        self.tmp = tmp
        h = subprocess.run([PASSWD, "--iterations", "1000"], input=SECRET + "\n",
                           capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(tmp, "mc.wf"), "w") as f:
            f.write(WORKFLOW)
        principals = "".join(
            "[principal %s]\nrole = %s\n%ssecret = %s\n%s\n" % (
                p, role, "agent = %s\n" % p if role == "agent" else "", h,
                "case_roles = %s\n" % ("agent" if role == "agent" else "supervisor")
                if role in ("agent", "supervisor") else "")
            for p, role in [("pbx", "switch"), ("alice", "agent"), ("bob", "agent"),
                            ("carol", "supervisor"), ("board", "wallboard")] +
            [("a%02d" % i, "agent") for i in range(8)])
        agents = "".join("[agent %s]\nqueues = sales, general\n" % a
                         for a in ["alice", "bob"] + ["a%02d" % i for i in range(8)])
        self.conf = os.path.join(tmp, "ctid.conf")
        with open(self.conf, "w") as f:
            f.write("""[server]
store = %s/ctid.db
durability = written
[listen lo]
tcp = 127.0.0.1:0
[limits]
commands_per_second = 100000
lockout_failures = 3
lockout_window = 5m
lockout_time = 15m
[cases]
workflow = ./mc.wf
[queue sales]
wrap_up = 10m
[queue general]
wrap_up = 10m
%s%s%s""" % (tmp, conf_extra, agents, principals))
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.tmp, "ctid.log"), "a")
        self.log_start = self.log.tell()
        self.proc = subprocess.Popen([CTID, "-c", self.conf], stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            text = self.text()
            # Listeners are logged before "ready"; a server on a Unix socket has no port.
            if re.search(r"ready store=", text):
                p = re.findall(r"listening name=lo tcp=127.0.0.1:(\d+)", text)
                self.port = int(p[-1]) if p else None
                return
            if self.proc.poll() is not None:
                raise RuntimeError("ctid exited: " + self.text())
            time.sleep(0.05)
        raise RuntimeError("ctid did not start: " + self.text())

    def text(self):
        with open(os.path.join(self.tmp, "ctid.log")) as f:
            f.seek(self.log_start)
            return f.read()

    def addr(self):
        return "127.0.0.1:%d" % self.port

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        return rc


class Desk:
    """A ccenter-desk process fed one line at a time."""

    def __init__(self, srv, principal, role="agent", secret=SECRET):
        self.out_path = os.path.join(srv.tmp, "desk-%s-%f.out" % (principal, time.time()))
        self.out = open(self.out_path, "w")
        self.p = subprocess.Popen([DESK, "-a", srv.addr(), "-r", role, "-p", principal,
                                   "-s", secret, "-t", "20000"], stdin=subprocess.PIPE,
                                  stdout=self.out, text=True)
        # Commands before the handshake's end would race other desks' sessions.
        self.expect(r"^welcome ")

    def send(self, *lines):
        for line in lines:
            self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def text(self):
        with open(self.out_path) as f:
            return f.read()

    def expect(self, pattern, timeout=30):
        """The first match of pattern in the desk's output, waiting up to timeout s; None if
        none came (said in a TAP comment: many callers use it only to wait, and a step
        that never came would otherwise show only later, as something else)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.text(), re.M)
            if m:
                return m
            if self.p.poll() is not None:
                m = re.search(pattern, self.text(), re.M)
                break
            time.sleep(0.02)
        else:
            m = None
        if not m:
            print("# %s: no line matching %r within %g s%s" % (
                os.path.basename(self.out_path), pattern, timeout,
                " (the desk exited)" if self.p.poll() is not None else ""), flush=True)
        return m

    def count(self, pattern):
        return len(re.findall(pattern, self.text(), re.M))

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.p.wait(timeout=60)
        self.out.close()
        return rc


def self_signed(tmp, *extra):
    """A self-signed P-256 certificate for localhost made by the openssl command (cert, key
    paths), or None when there is no openssl command."""
    if not shutil.which("openssl"):
        return None
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost"] + list(extra), check=True,
                   capture_output=True)
    return cert, key


def run_desk(srv, principal, lines, role="agent", secret=SECRET):
    p = subprocess.run([DESK, "-a", srv.addr(), "-r", role, "-p", principal, "-s", secret,
                        "-t", "20000"], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout


def response_codes(text):
    return re.findall(r"^response id=\d+ code=(\S+)", text, re.M)


def test_call_life(srv):
    alice = Desk(srv, "alice")
    alice.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    ok(alice.expect(r"state=AGENT_READY"), "call life: alice logged in and ready", alice.text())
    pbx = Desk(srv, "pbx", "switch")
    pbx.send("enqueue c1 sales")
    ok(pbx.expect(r"type=EV_CONTACT_QUEUED .*contact=c1"), "call life: switch enqueues c1",
       pbx.text())
    ok(alice.expect(r"type=EV_CONTACT_OFFERED agent=alice contact=c1"),
       "call life: c1 offered to alice", alice.text())
    alice.send("accept c1", "hold c1", "unhold c1", "end c1")
    ok(pbx.expect(r"type=EV_CONTACT_CONNECTED agent=alice contact=c1") and
       pbx.expect(r"type=EV_CONTACT_HELD agent=alice contact=c1") and
       pbx.expect(r"type=EV_CONVERSATION_ENDED agent=alice contact=c1"),
       "call life: the switch sees connected, held, ended", pbx.text())
    alice.send("wrapup c1 sale", "info-agent")
    ok(alice.expect(r"^agent-info agent=alice state=AGENT_READY .*wrap_up=0"),
       "call life: wrap-up with a code, alice ready again", alice.text())
    ok(pbx.expect(r"type=EV_CONTACT_ENDED .*contact=c1"), "call life: c1 ended", pbx.text())
    ok(response_codes(alice.text()).count("CCENTER_OK") == 9 and
       "CCENTER_E" not in alice.text(), "call life: every desk command answered OK",
       alice.text())
    # Transfer: c2 to alice, transferred to bob.
    bob = Desk(srv, "bob")
    bob.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    bob.expect(r"state=AGENT_READY")
    pbx.send("enqueue c2 sales")
    m = None
    deadline = time.time() + 30
    while time.time() < deadline and not m:
        m = re.search(r"type=EV_CONTACT_OFFERED agent=(\w+) contact=c2", pbx.text())
        time.sleep(0.02)
    first = m.group(1) if m else "?"
    other, first_desk, other_desk = ("bob", alice, bob) if first == "alice" else ("alice", bob, alice)
    first_desk.send("accept c2", "transfer-agent c2 %s" % other)
    ok(other_desk.expect(r"type=EV_CONTACT_OFFERED agent=%s contact=c2" % other),
       "transfer: c2 offered to %s after %s's transfer" % (other, first), other_desk.text())
    other_desk.send("accept c2", "end c2", "wrapup c2 resolved")
    first_desk.send("wrapup c2 transferred")
    ok(pbx.expect(r"type=EV_CONTACT_ENDED .*contact=c2"), "transfer: c2 ends with %s" % other,
       pbx.text() + first_desk.text() + other_desk.text())
    first_desk.send("info-agent")
    first_desk.expect(r"^agent-info agent=%s" % first)
    for d in (alice, bob, pbx):
        d.close()


def test_security(srv):
    log0 = len(srv.text())
    # Wrong credential, then the lockout (3 failures).
    rc, out = run_desk(srv, "bob", [], secret="wrong")
    ok(rc == 1 and "CCENTER_EPERM" in out, "security: wrong credential refused", out)
    run_desk(srv, "bob", [], secret="wrong")
    run_desk(srv, "bob", [], secret="wrong")
    rc, out = run_desk(srv, "bob", ["info-agent"], secret=SECRET)
    ok(rc == 1 and "CCENTER_EPERM" in out, "security: locked out after 3 failures", out)
    log = srv.text()[log0:]
    ok("why=\"bad credential\"" in log and "why=\"locked out\"" in log and
       "principal=bob" in log, "security: failures logged with the principal", log)
    # Unknown principal and a principal claiming a role not its own.
    rc, out = run_desk(srv, "mallory", [])
    ok(rc == 1 and "CCENTER_EPERM" in out, "security: unknown principal refused", out)
    rc, out = run_desk(srv, "alice", [], role="supervisor")
    ok(rc == 1 and "role not its own" in srv.text(), "security: an agent claiming supervisor",
       out)
    # An agent acting as another; answering a call offered to someone else.
    a00 = Desk(srv, "a00")
    a00.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    a00.expect(r"state=AGENT_READY")
    carol = Desk(srv, "carol", "supervisor")
    carol.send("snapshot")
    carol.expect(r"^snapshot ")
    a01 = Desk(srv, "a01")
    a01.send("login a00", "notready", "accept s1")
    pbx = Desk(srv, "pbx", "switch")
    # Only a00 is ready (alice and bob ready from before are busy? make sure: not ready)
    pbx.send("enqueue s1 general")
    m = pbx.expect(r"type=EV_CONTACT_OFFERED agent=(\S+) contact=s1")
    holder = m.group(1) if m else "?"
    a01.send("accept s1 a01", "accept s1 %s" % holder, "info-contact s1")
    a01.expect(r"^contact-info")
    codes = response_codes(a01.text())
    ok(codes[:1] == ["CCENTER_EPERM"], "security: a01 logging in as a00 refused", a01.text())
    ok(holder != "a01" and codes.count("CCENTER_EPERM") >= 3,
       "security: a01 answering s1 offered to %s refused" % holder, a01.text())
    ok(a01.expect(r"^contact-info contact=s1 state=CONTACT_OFFERED .*agent=%s" % holder),
       "security: s1 still offered to %s" % holder, a01.text())
    # A wallboard sending a command; queries allowed.
    rc, out = run_desk(srv, "board", ["ready a00", "enqueue w1 sales", "info-queue sales",
                                      "snapshot"], role="wallboard")
    codes = response_codes(out)
    ok(codes[:2] == ["CCENTER_EPERM", "CCENTER_EPERM"] and codes[2] == "CCENTER_OK" and
       re.search(r"^snapshot ", out, re.M), "security: wallboard read-only", out)
    # A replayed (second) handshake.
    rc, out = run_desk(srv, "carol", ["hello", "info-agent a00"], role="supervisor")
    codes = response_codes(out)
    ok(codes[:1] == ["CCENTER_ESTATE"] and codes[1:2] == ["CCENTER_OK"],
       "security: a second handshake refused, the session goes on", out)
    log = srv.text()[log0:]
    for what in ["principal=a01 role=agent cmd=agent_login", "principal=a01 role=agent cmd=offer_accept",
                 "principal=board role=wallboard cmd=agent_ready",
                 "principal=board role=wallboard cmd=contact_enqueue",
                 "principal=carol role=supervisor cmd=hello"]:
        ok(("refused " + what) in log, "security: logged: " + what, log)
    # Nothing changed: a00's and a01's states, w1 never created.
    carol.send("info-agent a00", "info-agent a01", "info-contact w1")
    carol.expect(r"^response id=\d+ code=\S+ message=\S*\n(?:.*\n)*?.*$", 1)
    time.sleep(0.5)
    t = carol.text()
    ok(re.search(r"^agent-info agent=a01 state=AGENT_LOGGED_OUT", t, re.M) and
       "CCENTER_ENOENT" in t, "security: nothing changed (a01 logged out, w1 unknown)", t)
    pbx.send("abandon s1")
    pbx.expect(r"type=EV_CONTACT_ENDED .*contact=s1")
    for d in (a00, a01, carol, pbx):
        d.close()


def test_approval(srv):
    alice = Desk(srv, "alice")
    bob = Desk(srv, "a02")  # bob is locked out by test_security
    carol = Desk(srv, "carol", "supervisor")
    alice.send("case-open k1 mc", "case-int k1 amount 500", "case-move k1 close")
    ok(alice.expect(r"code=CCENTER_PROPOSED"), "approval: alice proposes closing k1", alice.text())
    ok(carol.expect(r"type=CASE_APPROVAL_NEEDED case=k1"), "approval: carol sees it",
       carol.text())
    bob.send("case-approve k1", "case-move k1 close")
    bob.expect(r"response id=3 ")
    ok("CCENTER_OK" not in response_codes(bob.text())[:2] and
       len(response_codes(bob.text())) >= 2,
       "approval: a second desk (a02, an agent) cannot approve", bob.text())
    carol.send("case-approve k1", "info-case k1")
    ok(carol.expect(r"^case-info case=k1 .*state=DONE closed=1"), "approval: carol approves, k1 DONE",
       carol.text())
    for d in (alice, bob, carol):
        d.close()


def test_fan_out(srv):
    """Who gets an event: the agent it names (every desk of it, once each), the agent its
    contact is with, the case actor; never a bystander. Wallboards and the switch see all."""
    carol = Desk(srv, "carol", "supervisor")
    # Only a03 ready, so that e1 is offered to it.
    carol.send("notready break alice", "notready break bob", "notready break a00", "info-agent a00")
    carol.expect(r"^agent-info agent=a00")
    d1, d2, bystander = Desk(srv, "a03"), Desk(srv, "a03"), Desk(srv, "a02")
    board = Desk(srv, "board", "wallboard")
    pbx = Desk(srv, "pbx", "switch")
    bystander.send("login", "wait AGENT_STATE agent=a02")
    bystander.expect(r"type=EV_AGENT_STATE agent=a02")
    d1.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    ok(d2.expect(r"type=EV_AGENT_STATE agent=a03 .*state=AGENT_READY") or
       d2.expect(r"type=EV_AGENT_STATE agent=a03"), "fan-out: a03's second desk sees its state",
       d2.text())
    pbx.send("enqueue e1 sales")
    offered = r"type=EV_CONTACT_OFFERED agent=a03 contact=e1 "
    ok(d1.expect(offered) and d2.expect(offered), "fan-out: e1 offered to a03, both desks see it",
       d1.text() + d2.text() + pbx.text())
    d1.send("accept e1", "end e1", "wrapup e1 sale")
    ok(pbx.expect(r"type=EV_CONTACT_ENDED .*contact=e1") and
       d2.expect(r"type=EV_CONTACT_ENDED .*contact=e1"),
       "fan-out: e1's end reaches the switch and a03's other desk", pbx.text() + d2.text())
    d1.send("case-open k9 mc")
    ok(d2.expect(r"^case-event .*case=k9 ") and board.expect(r"^case-event .*case=k9 "),
       "fan-out: the case actor's other desk and the wallboard see k9 opened",
       d2.text() + board.text())
    ok(board.expect(r"type=EV_CONTACT_CONNECTED agent=a03 contact=e1 "),
       "fan-out: the wallboard sees e1 connected", board.text())
    time.sleep(0.3)  # anything wrongly sent would have arrived by now
    for d, who in ((d1, "first"), (d2, "second")):
        ok(d.count(offered) == 1 and d.count(r"type=EV_CONTACT_CONNECTED .*contact=e1 ") == 1,
           "fan-out: a03's %s desk gets each event once" % who, d.text())
    ok("contact=e1" not in bystander.text() and "case=k9" not in bystander.text(),
       "fan-out: a bystander agent sees neither e1 nor k9", bystander.text())
    carol.send("ready alice", "ready bob", "ready a00", "info-agent a00")
    carol.expect(r"^agent-info agent=a00 state=AGENT_READY")
    bystander.send("logout", "info-agent")
    bystander.expect(r"^agent-info agent=a02")
    d1.send("logout", "info-agent")
    d1.expect(r"^agent-info agent=a03 state=AGENT_LOGGED_OUT")
    for d in (d1, d2, bystander, board, pbx, carol):
        d.close()


def snapshot_state(srv):
    rc, out = run_desk(srv, "carol", ["snapshot"], role="supervisor")
    contacts = sorted(re.findall(r"^snap-contact (contact=\S+ state=\S+ queue=\S+ agent=\S+ position=\d+)",
                                 out, re.M))
    agents = sorted(re.findall(r"^snap-agent (agent=\S+ state=\S+)", out, re.M))
    return contacts, agents, out


def test_kill9(srv):
    if not SWITCH:
        ok(True, "kill -9: skipped (no ccenter-switch) # SKIP")
        return
    sw_out = open(os.path.join(srv.tmp, "switch.out"), "w")
    # 4 agents taking 2 calls a second each against 20 arriving: a queue builds.
    sw = subprocess.Popen([SWITCH, "-a", srv.addr(), "-p", "pbx", "-s", SECRET, "-P", "carol",
                           "-S", SECRET, "-q", "sales,general", "-r", "20", "-d", "30",
                           "-A", "a04,a05,a06,a07", "-T", "500", "-W", "5000", "-x", "7"],
                          stdout=sw_out, stderr=subprocess.STDOUT)
    # Paused once callers wait: how long the switch takes to start depends on the load
    # (seconds under ASan on a busy machine), so look again rather than guess.
    deadline = time.monotonic() + 90
    while True:
        time.sleep(1)
        sw.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        before_c, before_a, out_b = snapshot_state(srv)
        waiting = [c for c in before_c if "state=CONTACT_WAITING" in c]
        if waiting or time.monotonic() > deadline or sw.poll() is not None:
            break
        sw.send_signal(signal.SIGCONT)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.log.close()
    srv.start()
    after_c, after_a, out_a = snapshot_state(srv)
    sw.send_signal(signal.SIGCONT)
    sw.wait(timeout=60)
    sw_out.close()
    with open(os.path.join(srv.tmp, "switch.out")) as f:
        report = f.read()
    ok(re.search(r"placed=[1-9]\d* answered=[1-9]", report) and
       re.search(r"enqueue->queued n=[1-9]\d* p50=\d+us p99=\d+us", report),
       "ccenter-switch: calls placed and answered, latencies reported", report)
    ok(len(waiting) > 0, "kill -9: callers were waiting (%d)" % len(waiting), out_b)
    ok(before_c == after_c, "kill -9: every contact in the same state and position",
       "\n".join(before_c) + "\n---\n" + "\n".join(after_c))
    ok(before_a == after_a, "kill -9: every agent in its state",
       "\n".join(before_a) + "\n---\n" + "\n".join(after_a))
    with open(os.path.join(srv.tmp, "ctid.log")) as f:
        whole = f.read()
    ok("store sync rc=" not in whole and "store sync not queued" not in whole,
       "durability written: every sync off the loop succeeded", whole[-2000:])


def main():
    tests = [test_call_life, test_security, test_approval, test_fan_out, test_kill9]
    with tempfile.TemporaryDirectory(prefix="ctid-test-") as tmp:
        srv = Server(tmp)
        srv.start()
        try:
            for t in tests:
                try:
                    t(srv)
                except Exception as e:  # a broken step fails its test, not the rest
                    import traceback
                    ok(False, "%s raised %r" % (t.__name__, e), traceback.format_exc() + srv.text()[-1500:])
            rc = srv.stop()
            ok(rc == 0 and "stopped" in srv.text(), "SIGTERM: ctid stops cleanly with 0",
               srv.text()[-2000:])
        finally:
            if srv.proc.poll() is None:
                srv.proc.kill()
    print("1..%d" % n_test, flush=True)  # a trailing plan: the count depends on the clients built
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
