#!/usr/bin/env python3
"""An independent client of the Parley ZeroMQ protocol, written from docs/PROTOCOL.md alone.

It runs on libzmq (pyzmq), not JeroMQ, and checks a running server end to end:
posts (REQ and pipelined DEALER), publication on PUB, topic filtering, history,
the `last` extension and errors.

usage: zmq_client.py <ip> <post_port> <pub_port>
Prints "interop ok" and exits 0 when every check passes; otherwise prints what
failed on standard error and exits 1.
"""
import json
import sys
import time

import zmq

TIMEOUT_MS = 5000


def fail(message):
    print("interop: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def request(req, obj):
    req.send(json.dumps(obj).encode("utf-8"))
    if not req.poll(TIMEOUT_MS):
        fail("no reply to %r" % (obj,))
    return json.loads(req.recv().decode("utf-8"))


def main(argv):
    if len(argv) != 4:
        print("usage: zmq_client.py <ip> <post_port> <pub_port>", file=sys.stderr)
        return 2
    ip, post_port, pub_port = argv[1], argv[2], argv[3]
    ctx = zmq.Context()
    try:
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect("tcp://%s:%s" % (ip, post_port))

        # A post with every field; the reply echoes ref and gives a seq.
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        reply = request(req, {"type": "post", "user": "py", "channel": "interop",
                              "text": "first", "time": now, "ref": "r1"})
        check(reply.get("ok") is True, "post not ok: %r" % reply)
        check(reply.get("ref") == "r1", "ref not echoed: %r" % reply)
        check(reply.get("channel") == "interop" and isinstance(reply.get("seq"), int), "bad ack %r" % reply)
        check(reply.get("time") == now, "time not kept: %r" % reply)

        # Subscribe to one channel and to a longer name sharing its prefix.
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"interop\0")
        sub.connect("tcp://%s:%s" % (ip, pub_port))
        # Publish probes until one arrives: the subscription then is in effect.
        joined = False
        for i in range(100):
            request(req, {"user": "py", "channel": "interop", "text": "probe %d" % i})
            if sub.poll(100):
                joined = True
                break
        check(joined, "the subscription never received a probe")
        while sub.poll(200):
            sub.recv_multipart()

        request(req, {"user": "py", "channel": "interopx", "text": "other channel"})
        ack = request(req, {"user": "py", "channel": "interop", "text": "héllo from libzmq"})
        check(sub.poll(TIMEOUT_MS), "the post was not published")
        frames = sub.recv_multipart()
        check(len(frames) == 2, "expected two frames, got %d" % len(frames))
        check(frames[0] == b"interop\0", "topic frame %r" % frames[0])
        body = json.loads(frames[1].decode("utf-8"))
        check(list(body.keys()) == ["channel", "seq", "user", "time", "text"], "body fields %r" % list(body))
        check(body["text"] == "héllo from libzmq" and body["seq"] == ack["seq"], "body %r" % body)

        # History after a seq, and the newest N with "last".
        page = request(req, {"type": "history", "channel": "interop", "after": 0, "limit": 2})
        check(page.get("ok") is True and page.get("first") == 1, "history %r" % page)
        check([m["text"] for m in page["messages"]] == ["first", "probe 0"], "history texts %r" % page)
        newest = request(req, {"type": "history", "channel": "interop", "last": 1})
        check([m["text"] for m in newest["messages"]] == ["héllo from libzmq"], "last %r" % newest)
        check(newest.get("last") == ack["seq"], "last seq %r" % newest)

        # Errors: each names what was wrong; the server goes on.
        for bad, words in ((b"not json", "not valid JSON"),
                           (json.dumps({"user": "py", "channel": "ALL", "text": "x"}).encode(), "read-only"),
                           (json.dumps({"type": "dance"}).encode(), "unknown type")):
            req.send(bad)
            check(req.poll(TIMEOUT_MS), "no reply to %r" % bad)
            err = json.loads(req.recv().decode("utf-8"))
            check(err.get("ok") is False and words in err.get("error", ""), "error %r" % err)

        # A DEALER pipelines: empty delimiter, then the request; replies in order, refs echoed.
        dealer = ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect("tcp://%s:%s" % (ip, post_port))
        for i in range(3):
            dealer.send_multipart([b"", json.dumps({"user": "py", "channel": "interop",
                                                    "text": "pipelined %d" % i, "ref": "d%d" % i}).encode()])
        for i in range(3):
            check(dealer.poll(TIMEOUT_MS), "no DEALER reply %d" % i)
            empty, raw = dealer.recv_multipart()
            check(empty == b"", "missing delimiter")
            check(json.loads(raw.decode("utf-8")).get("ref") == "d%d" % i, "reply out of order")
        print("interop ok")
        return 0
    finally:
        ctx.destroy(linger=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
