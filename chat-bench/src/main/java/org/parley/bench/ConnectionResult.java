package org.parley.bench;

import java.util.List;

/**
 * The connection benchmark's figures for one server.
 *
 * @param server        what ran (the baseline or the command given)
 * @param connections   registered clients
 * @param rssBefore     server resident memory before any client connected, bytes (-1 unknown)
 * @param rssAfter      with every client registered, bytes
 * @param heapBefore    server heap in use after a full GC, before (-1 unknown)
 * @param heapAfter     the same with every client registered
 * @param fanoutMillis  time from sending one message to its arrival at the last of all clients, per round
 * @param delivered     lines received by the clients over the measured rounds
 * @param expected      connections × rounds
 * @param note          why figures are missing, or null
 */
record ConnectionResult(String server, int connections, long rssBefore, long rssAfter, long heapBefore,
                        long heapAfter, List<Double> fanoutMillis, long delivered, long expected, String note) {
    ConnectionResult {
        fanoutMillis = List.copyOf(fanoutMillis);
    }

    static ConnectionResult failed(String server, int connections, String note) {
        return new ConnectionResult(server, connections, -1, -1, -1, -1, List.of(), 0, 0, note);
    }

    /** Bytes per connection, or NaN when either figure is unknown. */
    double rssPerConnection() {
        return rssBefore < 0 || rssAfter < 0 ? Double.NaN : (double) (rssAfter - rssBefore) / connections;
    }

    double heapPerConnection() {
        return heapBefore < 0 || heapAfter < 0 ? Double.NaN : (double) (heapAfter - heapBefore) / connections;
    }

    double medianMillis() {
        return ThroughputResult.medianOf(fanoutMillis);
    }

    double minMillis() {
        return fanoutMillis.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    double maxMillis() {
        return fanoutMillis.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
