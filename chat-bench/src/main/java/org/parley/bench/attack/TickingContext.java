package org.parley.bench.attack;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A JeroMQ context whose one I/O thread never sleeps for more than 100 ms.
 *
 * <p>Why: with JeroMQ 0.6.0 a fresh outgoing connection now and then stalls in its handshake
 * (a few in 100 fresh DEALERs on this loopback, while a raw ZMTP client, sending the same
 * greeting in the same stages, never did) until something else wakes the context's I/O
 * thread. A probe or an attack socket caught that way would blame the server for a client
 * stall. A reconnect timer on the same thread unsticks it: a DEALER connected to port 1, where
 * nothing listens, retries every 100 ms and never carries a message. (Parley's transport does
 * the same in its own contexts; this suite keeps its own copy, since it uses no Parley code.)
 *
 * <p>Thread safety: as {@link ZContext}; the ticker socket is closed with the context.
 */
final class TickingContext {
    static final int TICK_MILLIS = 100;

    private TickingContext() {
    }

    /** A context with one I/O thread and its ticker. */
    static ZContext create() {
        ZContext context = new ZContext(1);
        ZMQ.Socket ticker = context.createSocket(SocketType.DEALER);
        ticker.setLinger(0);
        ticker.setSndHWM(1);
        ticker.setReconnectIVL(TICK_MILLIS);
        ticker.setReconnectIVLMax(TICK_MILLIS);
        ticker.connect("tcp://127.0.0.1:1");
        return context;
    }
}
