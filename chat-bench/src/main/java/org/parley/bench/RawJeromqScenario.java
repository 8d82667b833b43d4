package org.parley.bench;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Baseline 1: one JeroMQ PUB socket to K SUB sockets over loopback TCP, no server logic: the
 * ceiling for Parley's ZeroMQ transport. Frames are those of PROTOCOL.md (topic {@code bench\0},
 * then the body), so the work per message matches what the Parley server's PUB socket does.
 *
 * <p>{@link #relay} is the same with the shape of Parley's protocol around it, and nothing else:
 * posting DEALER sockets ({@link ZmqPoster}) send each body (after an empty delimiter) to a relay
 * thread's ROUTER ({@link JeromqRelay}), which publishes it on its PUB socket and answers it with
 * a two-byte acknowledgement. No JSON, no log, no futures: the ceiling for a server that must
 * acknowledge every post, as Parley's protocol asks.
 *
 * <p>Thread safety: each socket lives on one thread: a PUB or DEALER socket on the posting thread
 * that opened it, the relay's ROUTER and PUB on the relay thread, each SUB socket on its own
 * receiving thread.
 */
final class RawJeromqScenario extends BaseScenario {
    private static final byte[] ACK = "ok".getBytes(StandardCharsets.US_ASCII);
    static final byte[] TOPIC = "bench\0".getBytes(StandardCharsets.UTF_8);

    /** Subscribers and publisher in separate contexts: each side has its own I/O thread, as in separate processes. */
    private SubSockets subscribers;
    private ZContext pubContext;
    private ZContext relayContext; // null without a relay
    private String endpoint;
    private String postEndpoint; // null without a relay
    private final boolean withRelay;
    private JeromqRelay relay; // null without one
    private Thread relayThread;
    private final ThreadGroup subscriberThreads;

    private RawJeromqScenario(String system, int k, int publishers, boolean relay) {
        super(system, k, publishers);
        this.withRelay = relay;
        this.subscriberThreads = new ThreadGroup("parley-bench-" + system.replace(' ', '-') + "-subscribers");
    }

    /** One PUB socket in the sending loop, as in the server. */
    static RawJeromqScenario direct(int k) {
        return new RawJeromqScenario(Systems.RAW_JEROMQ, k, 1, false);
    }

    /** {@code publishers} DEALER sockets posting to a relay thread that publishes and acknowledges. */
    static RawJeromqScenario relay(int k, int publishers) {
        return new RawJeromqScenario(Systems.RAW_JEROMQ_RELAY, k, publishers, true);
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        pubContext = new ZContext(1);
        endpoint = "tcp://127.0.0.1:" + ExternalServer.freePort();
        if (withRelay) {
            // DEALER to ROUTER on fresh connections, as in Parley's own contexts (see IoTicker).
            IoTicker.attach(pubContext);
            relayContext = new ZContext(1);
            IoTicker.attach(relayContext);
            postEndpoint = "tcp://127.0.0.1:" + ExternalServer.freePort();
            relay = new JeromqRelay(relayContext, postEndpoint, endpoint, body -> new JeromqRelay.Relayed(TOPIC, body, ACK));
            relayThread = new Thread(relay, "parley-bench-jeromq-relay");
            relayThread.setDaemon(true);
            relayThread.start();
            if (!relay.bound().await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("JeroMQ relay did not start within 20 s");
            }
            if (relay.failure() != null) {
                throw new IllegalStateException("JeroMQ relay failed: " + relay.failure().getMessage(), relay.failure());
            }
        }
        subscribers = new SubSockets(endpoint, TOPIC, k, false, subscriberThreads, "parley-bench-jeromq-sub",
                sink::deliver);
        subscribers.start(sink);
    }

    @Override
    public double subscriberCpuSeconds() {
        return CpuClock.threadSeconds(subscriberThreads);
    }

    @Override
    public Sender openSender(int index) {
        if (withRelay) {
            return new ZmqPoster(pubContext, postEndpoint, system(), body -> body, () -> {
                RuntimeException cause = relay.failure();
                return cause == null ? null : "it failed: " + cause.getMessage();
            });
        }
        return openPublisher();
    }

    private Sender openPublisher() {
        ZMQ.Socket pub = pubContext.createSocket(SocketType.PUB);
        pub.setSndHWM(JeromqRelay.HWM);
        pub.setLinger(0);
        pub.bind(endpoint);
        return new Sender() {
            @Override
            public void send(byte[] payload) {
                pub.sendMore(TOPIC);
                pub.send(payload);
            }

            @Override
            public void awaitReady(DeliverySink sink, long timeoutNanos) {
                // Slow joiner: a SUB's subscription reaches the PUB a moment after it connects.
                byte[] probe = Payload.probe();
                probeUntilReady(sink, timeoutNanos, "JeroMQ", () -> {
                    pub.sendMore(TOPIC);
                    pub.send(probe);
                });
            }

            @Override
            public void close() {
                pub.close();
            }
        };
    }

    @Override
    public void teardown() {
        if (relay != null) {
            relay.stop();
            try {
                relayThread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (subscribers != null) {
            subscribers.close();
        }
        for (ZContext c : new ZContext[] {pubContext, relayContext}) {
            if (c != null) {
                c.close();
            }
        }
    }
}
