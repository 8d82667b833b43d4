package org.parley.tcp;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many connections a listening side serves at once, in all and from one IP address, and
 * what one more is told: one rule for the topic server and a listening direct peer.
 *
 * <p>Thread safety: {@link #open()} may be called from any thread; {@link #admit} and
 * {@link #release} on the selector thread only.
 */
final class ConnectionCaps {
    private final String side; // what the error calls the listening side: "server", "peer"
    private final int max;
    private final int maxPerAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, Integer> perAddress = new HashMap<>(); // selector thread only

    ConnectionCaps(String side, int max, int maxPerAddress) {
        if (max < 1) {
            throw new IllegalArgumentException("maxConnections < 1: " + max);
        }
        if (maxPerAddress < 1) {
            throw new IllegalArgumentException("maxConnectionsPerAddress < 1: " + maxPerAddress);
        }
        this.side = side;
        this.max = max;
        this.maxPerAddress = maxPerAddress;
    }

    /**
     * Counts a new connection from {@code remote} in, whether or not it may stay, until
     * {@link #release}. Returns null if it is within the caps, else the error to send it before
     * closing it: {@code the server is full: 16384 connections}, or
     * {@code connection 257 from 10.0.0.7 exceeds the limit of 256 per address}.
     */
    String admit(TcpAddress remote) {
        int fromAddress = perAddress.merge(remote.ip(), 1, Integer::sum);
        if (open.incrementAndGet() > max) {
            return "the " + side + " is full: " + max + " connections";
        }
        if (fromAddress > maxPerAddress) {
            return "connection " + fromAddress + " from " + remote.ip() + " exceeds the limit of " + maxPerAddress
                    + " per address";
        }
        return null;
    }

    /** Counts out a connection from {@code remote} that {@link #admit} counted in: it has closed. */
    void release(TcpAddress remote) {
        open.decrementAndGet();
        perAddress.computeIfPresent(remote.ip(), (ip, n) -> n > 1 ? n - 1 : null);
    }

    /** Connections counted in now, served or being refused. */
    int open() {
        return open.get();
    }
}
