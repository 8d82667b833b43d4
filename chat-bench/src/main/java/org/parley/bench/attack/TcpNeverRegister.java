package org.parley.bench.attack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Attack 10: as many TCP connections as the file limits allow, none of which ever registers,
 * and a slowloris writing a registration one byte a second; at the end five new clients
 * connect, register and chat while the crowd is still there.
 */
final class TcpNeverRegister implements Attack {
    static final int NEWCOMERS = 5;
    private static final byte[] SLOW = "{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"1\"},\"topics\":[\"slow\"]}"
            .getBytes(StandardCharsets.US_ASCII);

    @Override
    public String id() {
        return "tcp-never-register";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.TCP;
    }

    @Override
    public String description() {
        return "connections up to the fd limit that never register, a one-byte-a-second slowloris, then 5 newcomers chat";
    }

    @Override
    public void run(AttackContext ctx) throws Exception {
        int target = ctx.scaled((int) Math.min(Integer.MAX_VALUE, FileLimits.forConnections(ctx.server().pid())));
        RawConn slow = ctx.own(RawConn.connect(ctx.tcp(), RawConn.attackerAddress(0), 2_000));
        int[] slowSent = {0};
        boolean[] slowClosed = {false};
        long[] nextByte = {System.nanoTime()};
        // The crowd until 3 s before the end (at least half the time), then the newcomers.
        long crowdUntil = ctx.endNanos() - Math.min(TimeUnit.SECONDS.toNanos(3), ctx.remainingNanos() / 2);
        ConnectionSwarm swarm = ctx.own(new ConnectionSwarm(ctx.tcp(), target, null));
        swarm.run(() -> ctx.running() && System.nanoTime() < crowdUntil, () -> {
            if (!slowClosed[0] && System.nanoTime() >= nextByte[0]) {
                nextByte[0] += TimeUnit.SECONDS.toNanos(1);
                try {
                    slow.write(ByteBuffer.wrap(SLOW, slowSent[0] % SLOW.length, 1), System.nanoTime() + 100_000_000L);
                    slowSent[0]++;
                } catch (IOException e) {
                    slowClosed[0] = true;
                }
            }
        });
        int heldOpen = swarm.open();
        String newcomers = newcomers(ctx);
        ctx.scale(target + " idle connections (" + FileLimits.describe(ctx.server().pid()) + ")");
        ctx.note(swarm.summary());
        ByteBuffer scratch = ByteBuffer.allocate(1024);
        boolean slowOpen = !slowClosed[0] && !slow.awaitClose(System.nanoTime() + 1_000_000L, scratch);
        ctx.note("slowloris: " + slowSent[0] + " B at 1 B/s, " + (slowOpen ? "still connected" : "disconnected by the server"));
        ctx.note("open when the newcomers came: " + heldOpen);
        ctx.note("newcomers: " + newcomers);
        while (ctx.running()) {
            LockSupport.parkNanos(Math.min(ctx.remainingNanos(), TimeUnit.MILLISECONDS.toNanos(100))); // holds the crowd till the end
        }
        swarm.close();
    }

    /** Five new clients register for one topic and each sends one message: "connected 5/5, delivered 20/20". */
    private static String newcomers(AttackContext ctx) {
        List<TopicConn> clients = new ArrayList<>();
        String failure = null;
        for (int i = 0; i < NEWCOMERS; i++) {
            try {
                TopicConn c = ctx.own(TopicConn.connect(ctx.tcp(), 2_000));
                c.register("newcomers");
                clients.add(c);
            } catch (IOException e) {
                failure = failure == null ? e.getMessage() : failure;
            }
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300)); // registrations are not acknowledged: give them time to land
        int delivered = 0;
        for (TopicConn c : clients) {
            try {
                c.send("newcomers", "hello from a newcomer");
            } catch (IOException e) {
                failure = failure == null ? e.getMessage() : failure;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (TopicConn c : clients) {
            int mine = 0; // one message from each of the others
            try {
                while (mine < clients.size() - 1) {
                    String line = c.readLine(deadline);
                    if (line == null) {
                        break;
                    }
                    if (line.contains("hello from a newcomer")) {
                        mine++;
                    }
                }
            } catch (IOException e) {
                failure = failure == null ? e.getMessage() : failure;
            }
            delivered += mine;
        }
        int expected = clients.size() * (clients.size() - 1);
        return "connected " + clients.size() + "/" + NEWCOMERS + ", delivered " + delivered + "/" + expected
                + (failure == null ? "" : " (" + Json.excerpt(failure, 60) + ")");
    }
}
