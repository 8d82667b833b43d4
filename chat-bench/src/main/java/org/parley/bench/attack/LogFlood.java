package org.parley.bench.attack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Attack 11: peers that make the server write about them: TCP connections that each send
 * {@code {"error":"<60 KB>"}} (an error object is only ever the server's to send), and
 * ZeroMQ requests of 60 KB that are each wrong in a different way. The row's notes say how
 * much the server's output grew.
 */
final class LogFlood implements Attack {
    static final int BIG = 60_000;
    /** Error objects sent on one TCP connection before it waits to be closed. */
    static final int PER_CONNECTION = 10;

    @Override
    public String id() {
        return "log-flood";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.BRIDGE;
    }

    @Override
    public String description() {
        return "{\"error\":\"<60 KB>\"} objects on TCP and 60 KB bad requests on ZeroMQ; how much the server's output grows";
    }

    @Override
    public void run(AttackContext ctx) throws Exception {
        long outputBefore = ctx.server().outputBytes();
        AtomicInteger tcpSent = new AtomicInteger();
        AtomicInteger tcpConnections = new AtomicInteger();
        AtomicInteger tcpClosed = new AtomicInteger();
        int tcpMax = ctx.scaled(5_000);
        byte[] errorObject = ("{\"error\":\"" + "e".repeat(BIG) + "\"}\n").getBytes(StandardCharsets.US_ASCII);
        Thread tcp = new Thread(() -> {
            ByteBuffer scratch = ByteBuffer.allocate(4096);
            while (ctx.running() && tcpSent.get() < tcpMax) {
                try (RawConn c = RawConn.connect(ctx.tcp(), RawConn.attackerAddress(tcpConnections.get()), 2_000)) {
                    tcpConnections.incrementAndGet();
                    for (int i = 0; i < PER_CONNECTION && ctx.running(); i++) {
                        if (!c.write(ByteBuffer.wrap(errorObject), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500))) {
                            break;
                        }
                        tcpSent.incrementAndGet();
                    }
                    if (c.awaitClose(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), scratch)) {
                        tcpClosed.incrementAndGet();
                    }
                } catch (IOException e) {
                    tcpClosed.incrementAndGet(); // reset while writing: the server closed it
                }
            }
        }, "attack-log-flood-tcp");
        tcp.setDaemon(true);
        tcp.start();
        ctx.own(tcp::interrupt);
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        Pump pump = new Pump().run(dealer, Pump.numbered(ctx.scaled(20_000), LogFlood::badRequest), 16, ctx::running,
                2_000, null);
        tcp.join(TimeUnit.SECONDS.toMillis(5));
        ctx.scale(tcpSent.get() + " TCP error objects + " + pump.sent() + " ZeroMQ bad requests, 60 KB each");
        ctx.note("TCP: " + tcpConnections.get() + " connections of up to " + PER_CONNECTION + " objects, closed by the server "
                + tcpClosed.get());
        ctx.note("ZeroMQ: " + pump.summary());
        long grown = ctx.server().outputBytes() - outputBefore;
        int bad = tcpSent.get() + pump.sent();
        ctx.note("the server's output grew by " + grown + " B during the flood"
                + (bad == 0 ? "" : String.format(java.util.Locale.ROOT, ", %.1f B per bad object or request", grown / (double) bad)));
    }

    /** Three kinds in turn: not JSON, a user name of 60 KB, a type of 60 KB. */
    static byte[] badRequest(long i) {
        String big = "z".repeat(BIG);
        String body = switch ((int) (i % 3)) {
            case 0 -> "<" + big;
            case 1 -> "{\"user\":\"" + big + "\",\"channel\":\"flood\",\"text\":\"x\",\"ref\":\"" + i + "\"}";
            default -> "{\"type\":\"" + big + "\",\"ref\":\"" + i + "\"}";
        };
        return body.getBytes(StandardCharsets.US_ASCII);
    }
}
