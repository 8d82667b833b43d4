package org.parley.bench.attack;

/**
 * Attack 8: 1,024 one-byte posts, each to a new channel name; then is a new channel still
 * accepted from ZeroMQ, and can new TCP topic clients still register and chat? Runs on the
 * bridge, where both transports share one set of channels.
 */
final class ZmqChannelExhaustion implements Attack {
    @Override
    public String id() {
        return "zmq-channel-exhaustion";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.BRIDGE;
    }

    @Override
    public String description() {
        return "1,024 one-byte posts to new channels, then a post to yet another new channel and a new TCP topic";
    }

    @Override
    public void run(AttackContext ctx) {
        int n = ctx.scaled(1_024);
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        Pump pump = new Pump().run(dealer, Pump.numbered(n, i -> Dealer.post("filler", "new-" + i, "x", Long.toString(i))),
                32, ctx::running, 2_000, null);
        ctx.scale(pump.sent() + " new channels");
        ctx.note(pump.summary());
        ctx.note("then a post to a new channel: " + Probe.zmq(ctx.server().postEndpoint(), "brand-new", 2_000));
        ctx.note("a new TCP topic: " + Probe.tcp(ctx.tcp(), "brand-new-topic", 2_000));
    }
}
