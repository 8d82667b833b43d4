package org.parley.bench.attack;

import java.io.IOException;

/**
 * A well-behaved client that sends one message every 50 ms and counts how many come back to
 * it, phase by phase, while an attack runs.
 *
 * <p>Thread safety: the runner's thread calls these methods; the client runs on its own threads.
 */
interface GoodClient extends AutoCloseable {
    long PERIOD_MILLIS = 50;

    /** "zmq" or "tcp": the transport it speaks. */
    String name();

    /** Starts sending and receiving. */
    void start() throws IOException;

    /** The log of what it sent and got back. */
    DeliveryLog log();

    /** A line about trouble it met (reconnections, say), or "" if none. */
    default String trouble() {
        return "";
    }

    /** Stops sending and receiving and releases its sockets; idempotent. */
    @Override
    void close();
}
