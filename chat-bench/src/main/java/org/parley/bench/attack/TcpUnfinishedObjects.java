package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Attack 6: thousands of TCP connections each sending 64 KiB of an object that never closes,
 * {@code {"x":["a","a",...}, and holding it there.
 */
final class TcpUnfinishedObjects implements Attack {
    static final int OBJECT_BYTES = 64 * 1024;

    @Override
    public String id() {
        return "tcp-unfinished-objects";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.TCP;
    }

    @Override
    public String description() {
        return "2,000 connections each sending 64 KiB of {\"x\":[\"a\",\"a\",... never closed";
    }

    @Override
    public void run(AttackContext ctx) throws Exception {
        long fds = FileLimits.forConnections(ctx.server().pid());
        int target = (int) Math.min(ctx.scaled(2_000), fds);
        try (ConnectionSwarm swarm = ctx.own(new ConnectionSwarm(ctx.tcp(), target, unfinishedObject()))) {
            swarm.run(ctx::running, () -> { });
            ctx.scale(target + " connections × 64 KiB (" + FileLimits.describe(ctx.server().pid()) + ")");
            ctx.note(swarm.summary());
        }
    }

    /** {@code {"x":["a","a",...} to exactly 64 KiB (padded with spaces inside the array), never closed. */
    static byte[] unfinishedObject() {
        byte[] b = new byte[OBJECT_BYTES];
        byte[] head = "{\"x\":[".getBytes(StandardCharsets.US_ASCII);
        byte[] token = "\"a\",".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, b, 0, head.length);
        int i = head.length;
        while (i + token.length <= b.length) {
            System.arraycopy(token, 0, b, i, token.length);
            i += token.length;
        }
        Arrays.fill(b, i, b.length, (byte) ' ');
        return b;
    }
}
