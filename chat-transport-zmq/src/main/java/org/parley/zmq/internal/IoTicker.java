package org.parley.zmq.internal;

import java.util.ArrayList;
import java.util.List;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import zmq.Msg;

/**
 * Keeps a JeroMQ context's I/O threads from sleeping for long.
 *
 * <p>Why: with JeroMQ 0.6.0, a fresh outgoing TCP connection now and then stalls (a few
 * percent of connections on a loaded machine, in our tests) until something else wakes the
 * context's I/O thread; a first request then waits for its full timeout. Any timer on that
 * thread unsticks it. The likely cause (docs/BENCHMARKS.md, "without IoTicker"): JeroMQ's
 * poller cancels a channel's selection key when one of its handles is removed, even when a new
 * handle for the same channel was added in the same round, which is then never registered; a
 * connecter hands its channel to the engine just so (the cause JeroMQ's open pull request 1022
 * describes and fixes; no release has it yet). A context that only binds (a server's)
 * does not need it, and a client needs it only while a connection is being made: it attaches
 * tickers then and {@link #detach}es them once its connections are up. This socket provides one: it connects to a port where nothing listens
 * (1, tcpmux: privileged and unused on practically every host), and its reconnect timer
 * fires every {@value #TICK_MILLIS} ms. It never sends or receives anything. A context with
 * several I/O threads gets one such socket on each (its affinity picks the thread): a ticker on
 * one thread leaves the connections of the others to stall.
 *
 * <p>Not part of Parley's API: public so that the benchmark's raw JeroMQ hops run as the
 * transport's own contexts do; it may change without notice.
 *
 * <p>Thread safety: call {@link #attach} from the thread that owns the context's sockets;
 * the socket is closed with the context.
 */
public final class IoTicker {
    public static final int TICK_MILLIS = 100;
    private static final String NOWHERE = "tcp://127.0.0.1:1";

    private IoTicker() {
    }

    /**
     * Adds a ticking socket to each of {@code context}'s I/O threads; they close with the context,
     * or with {@link #detach}. Returns them.
     */
    public static List<ZMQ.Socket> attach(ZContext context) {
        int threads = Math.min(context.getIoThreads(), Long.SIZE); // affinity is a 64-bit mask
        List<ZMQ.Socket> tickers = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            ZMQ.Socket ticker = context.createSocket(SocketType.DEALER);
            tickers.add(ticker);
            ticker.setLinger(0);
            ticker.setSndHWM(1);
            ticker.setAffinity(1L << i); // its connection lives on I/O thread i
            // It reads nothing, even if something does listen there: any frame with a body is
            // over the limit, and the allocator never allocates, since JeroMQ 0.6.0 passes a
            // length with the top bit set (a negative long) past that limit to it.
            ticker.setMaxMsgSize(0);
            ticker.setMsgAllocator(size -> new Msg(0));
            ticker.setReconnectIVL(TICK_MILLIS);
            ticker.setReconnectIVLMax(TICK_MILLIS);
            ticker.connect(NOWHERE);
        }
        return tickers;
    }

    /** Closes tickers {@link #attach} made: the I/O threads may sleep again. */
    public static void detach(ZContext context, List<ZMQ.Socket> tickers) {
        for (ZMQ.Socket ticker : tickers) {
            context.destroySocket(ticker);
        }
    }
}
