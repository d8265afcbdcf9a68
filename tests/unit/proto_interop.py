#!/usr/bin/python3
"""Interoperability of the wire protocol with Google's protobuf runtime.

proto/ccenter.proto is compiled with Debian's protoc --python_out; frames are built and
length-prefixed with Google's runtime (python3-protobuf), fed to proto-driver serve (a
dispatcher on an engine), and its output is decoded with Google's runtime: a supervisor's
handshake, a queue and an agent set up, the agent's login, a call offered and accepted
and ended. The events must equal, field for field, what the same calls made directly
through the C API raise (proto-driver direct).

usage: proto_interop.py DRIVER PROTO_DIR    (exit 77: protoc or python3-protobuf missing)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    driver, proto_dir = sys.argv[1], sys.argv[2]
    protoc = shutil.which("protoc")
    try:
        from google.protobuf.internal import decoder, encoder
    except ImportError:
        print("# SKIP: python3-protobuf is not installed")
        return 77
    if not protoc:
        print("# SKIP: protoc (protobuf-compiler) is not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="ccenter-proto-")
    try:
        subprocess.run([protoc, "--proto_path=" + proto_dir, "--python_out=" + tmp,
                        os.path.join(proto_dir, "ccenter.proto")], check=True)
        sys.path.insert(0, tmp)
        import ccenter_pb2 as pb
        return run(pb, driver, decoder, encoder)
    finally:
        shutil.rmtree(tmp)


def frame(msg, encoder):
    body = msg.SerializeToString()
    return encoder._VarintBytes(len(body)) + body


def run(pb, driver, decoder, encoder):
    out = b""

    def cmd(now, **kw):
        nonlocal out
        f = pb.ClientFrame(request_id=now, command=pb.Command(**kw))
        out += frame(f, encoder)

    hello = pb.ClientFrame(request_id=1, hello=pb.Hello(
        protocol_version=1, role=pb.ROLE_SUPERVISOR, principal="sup", credential=b"pw"))
    out += frame(hello, encoder)
    cmd(1000, queue_add=pb.QueueRef(queue="sales"))
    cmd(1001, agent_add=pb.AgentRef(agent="alice"))
    cmd(1002, agent_serve=pb.AgentServe(agent="alice", queue="sales"))
    cmd(2000, agent_login=pb.AgentRef(agent="alice"))
    cmd(2001, agent_ready=pb.AgentRef(agent="alice"))
    cmd(3000, contact_enqueue=pb.ContactEnqueue(contact="call-1", queue="sales",
                                                customer="cust-7"))
    cmd(4000, offer_accept=pb.AgentContact(agent="alice", contact="call-1"))
    cmd(4001, agent_info=pb.AgentRef(agent="alice"))
    cmd(9000, contact_end=pb.ContactEnd(contact="call-1", by=pb.PARTY_CUSTOMER))
    cmd(9001, offer_accept=pb.AgentContact(agent="bob", contact="call-1"))

    res = subprocess.run([driver, "serve"], input=out, stdout=subprocess.PIPE, check=True)
    data, pos, frames = res.stdout, 0, []
    while pos < len(data):
        n, pos = decoder._DecodeVarint32(data, pos)
        f = pb.ServerFrame()
        f.ParseFromString(data[pos:pos + n])
        frames.append(f)
        pos += n

    welcome = [f for f in frames if f.WhichOneof("body") == "welcome"]
    assert len(welcome) == 1 and welcome[0].welcome.principal == "sup", welcome
    assert welcome[0].welcome.role == pb.ROLE_SUPERVISOR
    responses = {f.request_id: f.response for f in frames if f.WhichOneof("body") == "response"}
    assert sorted(responses) == [1000, 1001, 1002, 2000, 2001, 3000, 4000, 4001, 9000, 9001]
    for rid, r in responses.items():
        if rid == 9001:
            assert r.code < 0 and r.code_name == "CCENTER_ENOENT", r
        else:
            assert r.code == 0 and r.code_name == "CCENTER_OK", (rid, r)
    info = responses[4001].agent_info
    assert info.agent == "alice" and info.state == pb.AGENT_READY and info.connected == 1, info

    events = [f.event for f in frames if f.WhichOneof("body") == "event"]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    names = [pb.EventType.Name(e.type) for e in events]
    for want in ("EV_AGENT_STATE", "EV_CONTACT_QUEUED", "EV_CONTACT_OFFERED",
                 "EV_CONTACT_CONNECTED", "EV_CONVERSATION_ENDED", "EV_CONTACT_ENDED"):
        assert want in names, (want, names)

    res = subprocess.run([driver, "direct"], stdout=subprocess.PIPE, check=True, text=True)
    expected = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(expected) == len(events), (len(expected), len(events))
    for e, x in zip(events, expected):
        for key, value in x.items():
            assert getattr(e, key) == value, (names, key, getattr(e, key), value)
    print("1..1")
    print("ok 1 - %d frames, %d events equal to the C side's" % (len(frames), len(events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
