package org.parley.bench.attack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Attack 2: subscribers to 10,000-byte prefixes, each one different from its first byte, spread
 * over the first half of the attack and held for the second.
 *
 * <p>The subscribers are raw ZMTP connections that complete the handshake as SUB and then send
 * subscription messages ({@code 0x01} and the prefix), the bytes a JeroMQ SUB would send. Not a
 * JeroMQ SUB: its own subscription trie recurses once per byte of a prefix, and overflows this
 * side's stack before the server sees a thing.
 */
final class ZmqLongSub implements Attack {
    static final int PREFIX_BYTES = 10_000;
    static final int PER_CONNECTION = 50;

    @Override
    public String id() {
        return "zmq-long-sub";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "subscribers to distinct " + PREFIX_BYTES + "-byte prefixes on the PUB port";
    }

    @Override
    public void run(AttackContext ctx) throws IOException {
        int connections = ctx.scaled(20);
        int total = connections * PER_CONNECTION;
        List<RawConn> subs = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            subs.add(ctx.own(Zmtp.handshake(ctx.pub(), "SUB", 2_000)));
        }
        long interval = TimeUnit.SECONDS.toNanos(ctx.seconds()) / 2 / total;
        long next = System.nanoTime();
        int done = 0;
        int sent = 0;
        int dropped = 0;
        while (done < total && ctx.running()) {
            RawConn c = subs.get(done % connections);
            if (c != null) {
                try {
                    if (c.write(ByteBuffer.wrap(Zmtp.frame(false, subscription(done))), System.nanoTime() + TimeUnit.SECONDS.toNanos(1))) {
                        sent++;
                    }
                } catch (IOException e) {
                    dropped++;
                    c.close();
                    subs.set(done % connections, null);
                }
            }
            done++;
            next += interval;
            LockSupport.parkNanos(next - System.nanoTime()); // paces the subscriptions
        }
        ctx.scale(total + " prefixes of " + PREFIX_BYTES + " B on " + connections + " SUB connections");
        ctx.note(sent + " subscriptions sent (" + (long) sent * PREFIX_BYTES / 1024 + " KiB)"
                + (dropped == 0 ? "" : ", " + dropped + " connections dropped by the server"));
        while (ctx.running()) {
            LockSupport.parkNanos(Math.min(ctx.remainingNanos(), TimeUnit.MILLISECONDS.toNanos(100))); // holds them till the end
        }
        ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
        int open = 0;
        for (RawConn c : subs) {
            try {
                if (c != null && c.readNow(scratch.clear()) >= 0) {
                    open++;
                }
            } catch (IOException e) {
                // closed by the server: not counted as open
            }
        }
        ctx.note(open + " of " + connections + " still connected at the end");
    }

    /** Subscription {@code i}: 0x01, then its number, a dash, and 'x' up to 10,000 bytes of prefix. */
    static byte[] subscription(int i) {
        byte[] p = new byte[1 + PREFIX_BYTES];
        Arrays.fill(p, (byte) 'x');
        p[0] = 1;
        byte[] head = (i + "-").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, p, 1, head.length);
        return p;
    }
}
