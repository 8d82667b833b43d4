package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The good ZeroMQ client: posts to channel {@code good} over a DEALER every 50 ms, with its
 * number as {@code ref}, and follows {@code good} on a SUB socket.
 *
 * <p>Thread safety: one thread of its own ({@code attack-good-zmq}) owns both sockets.
 */
final class GoodZmqClient implements GoodClient {
    private static final Logger log = LoggerFactory.getLogger(GoodZmqClient.class);
    static final String CHANNEL = "good";
    private static final Pattern TEXT = Pattern.compile("\"text\":\"good-(\\d+)\"");

    private final String postEndpoint;
    private final String pubEndpoint;
    private final DeliveryLog deliveries = new DeliveryLog();
    private final ZContext context = TickingContext.create();
    private final Thread thread;
    private volatile boolean stop;

    GoodZmqClient(String postEndpoint, String pubEndpoint) {
        this.postEndpoint = postEndpoint;
        this.pubEndpoint = pubEndpoint;
        this.thread = new Thread(this::run, "attack-good-zmq");
        thread.setDaemon(true);
    }

    @Override
    public String name() {
        return "zmq";
    }

    @Override
    public void start() {
        thread.start();
    }

    @Override
    public DeliveryLog log() {
        return deliveries;
    }

    private void run() {
        try (Dealer dealer = new Dealer(context, postEndpoint);
             ZMQ.Socket sub = context.createSocket(SocketType.SUB);
             ZMQ.Poller poller = context.createPoller(2)) {
            sub.setLinger(0);
            sub.setRcvHWM(100_000);
            sub.subscribe((CHANNEL + "\0").getBytes(StandardCharsets.UTF_8));
            sub.connect(pubEndpoint);
            poller.register(dealer.socket(), ZMQ.Poller.POLLIN);
            poller.register(sub, ZMQ.Poller.POLLIN);
            long period = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
            long next = System.nanoTime();
            while (!stop) {
                long now = System.nanoTime();
                if (now >= next) {
                    if (deliveries.phase() != Phase.DONE) {
                        int n = deliveries.sent();
                        dealer.send(Dealer.post("good", CHANNEL, "good-" + n, Integer.toString(n)));
                    }
                    next = Math.max(next + period, now);
                }
                poller.poll(Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime())));
                for (String reply = dealer.receiveNow(); reply != null; reply = dealer.receiveNow()) {
                    if (Json.ok(reply)) {
                        Json.field(reply, "ref").ifPresent(ref -> deliveries.acked(Integer.parseInt(ref)));
                    }
                }
                for (byte[] topic = sub.recv(ZMQ.DONTWAIT); topic != null; topic = sub.recv(ZMQ.DONTWAIT)) {
                    byte[] body = sub.hasReceiveMore() ? sub.recv(0) : new byte[0];
                    Matcher m = TEXT.matcher(new String(body, StandardCharsets.UTF_8));
                    if (m.find()) {
                        deliveries.received(Integer.parseInt(m.group(1)));
                    }
                }
            }
        } catch (RuntimeException e) {
            if (!stop) {
                log.warn("the good ZeroMQ client failed", e);
            }
        }
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("the good ZeroMQ client did not stop within 3 s; its context is left open");
            return;
        }
        context.close();
    }
}
