package org.parley.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A light posting client of the ZeroMQ protocol's shape: one DEALER socket that sends each post
 * (an empty delimiter, then the request a function makes of the payload) and reads the replies
 * that came between sends, without waiting for them, as a pipelining client does. It keeps no
 * futures and matches no replies to posts: a reply {@code {"ok":false,...}} stops it with the
 * server's error, any other is counted by nobody.
 *
 * <p>Thread safety: one thread, the one that opened it (the socket's owner).
 */
final class ZmqPoster implements Scenario.Sender {
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] REFUSED = "{\"ok\":false".getBytes(StandardCharsets.US_ASCII);
    private static final int POST_TIMEOUT_MILLIS = 2_000;

    private final ZMQ.Socket dealer;
    private final String system;
    private final UnaryOperator<byte[]> request;
    private final Supplier<String> trouble;

    /**
     * @param request what is sent for a payload (the payload itself, or a post request around it)
     * @param trouble what is known to be wrong with the server, for an error, or null
     */
    ZmqPoster(ZContext context, String endpoint, String system, UnaryOperator<byte[]> request, Supplier<String> trouble) {
        this.system = system;
        this.request = request;
        this.trouble = trouble;
        dealer = context.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.setSndHWM(JeromqRelay.HWM);
        dealer.setRcvHWM(0); // as Parley's client: acknowledgements are never dropped
        dealer.setSendTimeOut(POST_TIMEOUT_MILLIS); // a DEALER blocks when full: never for ever
        dealer.connect(endpoint);
    }

    @Override
    public void send(byte[] payload) {
        if (!dealer.sendMore(EMPTY) || !dealer.send(request.apply(payload))) {
            String why = trouble.get();
            throw new IllegalStateException(system + " took no post within " + POST_TIMEOUT_MILLIS + " ms"
                    + (why == null ? "" : ": " + why));
        }
        flush();
    }

    /** Nothing waits to be sent: reads the replies that came, this poster's pending I/O. */
    @Override
    public void flush() {
        byte[] frame;
        while ((frame = dealer.recv(ZMQ.DONTWAIT)) != null) { // the delimiter, then the reply
            if (frame.length >= REFUSED.length && Arrays.equals(frame, 0, REFUSED.length, REFUSED, 0, REFUSED.length)) {
                String reply = new String(frame, StandardCharsets.UTF_8);
                throw new IllegalStateException(system + " refused a post: "
                        + (reply.length() > 200 ? reply.substring(0, 200) + "..." : reply));
            }
        }
    }

    /** Reads the replies, then sleeps: the replies wait in the socket (no high-water mark) till it wakes. */
    @Override
    public void idle(long nanos) {
        flush();
        LockSupport.parkNanos(nanos);
    }

    @Override
    public void awaitReady(DeliverySink sink, long timeoutNanos) {
        byte[] probe = Payload.probe();
        BaseScenario.probeUntilReady(sink, timeoutNanos, system, () -> send(probe));
    }

    @Override
    public void close() {
        dealer.close();
    }
}
