package org.parley.bench;

/**
 * One measured round: what was sent, what arrived, how long it took and what CPU it cost.
 *
 * @param sent       messages posted
 * @param delivered  deliveries received (a message to K subscribers is K deliveries)
 * @param expected   sent × K
 * @param seconds    from the first send to the last delivery
 * @param cpuSeconds CPU time of this process plus any external server over the round
 */
record RoundResult(long sent, long delivered, long expected, double seconds, double cpuSeconds) {
    double deliveriesPerSecond() {
        return seconds > 0 ? delivered / seconds : 0;
    }

    /** CPU seconds per million deliveries. */
    double cpuPerMillion() {
        return delivered > 0 ? cpuSeconds * 1e6 / delivered : Double.NaN;
    }

    boolean complete() {
        return delivered == expected;
    }
}
