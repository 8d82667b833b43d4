package org.parley.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Baseline 1: one JeroMQ PUB socket to K SUB sockets over loopback TCP, no server logic: the
 * ceiling for Parley's ZeroMQ transport. Frames are those of PROTOCOL.md (topic {@code bench\0},
 * then the body), so the work per message matches what the Parley server's PUB socket does.
 *
 * <p>Thread safety: each socket lives on one thread: the PUB socket on the posting thread that
 * opened it, each SUB socket on its own receiving thread.
 */
final class RawJeromqScenario extends BaseScenario {
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
    private String endpoint;
    private final List<Thread> receivers = new ArrayList<>();
    private volatile boolean stopping;

    RawJeromqScenario(int k) {
        super(Systems.RAW_JEROMQ, k, 1); // one PUB socket, as in the server
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        subContext = new ZContext(1);
        pubContext = new ZContext(1);
        endpoint = "tcp://127.0.0.1:" + ExternalServer.freePort();
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

    @Override
    public Sender openSender(int index) {
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
        for (ZContext c : new ZContext[] {pubContext, subContext}) {
            if (c != null) {
                c.close();
            }
        }
    }
}
