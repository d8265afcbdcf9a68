#!/usr/bin/python3
"""Validation checks for ccenter-sim (meson suite 'sim').

    check_sim.py SIM erlang  [--compare KEY[=MODELKEY]]... -- SIM-ARGS...
    check_sim.py SIM scenario FILE
    check_sim.py SIM parse-errors
    check_sim.py SIM cli-errors

erlang:   runs SIM-ARGS with --json and compares each simulated KEY with the model's
          figure (default MODELKEY erlang_KEY): the test passes when
              |sim - model| <= 4 * se_KEY + bias(KEY)
          where se_KEY is the batch-means standard error the simulator reports and
          bias(KEY) a small allowance for millisecond rounding (see docs/simulator.md).
          The run length (--hours) is multiplied by $CCENTER_SIM_TEST_SCALE (default 1),
          for slow builds such as ASan; the tolerance follows from the run itself.
scenario: runs a scenario file twice with the same seed (the outputs must be identical
          apart from wall-clock figures), checks that every contact is accounted for, per
          queue and in total, and that the measured rows of the per-interval CSV add up
          to the totals.
parse-errors / cli-errors: broken scenario files and command lines must fail with exit
          status 2 and a message that cites file:line and says what was expected.

Deterministic: every run uses a fixed seed.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

# Allowance for the millisecond clock (see docs/simulator.md, "Validation").
BIAS = {
    'service_level': 0.0005,
    'p_wait': 0.0005,
    'abandon_rate': 0.0005,
    'occupancy': 0.0005,
    'asa': 0.002,
}
SIGMAS = 4.0
WALL_KEYS = {'wall_s', 'sim_contacts_per_s'}


def run(cmd, expect_rc=0):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if expect_rc is not None and p.returncode != expect_rc:
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        raise SystemExit('FAIL: %s exited with %d (expected %d)'
                         % (' '.join(cmd), p.returncode, expect_rc))
    return p


def last_json(out):
    lines = [l for l in out.splitlines() if l.strip()]
    if not lines:
        raise SystemExit('FAIL: no output')
    return json.loads(lines[-1])


def accounted(d, name, in_progress):
    """offered = answered + abandoned + timed out + refused + other exits (+ in progress)."""
    total = (d['answered'] + d['abandoned'] + d['timed_out'] + d['refused'] + d['other_exit']
             + in_progress)
    ok = d['offered'] == total
    print('  %-10s offered %d = answered %d + abandoned %d + timed out %d + refused %d + '
          'other %d + in progress %d : %s' % (name, d['offered'], d['answered'], d['abandoned'],
                                              d['timed_out'], d['refused'], d['other_exit'],
                                              in_progress, 'ok' if ok else 'MISMATCH'))
    ok = ok and d['answered_within'] <= d['answered'] and d['waited'] <= d['answered']
    ok = ok and d['short_abandoned'] <= d['abandoned']
    return ok


def scaled_args(args):
    scale = float(os.environ.get('CCENTER_SIM_TEST_SCALE', '1'))
    out = list(args)
    if scale != 1.0 and '--hours' in out:
        i = out.index('--hours') + 1
        out[i] = '%g' % (float(out[i]) * scale)
    return out, scale


def check_erlang(sim, argv):
    compares = []
    while argv and argv[0] != '--':
        if argv[0] == '--compare':
            spec = argv[1]
            key, _, model = spec.partition('=')
            compares.append((key, model or 'erlang_' + key))
            argv = argv[2:]
        else:
            raise SystemExit('check_sim.py: unknown option %s' % argv[0])
    args, scale = scaled_args(argv[1:])
    cmd = [sim] + args + ['--json']
    print('$ ' + ' '.join(cmd) + ('   (CCENTER_SIM_TEST_SCALE=%g)' % scale if scale != 1 else ''))
    d = last_json(run(cmd).stdout)
    print('  %d contacts measured, %d batches, %.2f s wall, %.0f contacts/s'
          % (d['offered'], d['batches'], d['wall_s'], d['sim_contacts_per_s']))
    ok = accounted(d, 'all', d['in_progress'])
    if d['in_progress']:
        print('  FAIL: %d contacts still in progress' % d['in_progress'])
        ok = False
    if d['wait_mismatches']:
        print('  FAIL: %d waits reported by the engine differ from the simulator\'s clock'
              % d['wait_mismatches'])
        ok = False
    if d['batches'] < 20:
        print('  FAIL: fewer than 20 batches')
        ok = False
    print('  %-14s %12s %12s %10s %10s %10s %8s %6s' % (
        'figure', 'simulated', 'model', '|diff|', 'tolerance', 'SE', 'lag-1', ''))
    for key, model in compares:
        s, m = d[key], d[model]
        se = d['se_' + key]
        lag = d['lag1_' + key]
        tol = SIGMAS * se + BIAS[key]
        diff = abs(s - m)
        good = diff <= tol
        ok = ok and good
        print('  %-14s %12.6f %12.6f %10.6f %10.6f %10.6f %8.3f %6s'
              % (key, s, m, diff, tol, se, lag, 'ok' if good else 'FAIL'))
    return ok


def strip_wall(d):
    return {k: v for k, v in d.items() if k not in WALL_KEYS}


def check_scenario(sim, path):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = os.path.join(tmp, 'intervals.csv')
        cmd = [sim, '--scenario', path, '--json', '--intervals', csv_path]
        print('$ ' + ' '.join(cmd))
        a = last_json(run(cmd).stdout)
        b = last_json(run(cmd).stdout)
        if strip_wall(a) != strip_wall(b):
            print('  FAIL: two runs with the same seed differ')
            ok = False
        else:
            print('  two runs with seed %d: identical' % a['seed'])
        ok = accounted(a, 'all', a['in_progress']) and ok
        sums = {k: 0 for k in ('offered', 'answered', 'abandoned', 'timed_out', 'refused',
                               'other_exit', 'answered_within', 'short_abandoned', 'waited')}
        for q in a['queues']:
            if a['in_progress'] == 0:
                ok = accounted(q, q['queue'], 0) and ok
            for k in sums:
                sums[k] += q[k]
        for k, v in sums.items():
            if v != a[k]:
                print('  FAIL: queues add up to %s = %d, total says %d' % (k, v, a[k]))
                ok = False
        if a['in_progress']:
            print('  FAIL: %d contacts still in progress at the end' % a['in_progress'])
            ok = False
        if a['wait_mismatches']:
            print('  FAIL: %d waits reported by the engine differ from the simulator\'s clock'
                  % a['wait_mismatches'])
            ok = False
        # The measured intervals of the interval file add up to the totals (the warm-up,
        # if any, must end on an interval boundary, as in the shipped scenarios).
        with open(csv_path) as f:
            rows = list(csv.DictReader(f))
        per_q = {}
        for r in rows:
            acc = per_q.setdefault(r['queue'], {'offered': 0, 'answered': 0, 'abandoned': 0})
            if r['measured'] != '1':
                continue
            for k in acc:
                acc[k] += int(r[k])
        for q in a['queues']:
            acc = per_q.get(q['queue'], {})
            for k in ('offered', 'answered', 'abandoned'):
                if acc.get(k) != q[k]:
                    print('  FAIL: intervals of %s add up to %s = %s, total %d'
                          % (q['queue'], k, acc.get(k), q[k]))
                    ok = False
        if ok:
            print('  %d interval rows; per-queue sums match the totals' % len(rows))
        print('  service level %.4f, ASA %.2f s, abandonment %.4f, occupancy %.4f, '
              '%.0f contacts/s' % (a['service_level'], a['asa'], a['abandon_rate'],
                                   a['occupancy'], a['sim_contacts_per_s']))
    return ok


BAD_SCENARIOS = [
    # (text, line of the error, a piece of the expected message)
    ('queue q\nfrobnicate x\n', 2, 'unknown keyword "frobnicate"'),
    ('queue q\nqueue q\n', 2, 'already defined on line 1'),
    ('queue q wrap_up=soon\n', 1, 'expected a duration'),
    ('queue q colour=red\n', 1, 'unknown setting "colour"'),
    ('queue q on_max_wait=overflow:r\n', 1, 'needs max_wait'),
    ('queue q\nagent 1 queues=nope\n', 2, 'unknown queue "nope"'),
    ('queue q\nagent 1 shift=08:00\n', 2, 'expected HH:MM-HH:MM'),
    ('queue q\nagent 1 queues=q shift=09:00-08:00\n', 2, 'end after the start'),
    ('queue q\nagent 1 queues=q shift=08:00-12:00 break=13:00-13:30\n', 2,
     'not inside one of the agent\'s shifts'),
    ('queue q\ngroup g queues=q\n', 2, 'expected count=N'),
    ('queue q\ngroup g count=3 queues=q shift=08:00-10:00 break=09:30-09:45 stagger=15m\n', 2,
     'breaks moved by stagger'),
    ('queue q\narrivals q 08:00-09:00 aht=180\n', 2, 'expected rate=R'),
    ('queue q\narrivals q 08:00-09:00 rate=fast aht=180\n', 2, 'expected a rate'),
    ('queue q\narrivals q 08:00-09:00 rate=10\n', 2, 'expected aht='),
    ('queue q\narrivals q 08:00-10:00 rates=10,20,30 step=1h aht=60\n', 2,
     'give one rate per step'),
    ('queue q\narrivals q 08:00-09:00 rate=10 aht=60 dist=weibull\n', 2, 'expected exp, lognormal'),
    ('queue q\narrivals q 08:00-09:00 rate=10 aht=60 dist=lognormal\n', 2, 'needs sd='),
    ('queue q\narrivals q 08:00-09:00 rate=10 dist=empirical:missing.txt\n', 2,
     'could not be used'),
    ('sim hours=2 end=10:00\n', 1, 'not both'),
    ('sim seed=-4\n', 1, 'expected a whole number'),
]


def check_parse_errors(sim):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'bad.scn')
        for text, line, want in BAD_SCENARIOS:
            with open(path, 'w') as f:
                f.write(text)
            p = run([sim, '--scenario', path], expect_rc=None)
            err = p.stderr.strip().splitlines()
            cite = '%s:%d:' % (path, line)
            good = p.returncode == 2 and any(cite in l and want in l for l in err)
            ok = ok and good
            print('  %-4s %s' % ('ok' if good else 'FAIL',
                                 (err[-1] if err else '(no message)').replace(tmp + '/', '')))
        # A good file with an empty period, and a missing file.
        p = run([sim, '--scenario', os.path.join(tmp, 'none.scn')], expect_rc=None)
        good = p.returncode == 2 and 'cannot open' in p.stderr
        ok = ok and good
        print('  %-4s %s' % ('ok' if good else 'FAIL', p.stderr.strip().replace(tmp + '/', '')))
    return ok


BAD_COMMAND_LINES = [
    (['--agents', '0', '--calls-per-hour', '10', '--aht', '60'], '--agents 0'),
    (['--agents', '5', '--calls-per-hour', '-1', '--aht', '60'], '--calls-per-hour -1'),
    (['--agents', '5', '--calls-per-hour', '10', '--aht', 'x'], '--aht x'),
    (['--agents', '5', '--calls-per-hour', '10'], 'give --agents'),
    (['--agents', '5', '--calls-per-hour', '10', '--aht', '60', '--batches', '1'], '--batches 1'),
    (['--scenario', 'x.scn', '--agents', '4'], 'with --scenario'),
    (['--agents', '5', '--calls-per-hour', '10', '--aht', '60', '--dist', 'lognormal'],
     'needs --aht-sd'),
]


def check_cli_errors(sim):
    ok = True
    for args, want in BAD_COMMAND_LINES:
        p = run([sim] + args, expect_rc=None)
        good = p.returncode == 2 and want in p.stderr
        ok = ok and good
        print('  %-4s %s' % ('ok' if good else 'FAIL', p.stderr.strip().splitlines()[0]
                             if p.stderr.strip() else '(no message)'))
    p = run([sim, '--help'])
    good = '--calls-per-hour' in p.stdout
    ok = ok and good
    print('  %-4s --help' % ('ok' if good else 'FAIL'))
    return ok


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    sim, mode, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == 'erlang':
        ok = check_erlang(sim, rest)
    elif mode == 'scenario':
        ok = check_scenario(sim, rest[0])
    elif mode == 'parse-errors':
        ok = check_parse_errors(sim)
    elif mode == 'cli-errors':
        ok = check_cli_errors(sim)
    else:
        raise SystemExit('check_sim.py: unknown mode %s' % mode)
    print('PASS' if ok else 'FAIL')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
