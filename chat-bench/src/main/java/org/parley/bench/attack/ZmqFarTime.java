package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;

/** Attack 1: posts whose time is a billion years ahead, an instant Java parses but few clients can show. */
final class ZmqFarTime implements Attack {
    static final String TIME = "+1000000000-12-31T23:59:59.999Z";

    @Override
    public String id() {
        return "zmq-far-time";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "posts with \"time\":\"" + TIME + "\"";
    }

    @Override
    public void run(AttackContext ctx) {
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        Pump pump = new Pump().run(dealer, Pump.numbered(ctx.scaled(1_000_000), ZmqFarTime::post), 16, ctx::running, 2_000, null);
        ctx.scale(pump.sent() + " posts");
        ctx.note(pump.summary());
        dealer.send("{\"type\":\"history\",\"channel\":\"far\",\"last\":10}".getBytes(StandardCharsets.UTF_8));
        String reply = dealer.receive(2_000);
        ctx.note("history of far: " + (reply == null ? "no reply in 2 s"
                : Json.ok(reply) ? "ok, " + reply.length() + " chars" : "refused: " + Json.field(reply, "error").orElse(reply)));
    }

    static byte[] post(long i) {
        return ("{\"type\":\"post\",\"user\":\"far\",\"channel\":\"far\",\"text\":\"far-" + i + "\",\"time\":\"" + TIME
                + "\",\"ref\":\"" + i + "\"}").getBytes(StandardCharsets.UTF_8);
    }
}
