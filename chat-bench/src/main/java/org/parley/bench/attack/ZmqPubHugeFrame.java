package org.parley.bench.attack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Attack 3: raw connections to the PUB port that complete the handshake as SUB, then declare a
 * 2 GB frame and trickle its body; each one the server drops is opened again.
 */
final class ZmqPubHugeFrame implements Attack {
    static final long DECLARED = 0x8000_0000L;
    private static final int TRICKLE = 16 * 1024;

    @Override
    public String id() {
        return "zmq-pub-huge-frame";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "raw ZMTP to the PUB port as SUB, then frame headers declaring 2 GB";
    }

    @Override
    public void run(AttackContext ctx) {
        int slots = ctx.scaled(8);
        RawConn[] conns = new RawConn[slots];
        int opened = 0;
        int handshakeFailures = 0;
        int dropped = 0;
        long bodyBytes = 0;
        String firstFailure = null;
        ByteBuffer scratch = ByteBuffer.allocate(4096);
        ByteBuffer zeros = ByteBuffer.allocate(TRICKLE);
        while (ctx.running()) {
            for (int i = 0; i < slots && ctx.running(); i++) {
                try {
                    if (conns[i] == null) {
                        try {
                            conns[i] = ctx.own(Zmtp.handshake(ctx.pub(), "SUB", 2_000));
                        } catch (IOException e) {
                            handshakeFailures++;
                            firstFailure = firstFailure == null ? e.getMessage() : firstFailure;
                            continue;
                        }
                        opened++;
                        conns[i].write(ByteBuffer.wrap(Zmtp.largeFrameHeader(Zmtp.FLAG_LARGE, DECLARED)), deadline(100));
                    }
                    scratch.clear();
                    if (conns[i].readNow(scratch) < 0) {
                        throw new IOException("closed by the server");
                    }
                    zeros.clear();
                    conns[i].write(zeros, deadline(5));
                    bodyBytes += TRICKLE - zeros.remaining();
                } catch (IOException e) {
                    dropped++;
                    conns[i].close();
                    conns[i] = null;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // paces the trickle
        }
        ctx.scale(slots + (slots == 1 ? " connection" : " connections") + " at a time, 2 GB declared on each");
        ctx.note("opened " + opened + ", dropped by the server " + dropped + ", handshakes failed " + handshakeFailures
                + (firstFailure == null ? "" : " (" + Json.excerpt(firstFailure, 80) + ")"));
        ctx.note(bodyBytes / 1024 + " KiB of frame body sent after the headers");
    }

    private static long deadline(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
