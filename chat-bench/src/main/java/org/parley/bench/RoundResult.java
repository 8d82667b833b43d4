package org.parley.bench;

/**
 * One measured round: what was sent, what arrived, how long it took and what CPU it cost.
 *
 * @param sent                 messages posted
 * @param delivered            deliveries received (a message to K subscribers is K deliveries)
 * @param expected             sent × K
 * @param seconds              from the first send to the last delivery
 * @param cpuSeconds           CPU time of this process plus any external server over the round
 * @param serverCpuSeconds     CPU time of the external server alone, or NaN when the server runs in this JVM
 * @param subscriberCpuSeconds CPU time of the K subscribers' threads alone, or NaN where they are not told apart
 */
record RoundResult(long sent, long delivered, long expected, double seconds, double cpuSeconds,
                   double serverCpuSeconds, double subscriberCpuSeconds) {

    /** A round whose CPU time is not told apart by side. */
    RoundResult(long sent, long delivered, long expected, double seconds, double cpuSeconds) {
        this(sent, delivered, expected, seconds, cpuSeconds, Double.NaN, Double.NaN);
    }

    double deliveriesPerSecond() {
        return seconds > 0 ? delivered / seconds : 0;
    }

    /** CPU seconds per million deliveries. */
    double cpuPerMillion() {
        return perMillion(cpuSeconds);
    }

    /** The external server's CPU seconds per million deliveries; NaN without one. */
    double serverCpuPerMillion() {
        return perMillion(serverCpuSeconds);
    }

    /** The subscribers' CPU seconds per million deliveries; NaN where not told apart. */
    double subscriberCpuPerMillion() {
        return perMillion(subscriberCpuSeconds);
    }

    /** The external server's CPU microseconds per message posted; NaN without one. */
    double serverCpuMicrosPerPost() {
        return sent > 0 ? serverCpuSeconds * 1e6 / sent : Double.NaN;
    }

    /** The subscribers' CPU microseconds per delivery; NaN where not told apart. */
    double subscriberCpuMicrosPerDelivery() {
        return delivered > 0 ? subscriberCpuSeconds * 1e6 / delivered : Double.NaN;
    }

    private double perMillion(double cpu) {
        return delivered > 0 ? cpu * 1e6 / delivered : Double.NaN;
    }

    boolean complete() {
        return delivered == expected;
    }
}
