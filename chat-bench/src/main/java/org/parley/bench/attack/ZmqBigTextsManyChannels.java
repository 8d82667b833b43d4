package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;

/** Attack 7: posts of 16 KiB texts spread over 1,000 channels, pipelined, as fast as the server acknowledges. */
final class ZmqBigTextsManyChannels implements Attack {
    static final int TEXT_BYTES = 16 * 1024;

    @Override
    public String id() {
        return "zmq-big-texts-many-channels";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "16 KiB texts over 1,000 channels from a pipelining DEALER, as fast as acknowledged";
    }

    @Override
    public void run(AttackContext ctx) {
        int channels = ctx.scaled(1_000);
        String text = "b".repeat(TEXT_BYTES);
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        Pump pump = new Pump().run(dealer, Pump.numbered(Long.MAX_VALUE,
                i -> post(i, channels, text)), 64, ctx::running, 2_000, null);
        ctx.scale(pump.sent() + " posts of 16 KiB over " + channels + " channels (" + pump.bytesSent() / (1 << 20) + " MiB)");
        ctx.note(pump.summary());
    }

    private static byte[] post(long i, int channels, String text) {
        return ("{\"user\":\"big\",\"channel\":\"big-" + (i % channels) + "\",\"text\":\"" + text + "\",\"ref\":\"" + i + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
