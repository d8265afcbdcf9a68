"""The Python examples (examples/python/) run as a user runs them: /usr/bin/python3 in a
subprocess, with this test's PYTHONPATH, from another directory. Each test checks the
exit status and the facts the example's output must hold (the staffing table's totals,
every what-if set-up's KPIs, the fraud case's verified audit chain, a valid PNG).

Measured: 4.0-4.6 s alone and in the parallel run of the python suite (the figure 1.3 s,
what_if three times about 1 s each); 9.1 s with the ASan/UBSan build's extension and the
runtimes preloaded by hand (sanitized builds do not register the python suites). The meson
timeout (60 s) leaves room for a loaded 2-core machine.
"""
import importlib.util
import os
import re
import subprocess

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                                     os.pardir))
EXAMPLES = os.path.join(ROOT, "examples", "python")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(name, *args, cwd, env=None):
    p = subprocess.run(["/usr/bin/python3", os.path.join(EXAMPLES, name), *map(str, args)],
                       cwd=cwd, env=env if env is not None else dict(os.environ),
                       capture_output=True, text=True, timeout=120)
    return p


def ok(name, *args, cwd, env=None):
    p = run(name, *args, cwd=cwd, env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_staffing_plot(tmp_path):
    png = tmp_path / "day.png"
    p = run("staffing_plot.py", png, cwd=tmp_path)
    rows = [ln.split() for ln in p.stdout.splitlines() if re.match(r"\d\d:\d\d ", ln)]
    assert len(rows) == 24 and rows[0][0] == "08:00" and rows[-1][0] == "19:30"
    calls = [int(r[1]) for r in rows]
    agents = [int(r[3]) for r in rows]
    assert all(float(r[4].rstrip("%")) >= 80.0 for r in rows)  # every interval meets 80/20
    m = re.search(r"^total\s+(\d+)\s+workload ([\d.]+) h, staffed ([\d.]+) agent-hours; "
                  r"peak (\d\d:\d\d): (\d+) agents$", p.stdout, re.M)
    assert m, p.stdout
    assert int(m.group(1)) == sum(calls)
    assert float(m.group(2)) == pytest.approx(sum(calls) * 240 / 3600, abs=0.05)
    assert float(m.group(3)) == pytest.approx(sum(agents) / 2)
    peak = calls.index(max(calls))
    assert m.group(4) == rows[peak][0] and int(m.group(5)) == agents[peak] == max(agents)
    if importlib.util.find_spec("matplotlib") is None:
        assert p.returncode != 0 and "python3-matplotlib" in p.stderr
        pytest.skip("python3-matplotlib is not installed: the figure was not drawn")
    assert p.returncode == 0, p.stderr
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 10000


def test_staffing_plot_default_path(tmp_path):
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("python3-matplotlib is not installed")
    ok("staffing_plot.py", cwd=tmp_path)
    assert (tmp_path / "staffing.png").read_bytes()[:8] == PNG_MAGIC


ROW = re.compile(r"^([ABC] .+?)\s{2,}(general|english|all)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+"
                 r"([\d.]+)s\s+([\d.]+)%\s+(?:([\d.]+)%|-)$", re.M)


def test_what_if(tmp_path):
    out = ok("what_if.py", cwd=tmp_path)
    m = re.match(r"(\d+) calls \((\d+) English\), 30 agents \(7 bilingual\)", out)
    assert m, out
    n_calls, n_english = int(m.group(1)), int(m.group(2))
    assert 2600 < n_calls < 3200 and 0.15 < n_english / n_calls < 0.25
    rows = {(r[0], r[1]): r for r in ROW.findall(out)}
    assert len(rows) == 9, out
    for setup in ("A separate group", "B skill in pool", "C pool + delay"):
        g, e, a = (rows[setup, line] for line in ("general", "english", "all"))
        assert (int(a[2]), int(g[2]) + int(e[2])) == (n_calls, n_calls)
        assert int(e[2]) == n_english
        assert int(a[3]) == int(g[3]) + int(e[3])
        for r in (g, e, a):
            offered, handled = int(r[2]), int(r[3])
            sl, asa, abandoned = float(r[4]), float(r[5]), float(r[6])
            assert 0 < handled <= offered
            assert 30 < sl <= 100 and 0 <= asa < 120 and 0 <= abandoned < 30
            # Every call was either handled or abandoned (nobody is left at the end).
            assert handled + round(abandoned / 100 * offered) == pytest.approx(offered,
                                                                               abs=1)
        assert 50 < float(a[7]) < 100  # occupancy of all agents
    assert rows["A separate group", "english"][7] != ""   # a group of its own
    assert rows["B skill in pool", "english"][7] == ""    # one pool
    # Deterministic for a seed; another seed gives other calls.
    assert ok("what_if.py", cwd=tmp_path) == out
    assert ok("what_if.py", 7, cwd=tmp_path) != out


def test_fraud_case(tmp_path):
    env = dict(os.environ)
    env.pop("CCENTER_DATA_DIR", None)  # the script finds the source tree's data/ itself
    out = ok("fraud_case.py", cwd=tmp_path, env=env)
    for fact in ("CONTAIN_OWN -> POLICE_REFERRAL", "AWAIT_INSTRUCTION -> STOP_ACTIVE",
                 "freeze proposed by wang.fang, needs a supervisor",
                 "the maker approving her own proposal is refused",
                 "freeze approved by chen.jun", "STOP_ACTIVE -> FROZEN",
                 "golden window met", "closed: RECOVERED",
                 "=> state CLOSED_RECOVERED"):
        assert fact in out, fact
    m = re.search(r"audit chain verified: (\d+) records, head seq (\d+) hash ([0-9a-f]{64})$",
                  out, re.M)
    assert m and int(m.group(1)) == int(m.group(2)) > 10, out
    assert re.search(r"a changed audit line is detected: .*first bad line at index (\d+)"
                     r".*index \1, was changed", out), out
