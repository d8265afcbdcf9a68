#!/usr/bin/python3
"""Smoke test of ctid under ccenter-switch's per-agent sessions (suite ctid, TAP): a
200-agent configuration from gen-load-conf.py, the real ctid on a free loopback port with
a temporary store, and ccenter-switch -n 200 placing calls for a few seconds; its exit
status, the calls answered and the latencies reported are checked.

  test_load.py CTID CCENTER_SWITCH GEN_LOAD_CONF
"""
import os
import re
import subprocess
import sys
import tempfile
import time

CTID, SWITCH, GEN = sys.argv[1:4]
AGENTS, QUEUES, SECRET = 200, 4, "smoke-secret"
results = []


def ok(cond, name, detail=""):
    results.append(cond)
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name), flush=True)
    if not cond:
        for line in str(detail).splitlines()[-40:]:
            print("#   " + line, flush=True)


def main():
    print("1..4", flush=True)
    with tempfile.TemporaryDirectory(prefix="ctid-load-") as tmp:
        conf = os.path.join(tmp, "ctid.conf")
        with open(conf, "w") as f:
            subprocess.run(["/usr/bin/python3", GEN, "--agents", str(AGENTS), "--queues",
                            str(QUEUES), "--secret", SECRET, "--store",
                            os.path.join(tmp, "ctid.db"), "--listen", "127.0.0.1:0"],
                           stdout=f, check=True)
        log_path = os.path.join(tmp, "ctid.log")
        log = open(log_path, "w")
        srv = subprocess.Popen([CTID, "-c", conf], stderr=log)
        try:
            port, deadline = None, time.time() + 60
            while time.time() < deadline and srv.poll() is None:
                text = open(log_path).read()
                p = re.findall(r"listening name=lo tcp=127.0.0.1:(\d+)", text)
                if p and "ready store=" in text:
                    port = p[-1]
                    break
                time.sleep(0.05)
            ok(port is not None, "ctid starts with %d agent principals" % AGENTS,
               open(log_path).read())
            if port is None:
                return 1
            # 200 agents, 4 queues, 40 calls a second of 300 ms: every call finds an agent.
            sw = subprocess.run([SWITCH, "-a", "127.0.0.1:" + port, "-p", "pbx", "-s", SECRET,
                                 "-n", str(AGENTS), "-S", SECRET,
                                 "-q", ",".join("q%02d" % i for i in range(QUEUES)),
                                 "-r", "40", "-d", "3", "-T", "300", "-W", "20000", "-x", "5"],
                                capture_output=True, text=True, timeout=120)
            out = sw.stdout + sw.stderr
            ok(sw.returncode == 0, "ccenter-switch -n %d exits 0" % AGENTS, out)
            m = re.search(r"placed=(\d+) answered=(\d+) abandoned=\d+ ended=\d+ errors=(\d+)", out)
            ok(m and int(m.group(1)) > 0 and int(m.group(2)) > 0 and m.group(3) == "0",
               "calls placed and answered through the agents' own sessions, no error", out)
            ok(re.search(r"agents=%d sessions connected" % AGENTS, out) and
               re.search(r"accept->connected n=[1-9]\d* p50=\d+us p99=\d+us", out),
               "every agent session connected; latencies reported", out)
        finally:
            srv.terminate()
            try:
                srv.wait(timeout=60)
            except subprocess.TimeoutExpired:
                srv.kill()
            log.close()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
