#!/usr/bin/python3
"""What wallboards cost a large centre's calls (docs/wallboard.md, "A 10,000-agent centre").

  wallboard_load.py BUILD_DIR [--agents 10000] [--streams 0,100,1000] [--duration 30]
                    [--rate 47] [--runs 1] [--port 7392]

For each number of streams, a fresh ctid (gen-load-conf.py --http, durability written)
with the agents, one session each logged in by ccenter-switch, which then places calls at
--rate for --duration s (talk 170 s, patience 60 s, as in docs/performance.md "ctid on
loopback"). Beside it, that many wallboard streams (/api/stream) stay open, read by one
process of their own at nice 10 (their browsers are other machines). Prints one JSON line
per run: ccenter-switch's command-to-event latencies, the boards ctid made while the calls
ran (count and mean time, from ctid_http_board_seconds), ctid's loop turns that worked
over 1, 5 and 25 ms and that took as much CPU (ctid_loop_busy_seconds and
ctid_loop_cpu_seconds; absent from builds before them), ctid's CPU, and
the bytes the streams read; all while the calls ran, after the logins.
"""
import argparse
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "load-secret"

READER = r"""
import os, selectors, signal, socket, sys, time
os.nice(10)
done = []
signal.signal(signal.SIGTERM, lambda *_: done.append(1))
port, n, auth = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
req = ("GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n" % auth).encode()
sel = selectors.DefaultSelector()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    if i % 50 == 49:
        time.sleep(0.05)  # as wallboards come up: not all in one burst
print("open", flush=True)
got = 0
stop = time.time() + float(sys.argv[4])
while time.time() < stop and not done:
    for key, _ in sel.select(0.5):
        try:
            b = key.fileobj.recv(1 << 16)
        except BlockingIOError:
            continue
        if not b:
            sel.unregister(key.fileobj)
        got += len(b)
print("bytes %d open %d" % (got, len(sel.get_map())), flush=True)
"""


def metrics(port):
    auth = base64.b64encode(("board:" + SECRET).encode()).decode()
    r = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                               headers={"Authorization": "Basic " + auth})
    text = urllib.request.urlopen(r, timeout=30).read().decode()

    def hist(name):
        le = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'^%s_bucket\{le="([^"]+)"\} (\d+)$' % name, text, re.M)}
        s = re.search(r"^%s_sum (\S+)$" % name, text, re.M)
        return le, float(s.group(1)) if s else 0.0
    return {"board": hist("ctid_http_board_seconds"), "busy": hist("ctid_loop_busy_seconds"),
            "cpu": hist("ctid_loop_cpu_seconds")}


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one(a, streams, tmp):
    store = os.path.join(tmp, "load.db")
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    conf = os.path.join(tmp, "load.conf")
    with open(conf, "w") as f:
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen-load-conf.py"),
                               "--agents", str(a.agents), "--queues", "20", "--secret", SECRET,
                               "--store", store, "--listen", "127.0.0.1:%d" % a.port,
                               "--http", "127.0.0.1:%d" % (a.port + 1)], stdout=f)
    log = open(os.path.join(tmp, "ctid.log"), "w")
    ctid = subprocess.Popen(["prlimit", "--nofile=20000:20000", os.path.join(a.build, "ctid"),
                             "-c", conf], stderr=log)
    try:
        for _ in range(600):
            if "ready store=" in open(os.path.join(tmp, "ctid.log")).read():
                break
            time.sleep(0.1)
        auth = base64.b64encode(("board:" + SECRET).encode()).decode()
        reader = None
        if streams:
            reader = subprocess.Popen([sys.executable, "-c", READER, str(a.port + 1),
                                       str(streams), auth, str(a.duration + 120)],
                                      stdout=subprocess.PIPE, text=True)
            assert reader.stdout.readline().strip() == "open"
        queues = ",".join("q%02d" % q for q in range(20))
        sw = subprocess.Popen(
            ["prlimit", "--nofile=20000:20000", os.path.join(a.build, "ccenter-switch"),
             "-a", "127.0.0.1:%d" % a.port, "-p", "pbx", "-s", SECRET, "-n", str(a.agents),
             "-S", SECRET, "-q", queues, "-r", str(a.rate), "-d", str(a.duration),
             "-T", "170000", "-W", "60000", "-x", "3"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = []
        m0 = cpu0 = None
        for line in sw.stdout:
            out.append(line)
            if "logged in and ready" in line:
                m0, cpu0 = metrics(a.port + 1), cpu_s(ctid.pid)
        sw.wait()
        m1, cpu1 = metrics(a.port + 1), cpu_s(ctid.pid)
        got = ""
        if reader:
            reader.send_signal(signal.SIGTERM)
            got = reader.communicate(timeout=30)[0]
        text = "".join(out)
        lat = {k: dict(re.findall(r"(p50|p99|max)=(\d+)us", m.group(1))) for k, m in
               (("enqueue", re.search(r"enqueue->queued (.*)", text)),
                ("accept", re.search(r"accept->connected (.*)", text))) if m}
        placed = re.search(r"placed=(\d+) answered=(\d+)", text)
        boards = m1["board"][0].get("+Inf", 0) - (m0["board"][0].get("+Inf", 0) if m0 else 0)
        bsum = m1["board"][1] - (m0["board"][1] if m0 else 0)
        row = {"streams": streams, "agents": a.agents, "rate": a.rate,
               "placed": int(placed.group(1)) if placed else None,
               "answered": int(placed.group(2)) if placed else None,
               "enqueue_p50_ms": int(lat["enqueue"]["p50"]) / 1000,
               "enqueue_p99_ms": int(lat["enqueue"]["p99"]) / 1000,
               "accept_p50_ms": int(lat["accept"]["p50"]) / 1000,
               "accept_p99_ms": int(lat["accept"]["p99"]) / 1000,
               "boards": boards, "board_mean_ms": round(bsum / boards * 1e3, 3) if boards else None,
               "ctid_cpu_s": round(cpu1 - cpu0, 2) if cpu0 is not None else None,
               "stream_bytes": int(re.search(r"bytes (\d+)", got).group(1)) if got else 0}
        busy1 = m1["busy"][0]
        if busy1 and m0:
            busy0 = m0["busy"][0]
            n = busy1.get("+Inf", 0) - busy0.get("+Inf", 0)
            row["turns"] = n
            row["turns_over_1ms"] = n - (busy1.get("0.001", 0) - busy0.get("0.001", 0))
            row["turns_over_5ms"] = n - (busy1.get("0.005", 0) - busy0.get("0.005", 0))
            row["turns_over_25ms"] = n - (busy1.get("0.025", 0) - busy0.get("0.025", 0))
            cpu0, cpu1 = m0["cpu"][0], m1["cpu"][0]
            for ms, le in ((1, "0.001"), (5, "0.005"), (25, "0.025")):
                row["turns_cpu_over_%dms" % ms] = n - (cpu1.get(le, 0) - cpu0.get(le, 0))
        return row
    finally:
        ctid.send_signal(signal.SIGTERM)
        ctid.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", help="the build's examples/ctid directory")
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--streams", default="0,100,1000")
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--rate", type=float, default=47)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--port", type=int, default=7392)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wallboard-load-") as tmp:
        for _ in range(a.runs):
            for n in [int(x) for x in a.streams.split(",")]:
                print(json.dumps(one(a, n, tmp)), flush=True)


if __name__ == "__main__":
    main()
