package org.parley.bench;

/**
 * Latency at a fixed offered rate: send-to-receive percentiles in microseconds, with the
 * collections the JVM ran meanwhile.
 *
 * <p>Times are measured from each message's intended send time, so a stalled sender shows up as
 * latency instead of hiding it (no coordinated omission).
 */
record LatencyResult(double offeredPerSecond, long sent, long delivered, long expected,
                     double p50Micros, double p99Micros, double p999Micros, double maxMicros,
                     GcWatch.Pauses gc) {
}
