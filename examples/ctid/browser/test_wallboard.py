#!/usr/bin/python3
"""The wallboard and supervisor pages in a real browser (suite ctid, TAP): Debian's
headless Chromium, driven by playwright-core (driver.js), against the real ctid on free
loopback ports with a temporary store. ccenter-switch and desks place the calls; a
protocol client (Google's Python runtime, as in test_ctid_interop.py) gives the views the
page must agree with.

  test_wallboard.py PROTO CTID CCENTER_DESK CCENTER_PASSWD CCENTER_SWITCH WWW OUT_DIR
                    [--measure PAGES,SSE...] [--bank-screenshot PATH]

Checks: every figure of the wallboard (data-queue/data-field elements) equals the
protocol's Snapshot at the same event number; the page updates from /api/stream without a
reload, each event reaching it within a second (p50/p99 of the event-to-page latency,
measured with the browser's clock against the time a protocol client received the event);
the supervisor page refuses a wallboard credential and shows the server's words when an
action is refused; a supervisor's "force ready" and "approve" change the engine as the
protocol sees it. Screenshots go to OUT_DIR.

--measure runs the figures of docs/wallboard.md instead of the test: for each N, N extra
server-sent-event clients (plain sockets) beside a few browser pages, the event-to-page
p50/p99 in the browser and ccenter-switch's CTI p99, printed one line per N.
"""
import json
import os
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = sys.argv[1:]
PROTO, CTID, DESK, PASSWD, SWITCH, WWW, OUT_DIR = ARGS[:7]
OPTS = ARGS[7:]
# The shipped calendars and workflows (the source tree's data/).
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(WWW)))),
                        "data")
# test_ctid_interop.py reads PROTO and test_ctid.py the programs from argv at import.
sys.argv = [sys.argv[0], PROTO, CTID, DESK, PASSWD, SWITCH]
sys.path.insert(0, os.path.dirname(HERE))
sys.dont_write_bytecode = True
import test_ctid_interop as interop  # noqa: E402  (it imports test_ctid with its argv)
import test_ctid as e2e  # noqa: E402
sys.argv = [sys.argv[0], CTID, DESK, PASSWD, WWW]
import test_ctid_http as web  # noqa: E402  (its server finds the HTTP port)
from test_ctid import Desk, ok  # noqa: E402

SECRET = e2e.SECRET
# An emergency workflow: a golden window, a deadline, and a transition a supervisor must
# approve.
WORKFLOW = """workflow mc
golden 30m
field amount int
state OPEN initial
state HELD contained
state DONE final DONE
transition hold OPEN -> HELD role agent
transition close OPEN,HELD -> DONE role agent
  dual approver supervisor
timer callback on OPEN 20m -> escalate supervisor deadline
"""
AGENTS = ["alice", "bob"] + ["a%02d" % i for i in range(8)]
# Events that change a figure of the board (a queue's waiting count or an agent's state).
FIGURE_EVENTS = {"EV_CONTACT_QUEUED", "EV_CONTACT_OFFERED", "EV_CONTACT_CONNECTED",
                 "EV_CONTACT_ENDED", "EV_AGENT_STATE", "EV_WRAP_UP_ENDED",
                 "EV_CONVERSATION_ENDED"}


def write_conf(tmp, queues, agents, extra="", cases="", serves=None):
    """ctid's configuration; serves(agent) gives an agent's queues (default: all)."""
    h = subprocess.run([PASSWD, "--iterations", "1000"], input=SECRET + "\n",
                       capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(tmp, "mc.wf"), "w") as f:
        f.write(WORKFLOW)
    principals = [("pbx", "switch"), ("carol", "supervisor"), ("board", "wallboard")] + \
        [(a, "agent") for a in agents]
    text = """[server]
store = %s/ctid.db
data_dir = %s
www = %s
durability = grouped
[listen lo]
tcp = 127.0.0.1:0
[listen web]
http = 127.0.0.1:0
[limits]
commands_per_second = 100000
%s[cases]
workflow = ./mc.wf
%s""" % (tmp, DATA_DIR, WWW, extra, cases)
    for q in queues:
        text += "[queue %s]\nwrap_up = 10m\nsl_threshold = 20s\nsl_target = 80%%\n" % q
    for a in agents:
        text += "[agent %s]\nqueues = %s\n" % (a, ", ".join(serves(a) if serves else queues))
    for p, role in principals:
        text += "[principal %s]\nrole = %s\n%ssecret = %s\n%s" % (
            p, role, "agent = %s\n" % p if role == "agent" else "", h,
            "case_roles = %s\n" % role if role in ("agent", "supervisor") else "")
    path = os.path.join(tmp, "ctid.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


class Server(web.Server):
    """test_ctid_http's server (the HTTP port in self.web) with this test's configuration."""

    def __init__(self, tmp, queues=("sales", "general"), agents=AGENTS, extra="", cases="",
                 serves=None):
        self.tmp, self.proc = tmp, None
        self.conf = write_conf(tmp, queues, agents, extra, cases, serves)

    def start(self):
        super().start()
        self.http = "http://127.0.0.1:%d/" % self.web.port


class Browser:
    """driver.js: one JSON command a line, one answer a line."""

    def __init__(self):
        self.p = subprocess.Popen(["node", os.path.join(HERE, "driver.js")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ,
                                           NODE_PATH=os.path.join(HERE, "node_modules")))
        self.answers = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.n = 0
        self.version = self.cmd("launch", timeout=60)

    def _read(self):
        for line in self.p.stdout:
            self.answers.put(json.loads(line))
        self.answers.put(None)

    def cmd(self, op, timeout=30, **kw):
        self.n += 1
        kw.update(id=self.n, op=op)
        self.p.stdin.write(json.dumps(kw) + "\n")
        self.p.stdin.flush()
        a = self.answers.get(timeout=timeout)
        if a is None:
            raise RuntimeError("the browser driver exited")
        if not a["ok"]:
            raise RuntimeError("%s: %s" % (op, a["error"]))
        return a["result"]

    def eval(self, name, expr):
        return self.cmd("eval", name=name, expr=expr)

    def wait(self, name, expr, timeout=10):
        """The value of expr once it is truthy; RuntimeError after timeout seconds."""
        return self.cmd("wait", timeout=timeout + 10, name=name, expr=expr,
                        ms=int(timeout * 1000))

    def quit(self):
        try:
            self.cmd("quit", timeout=30)
        except (RuntimeError, queue.Empty):
            pass
        self.p.wait(timeout=30)


# Every figure on the board as the DOM shows it: {queue: {field: data-value}}, the board's
# seq and time. Read in one evaluation, so the figures are of one board.
READ_BOARD = """(() => {
  const out = {seq: Number(document.body.dataset.seq), time: Number(document.body.dataset.time),
               queues: {}, cases: {}};
  for (const e of document.querySelectorAll("#queues [data-queue][data-field]")) {
    const q = out.queues[e.dataset.queue] = out.queues[e.dataset.queue] || {};
    q[e.dataset.field] = e.dataset.value === "" ? null : Number(e.dataset.value);
  }
  for (const e of document.querySelectorAll("#cases [data-case][data-field]")) {
    const c = out.cases[e.dataset.case] = out.cases[e.dataset.case] || {};
    c[e.dataset.field] = e.dataset.value;
  }
  return out;
})()"""


class Recorder(threading.Thread):
    """A wallboard session of the protocol that notes when each event arrived."""

    def __init__(self, pb, enc, dec, addr):
        super().__init__(daemon=True)
        self.c = interop.PyClient(pb, enc, dec, addr, pb.ROLE_WALLBOARD, "board", SECRET)
        self.c.sock.settimeout(None)
        self.pb = pb
        self.seen = []  # (seq, type name, time.time(), contact)
        self.stop = False

    def run(self):
        try:
            while not self.stop:
                f = self.c.recv()
                now = time.time()
                if f.WhichOneof("body") == "event":
                    self.seen.append((f.event.seq, self.pb.EventType.Name(f.event.type), now,
                                      f.event.contact))
                elif f.WhichOneof("body") == "case_event":
                    self.seen.append((f.case_event.seq, "CASE", now, ""))
                self.c.frames.clear()
        except (EOFError, OSError):
            pass

    def close(self):
        self.stop = True
        self.c.close()


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else None


def latencies(events, updates):
    """For each event, the time from its arrival at the protocol client to the first page
    update whose board includes it (seq >= the event's), in ms; and the events that never
    reached the page."""
    ups = sorted((u["seq"], u["at"]) for u in updates)
    out, missing = [], []
    for seq, _, t, _ in events:
        ats = [at for s, at in ups if s >= seq and at >= t * 1000 - 1]
        if ats:
            out.append(min(ats) - t * 1000)
        else:
            missing.append(seq)
    return out, missing


def protocol_board(snap, pb, queues, members):
    """The figures the board must show, computed from the protocol's Snapshot."""
    agents = {a.agent: a for a in snap.agents}
    out = {}
    for qi in snap.queues:
        if qi.queue not in queues:
            continue
        counts = dict(agents_logged_in=0, agents_busy=0, agents_wrap_up=0, agents_ready=0,
                      agents_not_ready=0)
        for m in members[qi.queue]:
            a = agents.get(m)
            if a is None or a.state == pb.AGENT_LOGGED_OUT:
                continue
            counts["agents_logged_in"] += 1
            if a.connected or a.offered:
                counts["agents_busy"] += 1
            elif a.wrap_up:
                counts["agents_wrap_up"] += 1
            elif a.state == pb.AGENT_READY:
                counts["agents_ready"] += 1
            else:
                counts["agents_not_ready"] += 1
        counts.update(waiting=qi.waiting, ewt_ms=None if qi.ewt_ms < 0 else qi.ewt_ms,
                      longest_wait_ms=qi.longest_wait_ms)
        out[qi.queue] = counts
    return out


def must(desk, pattern):
    """desk.expect, failing the run at once with the desk's output when the line does not
    come (a step that went wrong would otherwise show only later, as a side effect)."""
    m = desk.expect(pattern)
    if not m:
        raise RuntimeError("no line matching %r from %s; its output ends:\n%s"
                           % (pattern, desk.out_path, desk.text()[-2000:]))
    return m


def compare_at_same_seq(br, name, client, pb, queues, members, tries=20):
    """Snapshot, then the page at the snapshot's event number; retried while events move
    the numbers on. Returns (page, expected, snapshot) or None."""
    for _ in range(tries):
        f = client.call(pb.ClientFrame(snapshot=pb.SnapshotRequest()))
        client.frames.clear()
        snap = f.snapshot
        try:
            br.wait(name, "Number(document.body.dataset.seq) >= %d" % snap.last_seq, 5)
        except RuntimeError:
            continue
        page = br.eval(name, READ_BOARD)
        if page["seq"] == snap.last_seq:
            return page, protocol_board(snap, pb, queues, members), snap
        time.sleep(0.3)
    return None


def run_switch(srv, agents, queues, rate, seconds, extra=()):
    return subprocess.Popen([SWITCH, "-a", srv.addr(), "-p", "pbx", "-s", SECRET, "-P", "carol",
                             "-A", ",".join(agents), "-S", SECRET, "-q", ",".join(queues),
                             "-r", str(rate), "-d", str(seconds), "-T", "400", "-W", "4000",
                             "-x", "7"] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test(tmp, pbmods):
    pb, enc, dec = pbmods
    queues = ["sales", "general"]
    members = {q: AGENTS for q in queues}
    srv = Server(tmp)
    srv.start()
    day = time.strftime("%Y-%m-%d")
    br = Browser()
    rec = None
    try:
        ok(br.version.split(".")[0].isdigit(), "chromium %s, ctid at %s" % (br.version, srv.http))
        # Without a credential the page is not served; with the wallboard's it is.
        ok(srv.web.req("GET", "/", who=None)[0] == 401, "the wallboard without a credential: 401")
        st = br.cmd("open", name="wb", url=srv.http, user="board", password=SECRET,
                    width=1920, height=1080)
        ok(st["status"] == 200, "the wallboard opens with a wallboard credential", st)
        br.eval("wb", "window.ccMarker = 42")
        br.wait("wb", "document.body.dataset.seq !== undefined")
        br.cmd("open", name="laptop", url=srv.http, user="carol", password=SECRET,
               width=1280, height=800)

        # Live: ccenter-switch's calls while the pages and a protocol client note each event.
        rec = Recorder(pb, enc, dec, srv.addr())
        rec.start()
        sw = run_switch(srv, ["a%02d" % i for i in range(6)], queues, 12, 5)
        time.sleep(3)
        br.cmd("screenshot", name="wb", path=os.path.join(OUT_DIR, "wallboard.png"))
        out = sw.communicate(timeout=120)[0]
        ok(sw.returncode == 0, "ccenter-switch places calls for 5 s", out)
        time.sleep(1.5)
        updates = br.eval("wb", "window.ccUpdates")
        events = [e for e in rec.seen if e[1] in FIGURE_EVENTS]
        lat, missing = latencies(events, updates)
        ok(not missing and len(lat) > 20,
           "every event that changed a figure reached the page (%d events, %d page updates)"
           % (len(lat), len(updates)), "missing: %s" % missing[:20])
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        print("# event-to-page latency: n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms" %
              (len(lat), p50 or -1, p99 or -1, max(lat) if lat else -1), flush=True)
        render = [u["at"] - u["got"] for u in updates if u.get("got")]
        print("# the page's own part (message to figures shown): p50=%.1f ms p99=%.1f ms" %
              (percentile(render, 50) or -1, percentile(render, 99) or -1), flush=True)
        ok(lat and p99 < 1000, "each event on the page within a second (p99 %.0f ms)" %
           (p99 or -1))
        ok(br.eval("wb", "window.ccMarker") == 42 and
           br.eval("wb", "performance.getEntriesByType('navigation').length") == 1,
           "the page updated without a reload")
        lap = br.eval("laptop", "window.ccUpdates.length")
        ok(lap > 5, "a second page (laptop size, supervisor credential) updates too (%d)" % lap)

        # A settled state of every kind: waiting callers, a busy agent, one in wrap-up,
        # not-ready and logged-out agents.
        sup = interop.PyClient(pb, enc, dec, srv.addr(), pb.ROLE_SUPERVISOR, "carol", SECRET)
        for i in range(6):
            sup.command(agent_not_ready=pb.AgentNotReady(agent="a%02d" % i, reason="break"))
        # The switch's callers stop with it, but a call it left waiting or ringing stays in
        # its queue and would be offered to alice or bob before w1 and w2 (the more likely
        # the slower the machine): such callers hang up first, as the switch's would have
        # (abandoned, which the day's counters below expect of a call never connected).
        snap = sup.call(pb.ClientFrame(snapshot=pb.SnapshotRequest())).snapshot
        sup.frames.clear()
        left = [c.contact for c in snap.contacts
                if c.state in (pb.CONTACT_WAITING, pb.CONTACT_OFFERED)]
        for c in left:
            sup.command(contact_abandon=pb.ContactRef(contact=c))
        print("# calls the switch left waiting or ringing, abandoned: %d" % len(left), flush=True)
        alice, bob = Desk(srv, "alice"), Desk(srv, "bob")
        pbx = Desk(srv, "pbx", "switch")
        alice.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
        must(alice, r"state=AGENT_READY")
        pbx.send("enqueue w1 sales")
        must(alice, r"type=EV_CONTACT_OFFERED agent=alice contact=w1")
        alice.send("accept w1")
        must(alice, r"type=EV_CONTACT_CONNECTED agent=alice contact=w1")
        bob.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
        must(bob, r"state=AGENT_READY")
        pbx.send("enqueue w2 general")
        must(bob, r"type=EV_CONTACT_OFFERED agent=bob contact=w2")
        bob.send("accept w2", "end w2")
        must(bob, r"type=EV_CONVERSATION_ENDED agent=bob contact=w2")
        pbx.send("enqueue w3 sales", "enqueue w4 sales", "enqueue w5 general")
        must(pbx, r"type=EV_CONTACT_QUEUED .*contact=w5")
        got = compare_at_same_seq(br, "wb", sup, pb, queues, members)
        ok(got, "the page reaches the protocol snapshot's event number")
        if got:
            page, want, snap = got
            for q in queues:
                p = page["queues"].get(q, {})
                for k in ("waiting", "ewt_ms", "agents_logged_in", "agents_busy",
                          "agents_wrap_up", "agents_ready", "agents_not_ready"):
                    ok(p.get(k) == want[q][k], "queue %s %s: page %s, protocol %s" %
                       (q, k, p.get(k), want[q][k]))
                # The longest wait is taken at the board's time, the snapshot's at its own.
                lw = p.get("longest_wait_ms")
                ok(lw is not None and abs((lw - page["time"]) -
                                          (want[q]["longest_wait_ms"] - snap.time)) <= 1,
                   "queue %s longest wait: page %s at %s, protocol %s at %s" %
                   (q, lw, page["time"], want[q]["longest_wait_ms"], snap.time))
            # The day's counters against the protocol's events up to the same number (the
            # recorder saw every call of the day; unless the day changed meanwhile: the
            # counters start again at local midnight).
            deadline = time.time() + 20
            while time.time() < deadline and not (rec.seen and rec.seen[-1][0] >= snap.last_seq):
                time.sleep(0.05)
            if time.strftime("%Y-%m-%d") == day:
                upto = [e for e in list(rec.seen) if e[0] <= snap.last_seq]
                connected = {e[3] for e in upto if e[1] == "EV_CONTACT_CONNECTED"}
                ended = {e[3] for e in upto if e[1] == "EV_CONTACT_ENDED"}
                for k, want_n in (("offered_today",
                                   sum(e[1] == "EV_CONTACT_QUEUED" for e in upto)),
                                  ("answered_today", len(connected)),
                                  ("abandoned_today", len(ended - connected))):
                    got_n = sum(page["queues"][q].get(k) or 0 for q in queues)
                    ok(got_n == want_n, "%s over the queues: page %d, the protocol's events %d"
                       % (k, got_n, want_n))

        # The supervisor page: refused with the wallboard's credential, in the server's words.
        br.cmd("open", name="sup-board", url=srv.http + "supervisor.html", user="board",
               password=SECRET)
        msg = br.wait("sup-board", "(() => { const t = document.getElementById('message')"
                      ".textContent; return t.length ? t : null; })()")
        ok("403" in msg, "the supervisor page refuses a wallboard credential: %r" % msg)
        br.cmd("screenshot", name="sup-board", path=os.path.join(OUT_DIR, "supervisor-refused.png"))
        st = br.cmd("open", name="sup", url=srv.http + "supervisor.html", user="carol",
                    password=SECRET)
        br.wait("sup", "document.body.dataset.loaded")
        states = br.eval("sup", "Object.fromEntries(Array.from(document.querySelectorAll("
                         "'#agents [data-field=state]')).map(e => [e.dataset.agent, e.dataset.value]))")
        f = sup.call(pb.ClientFrame(snapshot=pb.SnapshotRequest()))
        want = {a.agent: pb.AgentState.Name(a.state)[len("AGENT_"):].lower()
                for a in f.snapshot.agents}
        ok(states == want, "the supervisor page's agent states equal the protocol's",
           "page %s\nprotocol %s" % (states, want))
        # Force a00 ready: it takes a waiting call.
        br.cmd("click", name="sup", selector='button[aria-label="Force a00 ready"]')
        br.wait("sup", "document.getElementById('message').textContent.includes('done')")
        r = sup.call(pb.ClientFrame(command=pb.Command(agent_info=pb.AgentRef(agent="a00"))))
        ok(r.response.agent_info.state == pb.AGENT_READY,
           "force ready on the page: a00 is ready for the protocol",
           str(r.response))
        # A refusal shows the server's text: a07 is logged out, it cannot be made ready.
        br.cmd("click", name="sup", selector='button[aria-label="Force a07 ready"]')
        msg = br.wait("sup", "(() => { const m = document.getElementById('message');"
                      "return m.classList.contains('error') ? m.textContent : null; })()")
        ok("409" in msg and "CCENTER_E" in msg,
           "a refused action shows the server's answer: %r" % msg)
        r = sup.call(pb.ClientFrame(command=pb.Command(agent_info=pb.AgentRef(agent="a07"))))
        ok(r.response.agent_info.state == pb.AGENT_LOGGED_OUT, "and a07 stays logged out")

        # An emergency case with a proposal: on the wallboard, approved from the page.
        alice.send("case-open F1 mc", "case-move F1 close")
        ok(alice.expect(r"code=CCENTER_PROPOSED"), "alice proposes to close F1", alice.text())
        c = br.wait("wb", "(() => { const e = document.querySelector("
                    "'#cases [data-case=F1][data-field=golden_window_left_ms]');"
                    " return e && e.dataset.value; })()")
        ok(0 < int(c) <= 30 * 60000, "F1 on the wallboard with its golden window: %s ms" % c)
        # Its 20-minute deadline is listed when it falls today (local time, as ctid's day).
        r = sup.call(pb.ClientFrame(command=pb.Command(case_info=pb.CaseRef(case_id="F1"))))
        due = r.response.case_info.next_deadline
        shown = json.loads(br.eval("wb", "document.querySelector('#cases [data-case=F1]"
                                         "[data-field=deadlines]').dataset.value"))
        today = time.localtime(due / 1000.0)[:3] == time.localtime()[:3]
        ok(shown == ([{"name": "callback", "due": due}] if today else []),
           "F1's deadlines due today on the page equal the protocol's next deadline",
           "page %s, protocol %s" % (shown, due))
        br.wait("sup", "document.querySelector('#proposals tr[data-case=F1]')")
        br.cmd("screenshot", name="sup", path=os.path.join(OUT_DIR, "supervisor.png"))
        br.cmd("click", name="sup", selector='button[aria-label="Approve close of F1"]')
        br.wait("sup", "document.getElementById('message').textContent.includes('done')")
        r = sup.call(pb.ClientFrame(command=pb.Command(case_info=pb.CaseRef(case_id="F1"))))
        ok(r.response.case_info.closed and r.response.case_info.state == "DONE",
           "approved on the page: F1 closed in DONE for the protocol", str(r.response))
        try:
            gone = br.wait("wb", "!document.querySelector('#cases [data-case=F1]')")
        except RuntimeError as e:
            gone = str(e)
        ok(gone is True, "F1 leaves the wallboard once closed", gone)
        errs = br.cmd("errors", name="wb") + br.cmd("errors", name="sup")
        ok(not [e for e in errs if "401" not in e and "403" not in e and "409" not in e],
           "no script error on the pages", errs)
        sup.close()
        for d in (alice, bob, pbx):
            d.close()
    finally:
        if rec:
            rec.close()
        br.quit()
        rc = srv.stop()
    ok(rc == 0, "ctid stops cleanly", srv.text()[-3000:])


class SseClients:
    """N clients of /api/stream on plain sockets, all read (and discarded) by one thread:
    the wallboards of a room that are not the browser under measure."""

    def __init__(self, http, n, user="board"):
        import selectors
        host, port = re.match(r"http://([^:/]+):(\d+)/", http).groups()
        req = ("GET /api/stream HTTP/1.1\r\nHost: %s:%s\r\nAccept: text/event-stream\r\n"
               "Authorization: %s\r\n\r\n" % (host, port, web.auth(user))).encode()
        self.sel = selectors.DefaultSelector()
        self.socks, self.bytes, self.closed, self.stop = [], 0, 0, False
        for _ in range(n):
            s = socket.create_connection((host, int(port)), timeout=30)
            s.sendall(req)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.2):
                try:
                    d = key.fileobj.recv(1 << 16)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b""
                if d:
                    self.bytes += len(d)
                else:
                    self.sel.unregister(key.fileobj)
                    self.closed += 1

    def close(self):
        self.stop = True
        self.t.join(timeout=10)
        for s in self.socks:
            s.close()


def switch_latency(out):
    """ccenter-switch's p50/p99 lines, in ms: {name: (n, p50, p99)}."""
    return {m.group(1): (int(m.group(2)), int(m.group(3)) / 1000.0, int(m.group(4)) / 1000.0)
            for m in re.finditer(r"(\S+->\S+) n=(\d+) p50=(\d+)us p99=(\d+)us", out)}


BANK_QUEUES = ["vip", "cards", "english", "fraud"]
BANK_AGENTS = ["a%02d" % i for i in range(24)]
BANK_CASES = "calendar = cn-2026\nworkflow = cn-telecom-fraud\n"


def measure(tmp, pbmods, counts, pages=3, rate=20, seconds=10):
    """The figures of docs/wallboard.md: for each N, a fresh ctid with N plain SSE clients
    and `pages` browser pages while ccenter-switch places calls."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # ctid inherits it
    pb, enc, dec = pbmods
    br = Browser()
    try:
        for k, n in enumerate(counts):
            d = os.path.join(tmp, "n%d" % n)
            os.mkdir(d)
            srv = Server(d, BANK_QUEUES, BANK_AGENTS + ["alice"], cases=BANK_CASES)
            srv.start()
            for i in range(pages):
                br.cmd("open", name="p%d" % i, url=srv.http, user="board", password=SECRET)
                br.wait("p%d" % i, "document.body.dataset.seq !== undefined")
            sse = SseClients(srv.http, n) if n else None
            rec = Recorder(pb, enc, dec, srv.addr())
            rec.start()
            time.sleep(1)
            for i in range(pages):
                br.eval("p%d" % i, "window.ccUpdates = []")
            load0 = os.getloadavg()[0]
            sw = subprocess.run([SWITCH, "-a", srv.addr(), "-p", "pbx", "-s", SECRET, "-P",
                                 "carol", "-A", ",".join(BANK_AGENTS), "-S", SECRET, "-q",
                                 ",".join(BANK_QUEUES), "-r", str(rate), "-d", str(seconds),
                                 "-T", "800", "-W", "6000", "-x", "100"],
                                capture_output=True, text=True, timeout=300)
            time.sleep(1.5)
            lat, own = [], []
            events = [e for e in rec.seen if e[1] in FIGURE_EVENTS]
            missing = 0
            for i in range(pages):
                ups = br.eval("p%d" % i, "window.ccUpdates")
                l, m = latencies(events, ups)
                lat += l
                own += [u["at"] - u["got"] for u in ups]
                missing += len(m)
                br.cmd("close", name="p%d" % i)
            cti = switch_latency(sw.stdout + sw.stderr)
            load1 = os.getloadavg()[0]
            print("sse_clients=%d pages=%d events=%d event_to_page p50=%.1fms p99=%.1fms "
                  "max=%.1fms (page's own p50=%.1fms p99=%.1fms) missing=%d sse_bytes=%d "
                  "sse_cut=%d cti %s load=%.1f..%.1f" % (
                      n, pages, len(events), percentile(lat, 50) or -1,
                      percentile(lat, 99) or -1, max(lat) if lat else -1,
                      percentile(own, 50) or -1, percentile(own, 99) or -1, missing,
                      sse.bytes if sse else 0, sse.closed if sse else 0,
                      " ".join("%s n=%d p50=%.2fms p99=%.2fms" % (name, *v)
                               for name, v in sorted(cti.items())),
                      load0, load1), flush=True)
            if sw.returncode:
                print(sw.stdout + sw.stderr)
            rec.close()
            if sse:
                sse.close()
            srv.stop()
    finally:
        br.quit()


def bank_screenshot(tmp, path):
    """The picture of docs/wallboard.md: four queues of a bank, 24 agents each serving two
    of them and nearly all busy, three fraud cases open. The statistics intervals are 10 s,
    and ctid and the browser run in a whole-hour zone (Etc/GMT-N) whose day began less than
    an hour ago, so that the chart has a day's worth of bars in two minutes."""
    h = time.gmtime().tm_hour
    zone = "Etc/GMT-%d" % (24 - h) if h >= 12 else "Etc/GMT+%d" % h if h else "Etc/UTC"
    os.environ["TZ"] = zone  # ctid's local midnight

    def serves(a):  # a00..a23: two queues each, every pair of queues shares agents
        if not a[1:].isdigit():
            return BANK_QUEUES
        k = int(a[1:])
        return [BANK_QUEUES[k % 4], BANK_QUEUES[(k % 4 + 1 + (k // 4) % 3) % 4]]

    srv = Server(tmp, BANK_QUEUES, BANK_AGENTS + ["alice"],
                 extra="[engine]\nstats_interval = 10s\n", cases=BANK_CASES, serves=serves)
    srv.start()
    br = Browser()
    try:
        alice = Desk(srv, "alice")
        alice.send("case-open F-1041 cn-telecom-fraud",
                   "case-open F-1042 cn-telecom-fraud", "case-move F-1042 triage",
                   "case-move F-1042 refer",
                   "case-open F-1043 cn-telecom-fraud", "case-move F-1043 triage")
        br.cmd("open", name="wb", url=srv.http, user="board", password=SECRET,
               width=1920, height=1080, timezone=zone)
        # One run (ccenter-switch does not hang up its calls when it stops): 2.6 calls a
        # second of 9 s on 24 agents, 97 % of them busy on average, so queues form and
        # clear and the service level moves from interval to interval. The picture is
        # taken while the calls go on, with the feed live.
        sw = subprocess.Popen([SWITCH, "-a", srv.addr(), "-p", "pbx", "-s", SECRET, "-P",
                               "carol", "-A", ",".join(BANK_AGENTS), "-S", SECRET, "-q",
                               ",".join(BANK_QUEUES), "-r", "2.6", "-d", "130", "-T", "9000",
                               "-W", "25000", "-x", "200"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(120)
        br.wait("wb", "document.getElementById('conn').dataset.state === 'live'", 30)
        br.cmd("screenshot", name="wb", path=path)
        print(sw.communicate(timeout=120)[0], flush=True)
        alice.close()
    finally:
        br.quit()
        srv.stop()


def main():
    with tempfile.TemporaryDirectory(prefix="ctid-browser-") as tmp:
        pbmods = interop.load_schema(tmp)
        if pbmods is None:
            print("1..0 # SKIP protoc or python3-protobuf missing")
            return 0
        if OPTS[:1] == ["--measure"]:
            measure(tmp, pbmods, [int(x) for x in OPTS[1].split(",")])
            return 0
        if OPTS[:1] == ["--bank-screenshot"]:
            bank_screenshot(tmp, OPTS[1])
            return 0
        test(tmp, pbmods)
    print("1..%d" % e2e.n_test, flush=True)
    return 1 if e2e.failed else 0


if __name__ == "__main__":
    sys.exit(main())
