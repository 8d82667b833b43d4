package org.parley.bench;

import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * The shape the ZeroMQ protocol asks of any server, and nothing else: posts [identity, empty,
 * body] taken on a ROUTER socket, each published on a PUB socket, then acknowledged to its
 * poster, in one loop on one thread. What a post becomes (its topic and publication, its
 * reply) is the {@link Relayed} a function makes of it: the same bytes and two bytes of
 * acknowledgement for the raw JeroMQ relay ({@link RawJeromqScenario#relay}), JSON like
 * Parley's for the raw JSON relay ({@link JsonRelay}).
 *
 * <p>Thread safety: {@link #run} on one thread, which owns both sockets; {@link #stop} and
 * {@link #failure} from any thread.
 */
final class JeromqRelay implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(JeromqRelay.class);
    private static final byte[] EMPTY = new byte[0];
    /** Above the benchmark's window, so flow control, not the high-water mark, bounds the queues. */
    static final int HWM = 100_000;

    /** What one post becomes: a publication (null for none) and the reply to its poster. */
    record Relayed(byte[] topic, byte[] body, byte[] reply) {
    }

    private final ZContext context;
    private final String postEndpoint;
    private final String pubEndpoint;
    private final Function<byte[], Relayed> relay;
    private final CountDownLatch bound = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile RuntimeException failure;

    JeromqRelay(ZContext context, String postEndpoint, String pubEndpoint, Function<byte[], Relayed> relay) {
        this.context = context;
        this.postEndpoint = postEndpoint;
        this.pubEndpoint = pubEndpoint;
        this.relay = relay;
    }

    /** Counts down once both sockets are bound, or binding failed ({@link #failure} then says why). */
    CountDownLatch bound() {
        return bound;
    }

    /** What stopped the loop, if anything did; null while it runs or after a clean stop. */
    RuntimeException failure() {
        return failure;
    }

    /** Ends the loop within 100 ms. */
    void stop() {
        stopping = true;
    }

    /** Binds {@code socket}, or fails with one line that says where and why. */
    private static void bind(ZMQ.Socket socket, String endpoint) {
        try {
            socket.bind(endpoint);
        } catch (ZMQException e) {
            ZMQ.Error error = ZMQ.Error.findByCode(e.getErrorCode());
            throw new IllegalStateException("cannot bind " + endpoint + ": "
                    + (error == null ? "error " + e.getErrorCode() : error.getMessage()), e);
        }
    }

    @Override
    public void run() {
        ZMQ.Socket router = context.createSocket(SocketType.ROUTER);
        ZMQ.Socket pub = context.createSocket(SocketType.PUB);
        try {
            router.setLinger(0);
            router.setSndHWM(0); // an acknowledgement is never dropped
            router.setRcvHWM(HWM);
            router.setReceiveTimeOut(100);
            bind(router, postEndpoint);
            pub.setLinger(0);
            pub.setSndHWM(HWM);
            bind(pub, pubEndpoint);
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
                Relayed r = relay.apply(body);
                if (r.body() != null) {
                    pub.sendMore(r.topic());
                    pub.send(r.body());
                }
                router.sendMore(identity);
                router.sendMore(EMPTY);
                router.send(r.reply());
            }
        } catch (RuntimeException e) {
            failure = e;
            if (bound.getCount() == 0) { // a failure while binding is the caller's to tell
                log.warn("the relay failed", e);
            }
        } finally {
            bound.countDown(); // also when binding failed: the caller then reports why
            router.close();
            pub.close();
        }
    }
}
