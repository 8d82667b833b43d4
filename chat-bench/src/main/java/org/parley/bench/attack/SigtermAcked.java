package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Attack 13: a DEALER pipelines posts while a SUB follows the channel, and the server gets
 * SIGTERM mid-stream. Every acknowledged post was "in the log and handed to the PUB socket";
 * how many of those never reached the subscriber?
 */
final class SigtermAcked implements Attack {
    static final int WINDOW = 1_000;
    private static final String CHANNEL = "stream";
    private static final Pattern TEXT = Pattern.compile("\"text\":\"s-(\\d+)\"");

    @Override
    public String id() {
        return "sigterm-acked";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "posts pipelined while a SUB listens, SIGTERM mid-stream: acknowledged posts the SUB never got";
    }

    @Override
    public void run(AttackContext ctx) {
        ZMQ.Socket sub = ctx.own(ctx.zmq().createSocket(SocketType.SUB));
        sub.setLinger(0);
        sub.setRcvHWM(0);
        sub.subscribe((CHANNEL + "\0").getBytes(StandardCharsets.UTF_8));
        sub.connect(ctx.server().pubEndpoint());
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        ZMQ.Poller poller = ctx.own(ctx.zmq().createPoller(2));
        poller.register(sub, ZMQ.Poller.POLLIN);
        poller.register(dealer.socket(), ZMQ.Poller.POLLIN);
        if (!warm(ctx, dealer, sub)) {
            ctx.note("not tried: the subscriber got nothing in 5 s");
            return;
        }
        BitSet acked = new BitSet();
        BitSet ackedAfterTerm = new BitSet();
        BitSet received = new BitSet();
        long termAt = System.nanoTime() + Math.max(TimeUnit.MILLISECONDS.toNanos(500), ctx.remainingNanos() / 2);
        CompletableFuture<ServerProcess.Stop> stop = null;
        long stopLimit = Long.MAX_VALUE;
        long lastTraffic = System.nanoTime();
        int sent = 0;
        int ackedCount = 0; // acked.cardinality(), kept as a count: the loop asks for it on every turn
        int sentBeforeTerm = 0;
        while (!Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            if (stop == null && now >= termAt) {
                sentBeforeTerm = sent;
                stop = CompletableFuture.supplyAsync(ctx.server()::stop);
                stopLimit = now + TimeUnit.SECONDS.toNanos(5);
            }
            if (stop != null && (now > stopLimit || stop.isDone() && now - lastTraffic > TimeUnit.SECONDS.toNanos(1))) {
                break;
            }
            boolean room = sent - ackedCount < WINDOW;
            if (room && dealer.send(Dealer.post("streamer", CHANNEL, "s-" + sent, Integer.toString(sent)))) {
                sent++;
            }
            poller.poll(room ? 0 : 10);
            for (String reply = dealer.receiveNow(); reply != null; reply = dealer.receiveNow()) {
                lastTraffic = System.nanoTime();
                if (Json.ok(reply)) {
                    int n = Json.field(reply, "ref").map(Integer::parseInt).orElse(-1);
                    if (n >= 0 && !acked.get(n)) {
                        acked.set(n);
                        ackedCount++;
                        if (stop != null) {
                            ackedAfterTerm.set(n);
                        }
                    }
                }
            }
            for (byte[] topic = sub.recv(ZMQ.DONTWAIT); topic != null; topic = sub.recv(ZMQ.DONTWAIT)) {
                lastTraffic = System.nanoTime();
                Matcher m = TEXT.matcher(sub.hasReceiveMore() ? new String(sub.recv(0), StandardCharsets.UTF_8) : "");
                if (m.find()) {
                    received.set(Integer.parseInt(m.group(1)));
                }
            }
        }
        BitSet lost = (BitSet) acked.clone();
        lost.andNot(received);
        BitSet lostAfterTerm = (BitSet) lost.clone();
        lostAfterTerm.and(ackedAfterTerm);
        ctx.scale(sent + " posts, window " + WINDOW + ", SIGTERM after " + sentBeforeTerm);
        ctx.note("acked " + acked.cardinality() + " (" + ackedAfterTerm.cardinality() + " after SIGTERM), received on SUB "
                + received.cardinality());
        ctx.note("ACKED BUT NEVER RECEIVED: " + lost.cardinality() + " (" + lostAfterTerm.cardinality()
                + " of them acked after SIGTERM)");
        ctx.note("server stopped by the attack: " + (stop == null ? "not reached" : stop.join().text()));
    }

    /** Posts until the subscriber sees one (5 s at most): the SUB's subscription has landed. */
    private static boolean warm(AttackContext ctx, Dealer dealer, ZMQ.Socket sub) {
        sub.setReceiveTimeOut(100);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            dealer.send(Dealer.post("streamer", CHANNEL, "warm", "w"));
            byte[] topic = sub.recv(0);
            if (topic != null) {
                while (sub.hasReceiveMore()) {
                    sub.recv(0);
                }
                drainReplies(dealer);
                return true;
            }
        }
        return false;
    }

    private static void drainReplies(Dealer dealer) {
        while (dealer.receive(200) != null) {
            // replies to the warm-up posts: not counted
        }
    }
}
