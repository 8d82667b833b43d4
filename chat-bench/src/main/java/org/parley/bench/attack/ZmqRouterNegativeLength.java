package org.parley.bench.attack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Attack 4: raw connections to the ROUTER port that complete the handshake as DEALER, then
 * send a LARGE frame whose 64-bit size is negative; and as many that send 512 random bytes.
 */
final class ZmqRouterNegativeLength implements Attack {
    static final long NEGATIVE = 0x8000_0000_7FFF_FF00L;

    @Override
    public String id() {
        return "zmq-router-negative-length";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "raw ZMTP to the post port as DEALER, then a frame of size 0x800000007FFFFF00, or 512 random bytes";
    }

    @Override
    public void run(AttackContext ctx) {
        int n = ctx.scaled(20);
        Random random = new Random(42); // the same bytes every run
        ctx.note("negative size: " + round(ctx, n, i -> Zmtp.largeFrameHeader(Zmtp.FLAG_LARGE, NEGATIVE)));
        // Then the random bytes (about half of them declare LARGE frames of random sizes): on the
        // same server, so a server the first round broke leaves this one untried, and says so.
        ctx.note("512 random bytes: " + round(ctx, n, i -> {
            byte[] junk = new byte[512];
            random.nextBytes(junk);
            return junk;
        }));
        ctx.scale(n + " + " + n + " connections");
    }

    /** Opens {@code n} connections, sends each its bytes, and counts those the server closes within 2 s. */
    private static String round(AttackContext ctx, int n, java.util.function.IntFunction<byte[]> bytes) {
        List<RawConn> conns = new ArrayList<>();
        int tried = 0;
        for (int i = 0; i < n && ctx.running(); i++) {
            tried++;
            try {
                RawConn c = ctx.own(Zmtp.handshake(ctx.post(), "DEALER", 1_000));
                c.write(ByteBuffer.wrap(bytes.apply(i)), System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                conns.add(c);
            } catch (IOException e) {
                // a failed handshake: counted as tried, not as open
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        int closed = 0;
        ByteBuffer scratch = ByteBuffer.allocate(4096);
        for (RawConn c : conns) {
            if (c.awaitClose(deadline, scratch)) {
                closed++;
            }
            c.close();
        }
        if (tried == 0) {
            return "not tried: the attack's time was up";
        }
        return "handshakes " + conns.size() + "/" + tried + (tried < n ? " (time was up for the other " + (n - tried) + ")" : "")
                + ", closed by the server within 2 s " + closed + "/" + conns.size();
    }
}
