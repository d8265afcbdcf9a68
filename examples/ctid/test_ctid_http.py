#!/usr/bin/python3
"""ctid's HTTP side (suite ctid, TAP; docs/wallboard.md): every endpoint's answer against
the protocol's views after calls driven by the desks, supervisor actions and their
refusals, the live feed, /metrics through promtool, TLS, and bad input (unknown paths,
traversal, oversized headers, slow-loris clients, a stream that is not read, 200 streams
connecting and leaving) while a call goes through with its CTI latency measured.

  test_ctid_http.py CTID CCENTER_DESK CCENTER_PASSWD WWW_DIR
"""
import base64
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

WWW = sys.argv[4]
sys.argv = sys.argv[:4]
import test_ctid as t  # noqa: E402
from test_ctid import Desk, ok  # noqa: E402

# A desk round trip or an HTTP answer while the server is under the abuse of a test: far
# above the milliseconds it takes, far below a stalled loop (2 cores under ASan).
NORMAL_RTT = 2.0


def auth(principal, secret=t.SECRET):
    return "Basic " + base64.b64encode(("%s:%s" % (principal, secret)).encode()).decode()


class Web:
    """HTTP requests to ctid's http listener."""

    def __init__(self, port, ctx=None):
        self.port, self.ctx = port, ctx

    def conn(self, timeout=30):
        if self.ctx:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def req(self, method, path, who="board", secret=t.SECRET, headers=None):
        c = self.conn()
        h = dict(headers or {})
        if who:
            h["Authorization"] = auth(who, secret)
        c.request(method, path, headers=h)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body

    def json(self, path, who="board", method="GET"):
        st, _, body = self.req(method, path, who)
        return st, json.loads(body) if body else None


class Server(t.Server):
    def __init__(self, tmp, extra="", limits=None):
        super().__init__(tmp, "[listen web]\nhttp = 127.0.0.1:0\n" + extra)
        with open(self.conf) as f:
            text = f.read()
        text = text.replace("[server]\n", "[server]\nwww = %s\n" % WWW, 1)
        for k, v in (limits or {}).items():
            text = text.replace("[limits]\n", "[limits]\n%s = %s\n" % (k, v), 1)
        # A wallboard principal whose secret the tests get wrong: the lockout it earns must
        # not lock out the wallboard the other tests use.
        h = subprocess.run([t.PASSWD, "--iterations", "1000"], input=t.SECRET + "\n",
                           capture_output=True, text=True, check=True).stdout.strip()
        text += "[principal lobby]\nrole = wallboard\nsecret = %s\n" % h
        # A workflow with a golden window and a timer, for the emergency list.
        with open(os.path.join(tmp, "gold.wf"), "w") as f:
            f.write(GOLD_WF)
        text = text.replace("workflow = ./mc.wf\n", "workflow = ./mc.wf\nworkflow = ./gold.wf\n", 1)
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        super().start()
        deadline = time.time() + 30
        while time.time() < deadline:
            m = re.findall(r"listening name=web http=127.0.0.1:(\d+)", self.text())
            if m:
                self.web = Web(int(m[-1]))
                return
            time.sleep(0.05)
        raise RuntimeError("no http listener: " + self.text())


GOLD_WF = """workflow gold
golden 30m
state OPEN initial
state SAFE contained
state DONE final DONE
transition contain OPEN -> SAFE role agent
transition close SAFE -> DONE role agent
timer call_back on OPEN 2h -> escalate supervisor
"""


def wait_for(fn, timeout=30, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return None


def queue_of(board, q):
    return next((x for x in board["queues"] if x["id"] == q), None)


class Stream:
    """An SSE client that reads every message into a list (a thread)."""

    def __init__(self, web, who="board"):
        self.msgs, self.times = [], []
        self.c = web.conn(timeout=60)
        self.c.request("GET", "/api/stream", headers={"Authorization": auth(who)})
        self.r = self.c.getresponse()
        self.status = self.r.status
        self.ctype = self.r.getheader("content-type", "")
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        data = []
        try:
            while True:
                line = self.r.fp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and data:
                    self.msgs.append(json.loads("\n".join(data)))
                    self.times.append(time.time())
                    data = []
        except (OSError, ValueError):
            return

    def close(self):
        try:
            self.c.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.c.close()


def agent_view(desk, agent):
    n = desk.count(r"^agent-info agent=%s " % agent)
    desk.send("info-agent %s" % agent)
    m = wait_for(lambda: desk.count(r"^agent-info agent=%s " % agent) > n)
    rows = re.findall(r"^agent-info agent=%s state=(\S+) .*connected=(\d+) wrap_up=(\d+)" % agent,
                      desk.text(), re.M)
    return rows[-1] if m and rows else None


def queue_view(desk, q):
    n = desk.count(r"^queue-info queue=%s " % q)
    desk.send("info-queue %s" % q)
    wait_for(lambda: desk.count(r"^queue-info queue=%s " % q) > n)
    rows = re.findall(r"^queue-info queue=%s waiting=(\d+) offered=(\d+) members_ready=(\d+)" % q,
                      desk.text(), re.M)
    return tuple(int(x) for x in rows[-1]) if rows else None


def expected_agents(views):
    """/api/wallboard's agents object from the protocol's AgentInfo views."""
    out = {"logged_in": 0, "ready": 0, "busy": 0, "wrap_up": 0, "not_ready": 0}
    for state, connected, wrap in views:
        if state == "AGENT_LOGGED_OUT":
            continue
        out["logged_in"] += 1
        if int(connected):
            out["busy"] += 1
        elif int(wrap):
            out["wrap_up"] += 1
        elif state == "AGENT_READY":
            out["ready"] += 1
        else:
            out["not_ready"] += 1
    return out


MEMBERS = ["alice", "bob"] + ["a%02d" % i for i in range(8)]


def test_views(srv):
    """Calls through the desks, then every endpoint against the protocol's views."""
    web = srv.web
    carol = Desk(srv, "carol", "supervisor")
    alice, bob, pbx = Desk(srv, "alice"), Desk(srv, "bob"), Desk(srv, "pbx", "switch")
    st, b0 = web.json("/api/wallboard")
    ok(st == 200 and [q["id"] for q in b0["queues"]] == ["general", "sales"] and
       b0["queues"][0]["sl_today_pct"] is None and b0["queues"][0]["asa_ms"] is None,
       "views: wallboard before any call (figures undefined are null)", b0)
    stream = Stream(web)
    ok(stream.status == 200 and stream.ctype.startswith("text/event-stream") and
       wait_for(lambda: stream.msgs, 10), "views: the stream answers with the board at once",
       (stream.status, stream.ctype))
    alice.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    alice.expect(r"state=AGENT_READY")
    bob.send("login", "wait AGENT_STATE agent=bob")
    bob.expect(r"type=EV_AGENT_STATE agent=bob")
    pbx.send("enqueue c1 sales")
    ok(alice.expect(r"type=EV_CONTACT_OFFERED agent=alice contact=c1"), "views: c1 offered to alice",
       alice.text())
    alice.send("accept c1")
    pbx.expect(r"type=EV_CONTACT_CONNECTED agent=alice contact=c1")
    pbx.send("enqueue w1 general", "enqueue w2 general", "enqueue w3 general")
    pbx.expect(r"type=EV_CONTACT_QUEUED .*contact=w3")
    time.sleep(0.3)
    pbx.send("abandon w3")
    pbx.expect(r"type=EV_CONTACT_ENDED .*contact=w3")
    st, b = web.json("/api/wallboard")
    views = {a: agent_view(carol, a) for a in MEMBERS}
    for q in ("sales", "general"):
        qv = queue_view(carol, q)
        qb = queue_of(b, q)
        ok(qb and qv and qb["waiting"] == qv[0], "views: %s waiting = QueueInfo's (%s)" % (q, qv),
           (qb, qv))
        ok(qb and qb["agents"] == expected_agents(views.values()),
           "views: %s agents by state from the AgentInfo views" % q,
           (qb and qb["agents"], views))
    gen, sales = queue_of(b, "general"), queue_of(b, "sales")
    ok(gen["offered_today"] == 3 and gen["abandoned_today"] == 1 and gen["answered_today"] == 0
       and sales["offered_today"] == 1 and sales["answered_today"] == 1,
       "views: offered, answered, abandoned today as driven", (gen, sales))
    ok(gen["longest_wait_ms"] >= 300 and gen["ewt_ms"] is None or gen["ewt_ms"] >= 0,
       "views: general's longest wait covers the time w1 has waited", gen)
    ok(sales["sl_today_pct"] == 100 and sales["asa_ms"] is not None and
       sales["sl_target_pct"] == 80 and sales["sl_threshold_ms"] == 20000 and
       gen["abandon_pct"] == 0 and gen["sl_today_pct"] == 0,  # w3's abandon was short: excluded
       "views: service level, ASA, abandonment from the library's KPIs", (sales, gen))
    iv = b["intervals"]
    ok(iv and iv[-1]["offered"] == 4 and iv[-1]["answered"] == 1 and iv[-1]["abandoned"] == 1
       and all(iv[i]["start"] < iv[i + 1]["start"] for i in range(len(iv) - 1)),
       "views: today's intervals, the current one with the calls", iv[-3:])
    ok(b["seq"] > b0["seq"] and b["time"] >= b0["time"], "views: seq and time move on",
       (b0["seq"], b["seq"]))
    st, agents = web.json("/api/agents", "carol")
    am = {a["id"]: a for a in agents} if st == 200 else {}
    ok(st == 200 and am["alice"]["state"] == "ready" and am["alice"]["contact"] == "c1" and
       am["bob"]["state"] == "not_ready" and am["bob"]["contact"] is None and
       am["a00"]["state"] == "logged_out" and isinstance(am["bob"]["since"], int),
       "views: /api/agents against the AgentInfo views", agents)
    # The live feed: the last message equals a fresh board in its figures.
    ok(wait_for(lambda: stream.msgs and stream.msgs[-1]["seq"] == b["seq"], 5),
       "views: the stream carried the last event's board", stream.msgs[-1:] and stream.msgs[-1]["seq"])
    stream.close()
    for d in (alice, bob, pbx, carol):
        d.close()


def test_metrics(srv):
    st, hdr, body = srv.web.req("GET", "/metrics")
    text = body.decode()
    ok(st == 200 and hdr.get("content-type", "").startswith("text/plain; version=0.0.4"),
       "metrics: text format 0.0.4", (st, hdr))
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
        ok(p.returncode == 0, "metrics: promtool check metrics passes",
           p.stdout.decode() + p.stderr.decode())
    else:
        ok(True, "metrics: promtool missing # SKIP")
    want = ['ctid_queue_offered_total{queue="general"} 3', 'ctid_queue_abandoned_total{queue="general"} 1',
            'ctid_queue_answered_total{queue="sales"} 1', 'ctid_queue_waiting{queue="general"} 2',
            'ctid_queue_agents{queue="sales",state="busy"} 1', 'ctid_sessions{role="switch"}',
            "ctid_event_lag_seconds_count", "ctid_store_flush_seconds_count",
            'ctid_http_requests_total{route="wallboard"}']
    missing = [w for w in want if w not in text]
    ok(not missing, "metrics: queues, agents, sessions, lag, flush, requests", missing)
    lag = re.search(r"^ctid_event_lag_seconds_count (\d+)", text, re.M)
    ok(lag and int(lag.group(1)) > 0, "metrics: the event lag has samples", lag and lag.group(0))


def test_supervisor(srv):
    web = srv.web
    carol = Desk(srv, "carol", "supervisor")
    bob = Desk(srv, "bob")
    pbx = Desk(srv, "pbx", "switch")
    pbx.send("abandon w1", "abandon w2")  # bob made ready must get no offer
    pbx.expect(r"type=EV_CONTACT_ENDED .*contact=w2")
    pbx.close()
    before = agent_view(carol, "bob")
    st, hdr, body = web.req("POST", "/api/agents/bob/ready", "board")
    ok(st == 403, "supervisor: a wallboard credential gets 403", (st, body))
    st, hdr, body = web.req("POST", "/api/agents/bob/ready", "lobby", "wrong")
    ok(st == 401 and "www-authenticate" in hdr, "supervisor: a wrong secret gets 401", (st, hdr))
    st, hdr, body = web.req("POST", "/api/agents/bob/ready", None)
    ok(st == 401, "supervisor: no credential gets 401", st)
    st, hdr, body = web.req("POST", "/api/agents/bob/ready", "alice")
    ok(st == 401, "supervisor: an agent's credential gets 401", st)
    st, _, _ = web.req("GET", "/api/agents", "board")
    ok(st == 403, "supervisor: a wallboard cannot list agents", st)
    ok(agent_view(carol, "bob") == before, "supervisor: the refusals changed nothing", before)
    log = srv.text()
    ok(re.search(r'http refused principal=board role=wallboard .*why="a supervisor\'s"', log) and
       re.search(r'http refused principal=lobby .*why="bad credential"', log) and
       re.search(r'http refused principal=alice role=agent', log),
       "supervisor: refusals logged with the principal", log[-1500:])
    t0 = time.time()
    st, r = web.json("/api/agents/bob/ready", "carol", "POST")
    ok(st == 200 and r["ok"] and agent_view(carol, "bob")[0] == "AGENT_READY",
       "supervisor: force ready", (st, r))
    ok(bob.expect(r"type=EV_AGENT_STATE agent=bob .*state=AGENT_READY"),
       "supervisor: bob's desk hears the same event", bob.text())
    ok(time.time() - t0 < NORMAL_RTT, "supervisor: answered in %.3f s" % (time.time() - t0))
    st, r = web.json("/api/agents/bob/not_ready", "carol", "POST")
    ok(st == 200 and agent_view(carol, "bob")[0] == "AGENT_NOT_READY", "supervisor: force not ready",
       (st, r))
    st, r = web.json("/api/agents/a05/not_ready", "carol", "POST")
    ok(st == 409 and r["code_name"] == "CCENTER_ESTATE" and not r["ok"],
       "supervisor: a refusal of the engine is 409 with its code", (st, r))
    st, r = web.json("/api/agents/nobody/ready", "carol", "POST")
    ok(st == 404, "supervisor: an unknown agent is 404", (st, r))
    st, r = web.json("/api/agents/bob/logout", "carol", "POST")
    ok(st == 200 and agent_view(carol, "bob")[0] == "AGENT_LOGGED_OUT", "supervisor: force logout",
       (st, r))
    ok(re.search(r"http action principal=carol agent=bob action=logout", srv.text()),
       "supervisor: the action is logged with the principal")
    st, _, _ = web.req("GET", "/api/agents/bob/logout", "carol")
    ok(st == 405, "supervisor: an action needs POST", st)
    # Maker-checker: alice proposes, the page approves one and rejects the other.
    alice = Desk(srv, "alice")
    alice.send("case-open k1 mc", "case-int k1 amount 500", "case-move k1 close",
               "case-open k2 mc", "case-int k2 amount 70", "case-move k2 close")
    wait_for(lambda: alice.count(r"code=CCENTER_PROPOSED") >= 2)
    st, props = web.json("/api/proposals", "carol")
    ok(st == 200 and [(p["case"], p["proposal"], p["proposed_by"]) for p in props] ==
       [("k1", "close", "alice"), ("k2", "close", "alice")], "supervisor: pending proposals", props)
    st, _, _ = web.req("POST", "/api/proposals/k1/close/approve", "board")
    ok(st == 403, "supervisor: a wallboard cannot approve", st)
    st, r = web.json("/api/proposals/k1/other/approve", "carol", "POST")
    ok(st == 409, "supervisor: approving what is not pending is 409", (st, r))
    st, r = web.json("/api/proposals/k1/close/approve", "carol", "POST")
    carol.send("info-case k1", "info-case k2")
    ok(st == 200 and carol.expect(r"^case-info case=k1 .*state=DONE closed=1"),
       "supervisor: approve closes k1", (st, r, carol.text()[-500:]))
    st, r = web.json("/api/proposals/k2/close/reject", "carol", "POST")
    carol.send("info-case k2")
    ok(st == 200 and wait_for(lambda: re.findall(r"^case-info case=k2 .*state=OPEN closed=0 proposal=- ",
                                                  carol.text(), re.M)),
       "supervisor: reject leaves k2 open without a proposal", (st, r, carol.text()[-500:]))
    ok(carol.expect(r"type=CASE_APPROVED case=k1 .*actor=carol") and
       carol.expect(r"type=CASE_REJECTED case=k2 .*actor=carol") and
       alice.expect(r"type=CASE_STATE_CHANGED case=k1 from=OPEN to=DONE"),
       "supervisor: the same case events as a CTI approval (carol's, the maker's k1 DONE)",
       carol.text()[-800:] + alice.text()[-400:])
    st, props = web.json("/api/proposals", "carol")
    ok(st == 200 and props == [], "supervisor: nothing pending after", props)
    for d in (alice, bob, carol):
        d.close()


def raw(port, data, timeout=10):
    """Sends bytes, returns what came back until the server closed or the timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if b"\r\n\r\n" in out and not data.startswith(b"GET /api/stream"):
                m = re.search(rb"content-length: (\d+)", out, re.I)
                if m and len(out) >= out.index(b"\r\n\r\n") + 4 + int(m.group(1)):
                    break
    except socket.timeout:
        pass
    s.close()
    return out


def test_bad_input(srv):
    web, port = srv.web, srv.web.port
    a = "Authorization: %s\r\n" % auth("board")
    st, hdr, body = web.req("GET", "/no-such-page.html")
    ok(st == 404, "bad input: an unknown file is 404", st)
    st, r = web.json("/api/nothing")
    ok(st == 404 and "error" in r, "bad input: an unknown API path is 404 JSON", (st, r))
    st, hdr, body = web.req("GET", "/index.html")
    ok(st == 200 and hdr.get("content-type", "").startswith("text/html") and
       hdr.get("cache-control") == "no-cache", "static: index.html with its type and Cache-Control",
       hdr)
    ok(hdr.get("content-security-policy", "").startswith("default-src 'self'") and
       hdr.get("x-frame-options") == "DENY" and hdr.get("x-content-type-options") == "nosniff"
       and hdr.get("server") == "ctid", "static: CSP, no framing, nosniff, no library version",
       hdr)
    st, hdr, _ = web.req("GET", "/index.html", None)
    ok(st == 401, "static: the pages need a credential too", st)
    for path in (b"/../../../../etc/passwd", b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 b"/..%2f..%2f..%2fetc%2fpasswd", b"/api/../../etc/passwd"):
        out = raw(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + a.encode() + b"\r\n")
        ok(out.startswith(b"HTTP/1.1 404") or out.startswith(b"HTTP/1.1 400"),
           "bad input: no traversal with %s" % path.decode(), out[:200])
        ok(b"root:" not in out, "bad input: /etc/passwd not served for %s" % path.decode())
    big = b"GET /api/wallboard HTTP/1.1\r\nHost: x\r\n" + a.encode() + b"X-Big: " + b"a" * 600000 + b"\r\n\r\n"
    out = raw(port, big)
    ok(not out.startswith(b"HTTP/1.1 200"), "bad input: a 600 KB header is refused", out[:100])
    many = b"GET /api/wallboard HTTP/1.1\r\nHost: x\r\n" + a.encode() + b"".join(
        b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n"
    out = raw(port, many)
    ok(not out.startswith(b"HTTP/1.1 200"), "bad input: 200 header lines are refused", out[:100])
    out = raw(port, b"BREW /api/wallboard HTTP/1.1\r\nHost: x\r\n" + a.encode() + b"\r\n")
    ok(out.startswith(b"HTTP/1.1 405"), "bad input: another method on the API is 405", out[:100])
    out = raw(port, b"\x16\x03\x01garbage\r\n\r\n")
    ok(not out.startswith(b"HTTP/1.1 200"), "bad input: TLS bytes on the plain port refused", out[:60])
    st, hdr, body = web.req("GET", "/api/wallboard", None, headers={"Authorization": "Basic !!!"})
    ok(st == 401, "bad input: a malformed credential is 401", st)
    # Clients that leave while their credential is being hashed (an unknown name costs a
    # full hash), and more of them than ctid hashes at once.
    for i in range(10):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(("GET /api/wallboard HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                   % auth("ghost%d" % i, "x")).encode())
        s.close()
    desk = Desk(srv, "carol", "supervisor")  # a CTI handshake still gets a hashing thread
    ok(agent_view(desk, "alice") is not None, "bad input: a desk logs in meanwhile")
    desk.close()
    st, _, _ = web.req("GET", "/api/wallboard")
    ok(st == 200, "bad input: the server still answers", st)


def test_slow_clients(srv):
    """Slow-loris clients are closed by the header timeout; a desk and the wallboard are
    served meanwhile at their normal speed."""
    port = srv.web.port
    socks = []
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"GET /api/wallboard HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    desk = Desk(srv, "carol", "supervisor")
    t0 = time.time()
    closed = [None] * len(socks)
    rtts = []
    while time.time() - t0 < 25 and None in closed:
        for i, s in enumerate(socks):
            if closed[i] is not None:
                continue
            try:
                s.sendall(b"X-Slow: 1\r\n")  # one header line a second: never done
                s.settimeout(0.01)
                if s.recv(1024) == b"":
                    closed[i] = time.time() - t0
            except socket.timeout:
                pass
            except OSError:
                closed[i] = time.time() - t0
        t1 = time.time()
        st, _, _ = srv.web.req("GET", "/api/wallboard")
        agent_view(desk, "alice")
        rtts.append(time.time() - t1)
        time.sleep(max(0, 1 - (time.time() - t1)))
    ok(None not in closed and max(closed) < 20, "slow loris: 20 dribbling clients closed after "
       "%.1f s at most" % max(c or 99 for c in closed), closed)
    ok(max(rtts) < NORMAL_RTT, "slow loris: the wallboard and a desk answered meanwhile "
       "(worst %.3f s)" % max(rtts), rtts)
    for s in socks:
        s.close()
    desk.close()


def cti_rtts(desk, n):
    out = []
    for _ in range(n):
        m = desk.count(r"^response id=")
        t0 = time.time()
        desk.send("info-agent")
        # A fine step: the round trip is far below wait_for's usual 20 ms.
        wait_for(lambda: desk.count(r"^response id=") > m, 30, 0.0005)
        out.append(time.time() - t0)
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


CHURN = r"""
import json, os, socket, sys, time
# The wallboards' browsers are other machines: here, on the same two cores, their load
# yields to ctid and the desk, so that the round trips measure what ctid does.
os.nice(10)
port, cred = int(sys.argv[1]), sys.argv[2]
req = ("GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n" % cred).encode()
st = {"opened": 0, "first": 0, "errors": 0, "rounds": 0}
t0 = time.time()
while st["rounds"] < 3 or time.time() - t0 < 4:  # rounds of 200: connect all, read, leave
    time.sleep(0.2)
    batch = []
    for _ in range(200):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(req)
            batch.append(s)
            st["opened"] += 1
        except OSError:
            st["errors"] += 1
    for s in batch:
        got = b""
        try:
            while b"data: " not in got:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except OSError:
            st["errors"] += 1
        st["first"] += b"data: " in got
    for s in batch:
        s.close()
    st["rounds"] += 1
print(json.dumps(st))
"""


def cpu_s(pid):
    """The process's CPU time so far (user + system), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loop_turns(web):
    """ctid's loop turns so far: their count, how many worked over 1 ms and over 5 ms (wall
    time, ctid_loop_busy_seconds), and how many took over 1 ms and 5 ms of CPU
    (ctid_loop_cpu_seconds)."""
    text = web.req("GET", "/metrics")[2].decode()

    def le(name):
        return {m.group(1): int(m.group(2)) for m in
                re.finditer(r'^%s_bucket\{le="([^"]+)"\} (\d+)$' % name, text, re.M)}
    busy, cpu = le("ctid_loop_busy_seconds"), le("ctid_loop_cpu_seconds")
    n = busy.get("+Inf", 0)
    return (n, n - busy.get("0.001", 0), n - busy.get("0.005", 0), n - cpu.get("0.001", 0),
            n - cpu.get("0.005", 0))


def test_many_streams(srv):
    """200 SSE clients connect and leave while a call goes through; the CTI round trip is
    measured before and all through the churn, and ctid's own loop turns meanwhile."""
    web = srv.web
    alice = Desk(srv, "a06")  # alice still has c1
    pbx = Desk(srv, "pbx", "switch")
    alice.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    alice.expect(r"state=AGENT_READY")
    before = cti_rtts(alice, 200)
    turns0 = loop_turns(web)
    cpu0, wall0 = cpu_s(srv.proc.pid), time.time()
    # The churn runs in a process of its own: in this one it would hold the interpreter's
    # lock and slow the round trips measured here, not ctid.
    churn = subprocess.Popen([sys.executable, "-c", CHURN, str(web.port), auth("board")],
                             stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    during = cti_rtts(alice, 100)
    pbx.send("enqueue s1 sales")
    got = alice.expect(r"type=EV_CONTACT_OFFERED agent=a06 contact=s1", 30)
    alice.send("accept s1", "end s1", "wrapup s1 ok")
    done = pbx.expect(r"type=EV_CONTACT_ENDED .*contact=s1", 30)
    while churn.poll() is None:
        during += cti_rtts(alice, 20)
    out, _ = churn.communicate(timeout=120)
    turns1 = loop_turns(web)
    cpu1, wall1 = cpu_s(srv.proc.pid), time.time()
    stats = json.loads(out)
    ok(stats["rounds"] >= 3 and stats["errors"] == 0 and stats["first"] == stats["opened"],
       "many streams: %d rounds of 200 streams opened and left, each got the board"
       % stats["rounds"], stats)
    ok(got and done, "many streams: a call went through meanwhile")
    print("# CTI round trip before (%d): p50 %.2f ms p99 %.2f ms; during 200-stream churn (%d): "
          "p50 %.2f ms p99 %.2f ms max %.2f ms" %
          (len(before), pct(before, 0.5) * 1e3, pct(before, 0.99) * 1e3, len(during),
           pct(during, 0.5) * 1e3, pct(during, 0.99) * 1e3, max(during) * 1e3), flush=True)
    d = [b - a for a, b in zip(turns0, turns1)]
    print("# ctid loop during the churn: %d turns; over 1 / 5 ms of time %d / %d, of CPU %d / %d; "
          "ctid CPU %.2f s in %.1f s, %.0f us a stream" %
          (d[0], d[1], d[2], d[3], d[4], cpu1 - cpu0, wall1 - wall0,
           (cpu1 - cpu0) * 1e6 / max(1, stats["opened"])), flush=True)
    ok(turns1[0] > turns0[0], "many streams: /metrics counts the loop's turns", turns1)
    ok(pct(during, 0.99) < NORMAL_RTT, "many streams: CTI round trip p99 %.1f ms during the churn"
       % (pct(during, 0.99) * 1e3), during)
    ok(wait_for(lambda: "ctid_http_streams 0" in srv.web.req("GET", "/metrics")[2].decode(), 30),
       "many streams: every stream closed on the server too (found within seconds)")
    alice.close()
    pbx.close()


def test_stream_bound(tmp):
    """A stream nobody reads is cut off at output_max.wallboard; a reading one goes on."""
    srv = Server(tmp, limits={"output_max.wallboard": "64K"})
    srv.start()
    try:
        web = srv.web
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", web.port))
        s.sendall(("GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                   % auth("board")).encode())
        reader = Stream(web)
        wait_for(lambda: reader.msgs, 10)
        carol = Desk(srv, "carol", "supervisor")
        a = Desk(srv, "a01")
        a.send("login")
        t0 = time.time()
        n = 0
        while time.time() - t0 < 60 and "output bound" not in srv.text():
            a.send("ready", "notready lunch")
            n += 1
            time.sleep(0.05)
        ok('http stream closed peer=127.0.0.1 why="output bound"' in srv.text(),
           "stream bound: the unread stream is cut off after %.1f s" % (time.time() - t0),
           srv.text()[-1500:])
        k = len(reader.msgs)
        a.send("ready")
        ok(wait_for(lambda: len(reader.msgs) > k, 5), "stream bound: the reading stream goes on")
        # Latency of the feed: a change is on the stream within a second.
        gaps = []
        for i in range(10):
            k = len(reader.msgs)
            t1 = time.time()
            web.json("/api/agents/a01/%s" % ("ready" if i % 2 else "not_ready"), "carol", "POST")
            if wait_for(lambda: len(reader.msgs) > k, 5):
                gaps.append(reader.times[k] - t1)
            time.sleep(0.3)
        ok(len(gaps) == 10 and max(gaps) < 1.0, "stream: a change reaches the stream within a "
           "second (worst %.0f ms)" % (max(gaps or [9]) * 1e3), gaps)
        reader.close()
        s.close()
        carol.close()
        a.close()
        rc = srv.stop()
        ok(rc == 0, "stream bound: ctid stops cleanly", srv.text()[-1000:])
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()


def test_tls(tmp):
    made = t.self_signed(tmp, "-addext", "subjectAltName=IP:127.0.0.1")
    if not made:
        ok(True, "https: skipped (no openssl command) # SKIP")
        return
    cert, key = made
    srv = Server(tmp, "[listen sweb]\nhttp = 127.0.0.1:0\ntls_cert = %s\ntls_key = %s\n" % (cert, key))
    srv.start()
    try:
        m = re.search(r"listening name=sweb http=127.0.0.1:(\d+) tls=yes", srv.text())
        ok(m, "https: ctid listens with TLS on the http listener", srv.text())
        web = Web(int(m.group(1)), ssl.create_default_context(cafile=cert))
        st, b = web.json("/api/wallboard")
        ok(st == 200 and "queues" in b, "https: the wallboard over TLS", st)
        st = Stream(web)
        ok(wait_for(lambda: st.msgs, 10), "https: the stream over TLS")
        st.close()
        out = raw(int(m.group(1)), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5)
        ok(not out.startswith(b"HTTP/1.1 200"), "https: plain HTTP on the TLS port refused", out[:60])
        rc = srv.stop()
        ok(rc == 0, "https: ctid stops cleanly", srv.text()[-1000:])
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()


def test_emergency(srv):
    """Open cases on the wallboard: the golden window left, deadlines due today."""
    web = srv.web
    alice = Desk(srv, "alice")
    t0 = time.time() * 1000
    alice.send("case-open g1 gold", "case-open g2 gold")
    wait_for(lambda: alice.count(r"type=CASE_OPENED case=g2") >= 1)
    t1 = time.time() * 1000
    st, b = web.json("/api/wallboard")
    em = {e["case"]: e for e in b["emergency"]}
    g1 = em.get("g1")
    ok(st == 200 and g1 and g1["workflow"] == "gold" and g1["state"] == "OPEN" and
       1800000 - (b["time"] - t0) - 1000 <= g1["golden_window_left_ms"] <= 1800000 and
       "g2" in em, "emergency: open cases with the golden window left", b["emergency"])
    # The 2 h timer is due today unless the day ends first (ctid and this test share a zone).
    now = datetime.datetime.fromtimestamp(b["time"] / 1000)
    day_end = datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                        datetime.time()).timestamp() * 1000
    dl = g1["deadlines_today"] if g1 else None
    if t1 + 7200000 < day_end:
        ok(dl and dl[0]["name"] == "call_back" and t0 + 7200000 - 1000 <= dl[0]["due"] <= t1 + 7200000 + 1000,
           "emergency: the timer due today, with its time", dl)
    else:
        ok(dl == [] or (dl and dl[0]["due"] < day_end), "emergency: no deadline past midnight", dl)
    alice.send("case-move g1 contain", "case-move g2 contain", "case-move g2 close")
    wait_for(lambda: alice.count(r"type=CASE_STATE_CHANGED case=g2 from=SAFE to=DONE") >= 1)
    st, b = web.json("/api/wallboard")
    em = {e["case"]: e for e in b["emergency"]}
    ok("g1" in em and em["g1"]["golden_window_left_ms"] is None and em["g1"]["state"] == "SAFE"
       and em["g1"]["deadlines_today"] == [] and "g2" not in em,
       "emergency: contained has no window left, the timer stopped, a closed case leaves", em)
    alice.close()


def test_reload_secret(srv):
    """A remembered credential ends when a reload changes the principal's secret."""
    web = srv.web
    st, _, _ = web.req("GET", "/api/wallboard", "board")
    ok(st == 200, "reload: the wallboard's credential works (and is remembered)", st)
    h = subprocess.run([t.PASSWD, "--iterations", "1000"], input="new-secret\n",
                       capture_output=True, text=True, check=True).stdout.strip()
    with open(srv.conf) as f:
        text = f.read()
    text = re.sub(r"(\[principal board\]\nrole = wallboard\n)secret = \S+", r"\1secret = " + h,
                  text)
    with open(srv.conf, "w") as f:
        f.write(text)
    n = srv.text().count("reloaded ")
    srv.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: srv.text().count("reloaded ") > n, 30)
    st_old, _, _ = web.req("GET", "/api/wallboard", "board")
    st_new, _, _ = web.req("GET", "/api/wallboard", "board", "new-secret")
    ok(st_old == 401 and st_new == 200, "reload: the old secret is refused at once, the new one "
       "works", (st_old, st_new))


def main():
    with tempfile.TemporaryDirectory(prefix="ctid-http-") as tmp:
        srv = Server(tmp)
        srv.start()
        try:
            for fn in (test_views, test_metrics, test_supervisor, test_bad_input,
                       test_slow_clients, test_many_streams, test_emergency,
                       test_reload_secret):
                try:
                    fn(srv)
                except Exception as e:
                    import traceback
                    ok(False, "%s raised %r" % (fn.__name__, e),
                       traceback.format_exc() + srv.text()[-1500:])
            stream = Stream(srv.web, "carol")
            wait_for(lambda: stream.msgs, 10)
            rc = srv.stop()
            ok(rc == 0 and "stopped" in srv.text(), "SIGTERM: ctid stops cleanly with a stream open",
               srv.text()[-2000:])
        finally:
            if srv.proc.poll() is None:
                srv.proc.kill()
    for fn in (test_stream_bound, test_tls):
        with tempfile.TemporaryDirectory(prefix="ctid-http-") as tmp:
            try:
                fn(tmp)
            except Exception as e:
                import traceback
                ok(False, "%s raised %r" % (fn.__name__, e), traceback.format_exc())
    print("1..%d" % t.n_test, flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
