#!/usr/bin/python3
"""Writes a ctid configuration for a load test: a centre of N agents (agent00000..), each
with its own agent principal, spread over Q queues (each agent serves two), and a switch
principal "pbx". Every principal has the same secret, hashed once with the least PBKDF2
iteration count the parser accepts (1,000), so that 10,000 handshakes take seconds, not
the hours 600,000 iterations would; a production configuration keeps the default count
(ccenter-passwd) and a secret per principal.

  gen-load-conf.py [--agents 10000] [--queues 20] [--secret S] [--prefix agent]
                   [--store PATH] [--listen 127.0.0.1:7020] [--durability written]
                   [--http 127.0.0.1:8080] > ctid-load.conf

--durability is the store's mode (docs/ctid.md, "Restart without loss"): written, the
default, answers once the input is written and syncs off the event loop; grouped and full
are there to compare. --http adds an HTTP listener (docs/wallboard.md) and a wallboard
principal "board" with the same secret.

Then: ccenter-switch -a 127.0.0.1:7020 -p pbx -s S -n 10000 -N agent -S S -q q00,q01,..
"""
import argparse
import base64
import hashlib
import os
import sys

MIN_ITERATIONS = 1000  # CTID_PBKDF2_MIN_ITER (auth.h)


def b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--queues", type=int, default=20)
    ap.add_argument("--secret", default="load-secret")
    ap.add_argument("--prefix", default="agent")
    ap.add_argument("--store", default="/tmp/ctid-load.db")
    ap.add_argument("--listen", default="127.0.0.1:7020")
    ap.add_argument("--durability", default="written",
                    choices=["written", "grouped", "full", "memory"])
    ap.add_argument("--http", help="HOST:PORT of an HTTP listener (and a principal board)")
    a = ap.parse_args()
    if a.agents < 1 or a.queues < 1:
        ap.error("--agents and --queues must be positive")
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", a.secret.encode(), salt, MIN_ITERATIONS)
    secret = "pbkdf2-sha256$%d$%s$%s" % (MIN_ITERATIONS, b64(salt), b64(digest))
    out = sys.stdout
    out.write("# ctid load configuration: %d agents, %d queues (gen-load-conf.py)\n"
              "[server]\nstore = %s\ndurability = %s\n\n[listen lo]\ntcp = %s\n\n"
              "[limits]\ncommands_per_second = 100000\nidle_timeout = 1h\n"
              "output_max.switch = 256M\n\n" % (a.agents, a.queues, a.store, a.durability,
                                                a.listen))
    for q in range(a.queues):
        out.write("[queue q%02d]\nstrategy = longest-idle\nwrap_up = 10s\n\n" % q)
    out.write("[principal pbx]\nrole = switch\nsecret = %s\n\n" % secret)
    if a.http:
        out.write("[listen web]\nhttp = %s\n\n[principal board]\nrole = wallboard\n"
                  "secret = %s\n\n" % (a.http, secret))
    for i in range(a.agents):
        name = "%s%05d" % (a.prefix, i)
        out.write("[agent %s]\nqueues = q%02d, q%02d\n\n" %
                  (name, i % a.queues, (i + 1) % a.queues))
        out.write("[principal %s]\nrole = agent\nagent = %s\nsecret = %s\n\n" %
                  (name, name, secret))


if __name__ == "__main__":
    main()
