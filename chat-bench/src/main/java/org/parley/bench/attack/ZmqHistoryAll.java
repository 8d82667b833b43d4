package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZMQ;

/**
 * Attack 9: with the log full, 60 DEALERs each keep 5 requests for the newest 1,000 messages
 * of {@code ALL} in flight, for the whole attack; the row carries the good client's
 * acknowledgement latency meanwhile.
 */
final class ZmqHistoryAll implements Attack {
    static final int IN_FLIGHT = 5;
    private static final byte[] REQUEST = "{\"type\":\"history\",\"channel\":\"ALL\",\"last\":1000}"
            .getBytes(StandardCharsets.UTF_8);

    @Override
    public String id() {
        return "zmq-history-all";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "log filled, then 60 DEALERs each pipelining 5 history requests of ALL, last 1000";
    }

    @Override
    public boolean reportsAckLatency() {
        return true;
    }

    @Override
    public void prepare(AttackContext ctx) {
        String text = "h".repeat(1_000);
        int posts = ctx.scaled(20_000);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        Pump fill = new Pump().run(dealer, Pump.numbered(posts,
                i -> Dealer.post("filler", "fill-" + (i % 100), text, Long.toString(i))), 64,
                () -> System.nanoTime() < until && !Thread.currentThread().isInterrupted(), 2_000, null);
        ctx.note("fill over 100 channels: " + fill.summary());
    }

    @Override
    public void run(AttackContext ctx) {
        int dealers = ctx.scaled(60);
        List<Dealer> all = new ArrayList<>();
        ZMQ.Poller poller = ctx.own(ctx.zmq().createPoller(dealers));
        for (int i = 0; i < dealers; i++) {
            Dealer d = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
            all.add(d);
            poller.register(d.socket(), ZMQ.Poller.POLLIN);
            for (int k = 0; k < IN_FLIGHT; k++) {
                d.send(REQUEST);
            }
        }
        long replies = 0;
        long refused = 0;
        long bytes = 0;
        while (ctx.running()) {
            poller.poll(50);
            for (Dealer d : all) {
                for (String reply = d.receiveNow(); reply != null; reply = d.receiveNow()) {
                    replies++;
                    bytes += reply.length();
                    if (!Json.ok(reply)) {
                        refused++;
                    }
                    if (ctx.running()) {
                        d.send(REQUEST);
                    }
                }
            }
        }
        ctx.scale(dealers + " DEALERs × " + IN_FLIGHT + " in flight");
        ctx.note(replies + " history replies (" + bytes / (1 << 20) + " MiB)" + (refused == 0 ? "" : ", " + refused + " refused"));
    }
}
