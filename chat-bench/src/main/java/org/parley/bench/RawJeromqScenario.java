package org.parley.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.parley.zmq.internal.IoTicker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Baseline 1: one JeroMQ PUB socket to K SUB sockets over loopback TCP, no server logic: the
 * ceiling for Parley's ZeroMQ transport. Frames are those of PROTOCOL.md (topic {@code bench\0},
 * then the body), so the work per message matches what the Parley server's PUB socket does.
 *
 * <p>{@link #relay} is the same with the shape of Parley's protocol around it, and nothing else:
 * posting DEALER sockets send each body (after an empty delimiter) to a relay thread's ROUTER,
 * which answers each with a two-byte acknowledgement and publishes the body on its PUB socket. No
 * JSON, no log, no futures: the ceiling for a server that must acknowledge every post, as
 * Parley's protocol asks.
 *
 * <p>Thread safety: each socket lives on one thread: a PUB or DEALER socket on the posting thread
 * that opened it, the relay's ROUTER and PUB on the relay thread, each SUB socket on its own
 * receiving thread.
 */
final class RawJeromqScenario extends BaseScenario {
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] ACK = "ok".getBytes(StandardCharsets.US_ASCII);
    private static final int POST_TIMEOUT_MILLIS = 2_000;
    private static final Logger log = LoggerFactory.getLogger(RawJeromqScenario.class);
    private static final byte[] TOPIC = "bench\0".getBytes(StandardCharsets.UTF_8);
    /** Above the harness window, so flow control, not the high-water mark, bounds the queues. */
    private static final int HWM = 100_000;
    /**
     * A SUB not live this long after it connected connects again. Slow joiner: now and then
     * (K=100 on loaded cores) a SUB's connection never came up, or its subscription never
     * reached the PUB, and probing alone waited out its 20 s; a fresh connection sends the
     * subscription again.
     */
    private static final long RECONNECT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** Subscribers and publisher in separate contexts: each side has its own I/O thread, as in separate processes. */
    private ZContext subContext;
    private ZContext pubContext;
    private ZContext relayContext; // null without a relay
    private String endpoint;
    private String postEndpoint; // null without a relay
    private final boolean withRelay;
    /** What stopped the relay thread, if anything did: reported by setup and by the posters. */
    private volatile RuntimeException relayFailure;
    private final List<Thread> receivers = new ArrayList<>();
    private volatile boolean stopping;

    private RawJeromqScenario(String system, int k, int publishers, boolean relay) {
        super(system, k, publishers);
        this.withRelay = relay;
    }

    /** One PUB socket in the sending loop, as in the server. */
    static RawJeromqScenario direct(int k) {
        return new RawJeromqScenario(Systems.RAW_JEROMQ, k, 1, false);
    }

    /** {@code publishers} DEALER sockets posting to a relay thread that acknowledges and publishes. */
    static RawJeromqScenario relay(int k, int publishers) {
        return new RawJeromqScenario(Systems.RAW_JEROMQ_RELAY, k, publishers, true);
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        subContext = new ZContext(1);
        pubContext = new ZContext(1);
        endpoint = "tcp://127.0.0.1:" + ExternalServer.freePort();
        if (withRelay) {
            // DEALER to ROUTER on fresh connections, as in Parley's own contexts (see IoTicker).
            IoTicker.attach(pubContext);
            relayContext = new ZContext(1);
            IoTicker.attach(relayContext);
            postEndpoint = "tcp://127.0.0.1:" + ExternalServer.freePort();
            CountDownLatch bound = new CountDownLatch(1);
            Thread t = new Thread(() -> runRelay(bound), "parley-bench-jeromq-relay");
            t.setDaemon(true);
            t.start();
            receivers.add(t); // joined at teardown with the receiving threads
            if (!bound.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("JeroMQ relay did not start within 20 s");
            }
            if (relayFailure != null) {
                throw new IllegalStateException("JeroMQ relay failed: " + relayFailure.getMessage(), relayFailure);
            }
        }
        CountDownLatch connected = new CountDownLatch(k);
        for (int i = 0; i < k; i++) {
            int sub = i;
            Thread t = new Thread(() -> receive(sub, sink, connected), "parley-bench-jeromq-sub-" + i);
            t.setDaemon(true);
            t.start();
            receivers.add(t);
        }
        if (!connected.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("JeroMQ subscribers did not start within 20 s");
        }
    }

    private void receive(int sub, DeliverySink sink, CountDownLatch connected) {
        ZMQ.Socket socket = subContext.createSocket(SocketType.SUB);
        try {
            socket.setRcvHWM(HWM);
            socket.setReceiveTimeOut(100);
            socket.connect(endpoint);
            socket.subscribe(TOPIC);
            connected.countDown();
            long reconnectAt = System.nanoTime() + RECONNECT_NANOS;
            while (!stopping) {
                byte[] topic = socket.recv();
                if (topic == null) {
                    // Not live yet, long after connecting: connect again (see RECONNECT_NANOS).
                    if (!sink.isReady(sub) && System.nanoTime() - reconnectAt > 0) {
                        socket.disconnect(endpoint);
                        socket.connect(endpoint);
                        reconnectAt = System.nanoTime() + RECONNECT_NANOS;
                    }
                    continue;
                }
                byte[] body = socket.recv();
                if (body != null) {
                    sink.deliver(sub, body);
                }
            }
        } finally {
            socket.close();
        }
    }

    /** The relay thread: each post [identity, empty, body] is acknowledged, then published. */
    private void runRelay(CountDownLatch bound) {
        ZMQ.Socket router = relayContext.createSocket(SocketType.ROUTER);
        ZMQ.Socket pub = relayContext.createSocket(SocketType.PUB);
        try {
            router.setLinger(0);
            router.setSndHWM(0); // an acknowledgement is never dropped
            router.setRcvHWM(HWM);
            router.setReceiveTimeOut(100);
            router.bind(postEndpoint);
            pub.setLinger(0);
            pub.setSndHWM(HWM);
            pub.bind(endpoint);
            bound.countDown();
            while (!stopping) {
                byte[] identity = router.recv();
                if (identity == null) {
                    continue;
                }
                byte[] delimiter = router.recv();
                byte[] body = router.recv();
                if (delimiter == null || body == null) {
                    continue;
                }
                router.sendMore(identity);
                router.sendMore(EMPTY);
                router.send(ACK);
                pub.sendMore(TOPIC);
                pub.send(body);
            }
        } catch (RuntimeException e) {
            relayFailure = e;
            log.warn("the JeroMQ relay failed", e);
        } finally {
            bound.countDown(); // also when binding failed: setup then reports why
            router.close();
            pub.close();
        }
    }

    @Override
    public Sender openSender(int index) {
        return withRelay ? openPoster() : openPublisher();
    }

    /** A DEALER socket posting to the relay; it reads the acknowledgements between sends. */
    private Sender openPoster() {
        ZMQ.Socket dealer = pubContext.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.setSndHWM(HWM);
        dealer.setRcvHWM(0); // as Parley's client: acknowledgements are never dropped
        dealer.setSendTimeOut(POST_TIMEOUT_MILLIS); // a DEALER blocks when full: never for ever
        dealer.connect(postEndpoint);
        return new Sender() {
            @Override
            public void send(byte[] payload) {
                if (!dealer.sendMore(EMPTY) || !dealer.send(payload)) {
                    RuntimeException cause = relayFailure;
                    throw new IllegalStateException("the relay took no post within " + POST_TIMEOUT_MILLIS + " ms"
                            + (cause == null ? "" : ": it failed: " + cause.getMessage()), cause);
                }
                flush();
            }

            /** Nothing waits to be sent: reads the acknowledgements that came, this sender's pending I/O. */
            @Override
            public void flush() {
                while (dealer.recv(ZMQ.DONTWAIT) != null) {
                    // an acknowledgement frame: counted by nobody, as Parley's poster ignores its acks
                }
            }

            @Override
            public void awaitReady(DeliverySink sink, long timeoutNanos) {
                byte[] probe = Payload.probe();
                probeUntilReady(sink, timeoutNanos, system(), () -> send(probe));
            }

            @Override
            public void close() {
                dealer.close();
            }
        };
    }

    private Sender openPublisher() {
        ZMQ.Socket pub = pubContext.createSocket(SocketType.PUB);
        pub.setSndHWM(HWM);
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
        stopping = true;
        for (Thread t : receivers) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ZContext c : new ZContext[] {pubContext, relayContext, subContext}) {
            if (c != null) {
                c.close();
            }
        }
    }
}
