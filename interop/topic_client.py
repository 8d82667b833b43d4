#!/usr/bin/env python3
"""A TCP topic client written from docs/PROTOCOL.md alone, with plain sockets.

usage: topic_client.py <ip> <port> <topic> [more topics...]

Registers for the topics, then sends each line read from standard input to the
first topic. It writes bare json.dumps() output with no newline, as many
homework clients do. The line "!garbage" sends bytes that are not JSON instead.
Received messages print as topic:text on standard output; errors and notices
go to standard error. Exit status: 0 at end of input, 3 if the server closed
the connection first.
"""
import json
import socket
import sys
import threading

closed_by_server = threading.Event()


def reader(sock):
    decoder = json.JSONDecoder()
    pending = b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        pending += data
        text = pending.decode("utf-8", errors="ignore")
        # Keep undecodable trailing bytes (a character split across reads) for later.
        while True:
            stripped = text.lstrip()
            if not stripped:
                text = ""
                break
            try:
                obj, end = decoder.raw_decode(stripped)
            except json.JSONDecodeError:
                text = stripped
                break
            text = stripped[end:]
            if "error" in obj:
                print("error: %s" % obj["error"], file=sys.stderr, flush=True)
            elif "message" in obj:
                print("%s:%s" % (obj["message"]["topic"], obj["message"]["text"]), flush=True)
        pending = text.encode("utf-8")
    print("closed", file=sys.stderr, flush=True)
    closed_by_server.set()


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    host, port, topics = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    sock = socket.create_connection((host, port), timeout=5)
    sock.settimeout(None)
    ip, myport = sock.getsockname()[:2]
    source = {"ip": ip, "port": str(myport)}
    sock.sendall(json.dumps({"source": source, "topics": topics}).encode("utf-8"))
    print("registered", file=sys.stderr, flush=True)
    threading.Thread(target=reader, args=(sock,), daemon=True).start()
    while True:
        line = sys.stdin.readline()  # not "for line in sys.stdin", which may read ahead
        if not line:
            break
        line = line.rstrip("\n")
        if closed_by_server.is_set():
            break
        if line == "!garbage":
            sock.sendall(b"this is not JSON {")
            continue
        message = {"source": source,
                   "destination": {"ip": host, "port": port},
                   "message": {"topic": topics[0], "text": line}}
        sock.sendall(json.dumps(message).encode("utf-8"))
    if closed_by_server.wait(0.1):
        sys.exit(3)
    sock.close()


if __name__ == "__main__":
    main()
