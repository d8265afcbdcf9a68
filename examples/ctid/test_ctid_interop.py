#!/usr/bin/python3
"""Interoperability of ctid with Google's protobuf runtime (suite ctid, TAP): a client
built from proto/ccenter.proto by Debian's protoc --python_out logs an agent in and takes a
call through; ccenter-desk does the same in a second, identical run; the events each
decoded must be equal field for field (sequence numbers counted from the run's first).
Exits 77 (skip) when protoc or python3-protobuf is missing.

  test_ctid_interop.py PROTO CTID CCENTER_DESK CCENTER_PASSWD
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PROTO = sys.argv[1]
# test_ctid.py reads its programs from argv at import: the server and desk drivers are its.
sys.argv = [sys.argv[0]] + sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_ctid as e2e  # noqa: E402

TIMEOUT = 30


def load_schema(tmp):
    protoc = shutil.which("protoc")
    try:
        from google.protobuf.internal import decoder, encoder
    except ImportError:
        return None
    if not protoc:
        return None
    subprocess.run([protoc, "-I", os.path.dirname(os.path.abspath(PROTO)),
                    "--python_out", tmp, os.path.abspath(PROTO)], check=True)
    sys.path.insert(0, tmp)
    import ccenter_pb2
    return ccenter_pb2, encoder, decoder


class PyClient:
    """A session spoken with the generated classes only: varint length, then the frame."""

    def __init__(self, pb, encoder, decoder, addr, role, principal, secret):
        self.pb, self.encoder, self.decoder = pb, encoder, decoder
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.buf = b""
        self.next_id = 1
        self.frames = []  # every ServerFrame received, in order
        hello = pb.ClientFrame(hello=pb.Hello(protocol_version=1, role=role,
                                              principal=principal,
                                              credential=secret.encode()))
        self.welcome = self.call(hello)

    def send(self, frame):
        frame.request_id = self.next_id
        self.next_id += 1
        data = frame.SerializeToString()
        self.sock.sendall(self.encoder._VarintBytes(len(data)) + data)
        return frame.request_id

    def recv(self):
        while True:
            if self.buf:
                try:
                    n, pos = self.decoder._DecodeVarint(self.buf, 0)
                except IndexError:  # the prefix itself is not all here
                    n, pos = None, 0
                if n is not None and len(self.buf) >= pos + n:
                    f = self.pb.ServerFrame()
                    f.ParseFromString(self.buf[pos:pos + n])
                    self.buf = self.buf[pos + n:]
                    self.frames.append(f)
                    return f
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the server closed")
            self.buf += data

    def call(self, frame):
        """Sends frame and reads up to its answer (events meanwhile are kept)."""
        rid = self.send(frame)
        while True:
            f = self.recv()
            body = f.WhichOneof("body")
            if body == "goodbye":
                raise EOFError("goodbye: %s" % f.goodbye.reason)
            if body not in ("event", "case_event") and f.request_id == rid:
                return f

    def command(self, **kw):
        f = self.call(self.pb.ClientFrame(command=self.pb.Command(**kw)))
        return f.response.code_name

    def wait_event(self, type_name, **fields):
        deadline = time.time() + TIMEOUT
        seen = 0
        while time.time() < deadline:
            while seen < len(self.frames):
                f = self.frames[seen]
                seen += 1
                if f.WhichOneof("body") == "event" and \
                        self.pb.EventType.Name(f.event.type) == type_name and \
                        all(getattr(f.event, k) == v for k, v in fields.items()):
                    return f.event
            self.recv()
        return None

    def close(self):
        self.sock.close()


def enum_name(enum, value):
    try:
        return enum.Name(value)
    except ValueError:
        return "?"


def event_line(pb, e):
    """The line cl_print (client.c) prints for an event, from the Python-decoded message."""
    s = lambda v: v if v else "-"  # noqa: E731
    return ("event seq=%d type=%s agent=%s contact=%s queue=%s agent_to=%s queue_to=%s "
            "state=%s position=%d reason=%s" % (
                e.seq, enum_name(pb.EventType, e.type), s(e.agent), s(e.contact),
                s(e.queue), s(e.agent_to), s(e.queue_to), enum_name(pb.AgentState, e.state),
                e.position, s(e.reason)))


def normalise(lines):
    """Sequence numbers counted from the first event the session saw."""
    seqs = [int(re.search(r"seq=(\d+)", l).group(1)) for l in lines]
    return [re.sub(r"seq=\d+", "seq=+%d" % (q - seqs[0]), l) for l, q in zip(lines, seqs)] \
        if seqs else []


def run_python(schema, srv):
    pb, encoder, decoder = schema
    c = PyClient(pb, encoder, decoder, srv.addr(), pb.ROLE_AGENT, "alice", e2e.SECRET)
    e2e.ok(c.welcome.WhichOneof("body") == "welcome" and
           c.welcome.welcome.principal == "alice",
           "python: the handshake answered by a Welcome", str(c.welcome))
    codes = [c.command(agent_login=pb.AgentRef(agent="alice")),
             c.command(agent_ready=pb.AgentRef(agent="alice"))]
    c.wait_event("EV_AGENT_STATE", state=pb.AGENT_READY)
    pbx = e2e.Desk(srv, "pbx", "switch")
    pbx.send("enqueue c1 sales")
    offered = c.wait_event("EV_CONTACT_OFFERED", contact="c1")
    e2e.ok(offered is not None and offered.agent == "alice", "python: c1 offered to alice",
           str(offered))
    codes += [c.command(offer_accept=pb.AgentContact(agent="alice", contact="c1")),
              c.command(contact_end=pb.ContactEnd(contact="c1", by=pb.PARTY_AGENT)),
              c.command(contact_disposition=pb.ContactDisposition(contact="c1", code="sale")),
              c.command(wrap_up_end=pb.AgentContact(agent="alice", contact="c1"))]
    # The answer to a query comes after every event of the commands before it.
    info = c.call(pb.ClientFrame(command=pb.Command(agent_info=pb.AgentRef(agent="alice"))))
    codes.append(info.response.code_name)
    e2e.ok(codes == ["CCENTER_OK"] * 7 and
           info.response.agent_info.state == pb.AGENT_READY,
           "python: login, ready, accept, end, wrap-up answered OK, alice ready again",
           "%s\n%s" % (codes, info))
    c.close()
    pbx.close()
    return [event_line(pb, f.event) for f in c.frames if f.WhichOneof("body") == "event"]


def run_desk(srv):
    alice = e2e.Desk(srv, "alice")
    alice.send("login", "ready", "wait AGENT_STATE state=AGENT_READY")
    alice.expect(r"state=AGENT_READY")
    pbx = e2e.Desk(srv, "pbx", "switch")
    pbx.send("enqueue c1 sales")
    alice.send("wait CONTACT_OFFERED contact=c1", "accept c1", "end c1", "wrapup c1 sale",
               "info-agent")
    e2e.ok(alice.expect(r"^agent-info agent=alice state=AGENT_READY"),
           "ccenter-desk: the same call taken through", alice.text())
    alice.close()
    pbx.close()
    return re.findall(r"^(event .*)$", alice.text(), re.M)


def in_server(tmp, name, fn):
    """One run on a fresh server (its own store) so that both start from the same state."""
    d = os.path.join(tmp, name)
    os.mkdir(d)
    srv = e2e.Server(d)
    srv.start()
    try:
        return fn(srv)
    except Exception as ex:  # a broken step fails its test, not the rest
        import traceback
        e2e.ok(False, "%s raised %r" % (name, ex), traceback.format_exc() + srv.text()[-1500:])
        return []
    finally:
        rc = srv.stop()
        # Under the sanitizers a report makes ctid's status non-zero.
        e2e.ok(rc == 0 and "stopped" in srv.text(), "%s: ctid stops cleanly with 0" % name,
               srv.text()[-2000:])


def main():
    with tempfile.TemporaryDirectory(prefix="ctid-interop-") as tmp:
        schema = load_schema(tmp)
        if not schema:
            print("1..0 # SKIP protoc or python3-protobuf missing", flush=True)
            return 77
        py = normalise(in_server(tmp, "python", lambda srv: run_python(schema, srv)))
        desk = normalise(in_server(tmp, "desk", run_desk))
    e2e.ok(len(py) >= 5 and any("EV_CONTACT_OFFERED" in l for l in py),
           "python: the events of the call decoded (%d)" % len(py), "\n".join(py))
    e2e.ok(py == desk, "the Python client's events equal ccenter-desk's, field for field",
           "python:\n" + "\n".join(py) + "\nccenter-desk:\n" + "\n".join(desk))
    print("1..%d" % e2e.n_test, flush=True)
    return 1 if e2e.failed else 0


if __name__ == "__main__":
    sys.exit(main())
