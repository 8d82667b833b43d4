package org.parley.bench;

import java.util.List;

/**
 * Latency at a fixed offered rate: send-to-receive percentiles in microseconds, each the median
 * of the rounds' own, with the range of p99 over the rounds and the collections the JVM ran
 * meanwhile.
 *
 * <p>Times are measured from each message's intended send time, so a stalled sender shows up as
 * latency instead of hiding it (no coordinated omission).
 *
 * @param rounds       latency rounds, each with a histogram of its own
 * @param sent         messages over all rounds (so delivered and expected)
 * @param maxMicros    the largest latency of any round
 * @param p99MinMicros the lowest p99 of a round
 * @param p99MaxMicros the highest p99 of a round
 */
record LatencyResult(double offeredPerSecond, int rounds, long sent, long delivered, long expected,
                     double p50Micros, double p99Micros, double p999Micros, double maxMicros,
                     double p99MinMicros, double p99MaxMicros, GcWatch.Pauses gc) {

    /** One round's figures, in microseconds. */
    record Round(long sent, long delivered, long expected, double p50, double p99, double p999, double max) {
    }

    /** The medians of {@code rounds} (at least one), their sums and extremes. */
    static LatencyResult of(double offeredPerSecond, List<Round> rounds, GcWatch.Pauses gc) {
        return new LatencyResult(offeredPerSecond, rounds.size(),
                rounds.stream().mapToLong(Round::sent).sum(),
                rounds.stream().mapToLong(Round::delivered).sum(),
                rounds.stream().mapToLong(Round::expected).sum(),
                ThroughputResult.medianOf(rounds.stream().map(Round::p50).toList()),
                ThroughputResult.medianOf(rounds.stream().map(Round::p99).toList()),
                ThroughputResult.medianOf(rounds.stream().map(Round::p999).toList()),
                rounds.stream().mapToDouble(Round::max).max().orElse(Double.NaN),
                rounds.stream().mapToDouble(Round::p99).min().orElse(Double.NaN),
                rounds.stream().mapToDouble(Round::p99).max().orElse(Double.NaN), gc);
    }
}
