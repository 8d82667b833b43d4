package org.parley.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Latency at a fixed offered rate: the latency rounds, each with send-to-receive percentiles in
 * microseconds, and the collections the JVM ran meanwhile. A figure is the median of the rounds'
 * own, as for throughput; max is the largest of all.
 *
 * <p>Times are measured from each message's intended send time, so a stalled sender shows up as
 * latency instead of hiding it (no coordinated omission).
 *
 * @param rounds the latency rounds, at least one
 */
record LatencyResult(double offeredPerSecond, List<Round> rounds, GcWatch.Pauses gc) {
    LatencyResult {
        rounds = List.copyOf(rounds);
    }

    /** One round: its counts, and its percentiles in microseconds. */
    record Round(RoundResult counts, double p50, double p99, double p999, double max) {
    }

    double p50Micros() {
        return median(Round::p50);
    }

    double p99Micros() {
        return median(Round::p99);
    }

    double p999Micros() {
        return median(Round::p999);
    }

    double maxMicros() {
        return rounds.stream().mapToDouble(Round::max).max().orElse(Double.NaN);
    }

    double p99MinMicros() {
        return rounds.stream().mapToDouble(Round::p99).min().orElse(Double.NaN);
    }

    double p99MaxMicros() {
        return rounds.stream().mapToDouble(Round::p99).max().orElse(Double.NaN);
    }

    /** The external server's CPU microseconds per message posted, median of the rounds; NaN without one. */
    double serverCpuMicrosPerPost() {
        return ThroughputResult.medianOf(rounds.stream().map(r -> r.counts().serverCpuMicrosPerPost()).toList());
    }

    /** The subscribers' CPU microseconds per delivery, median of the rounds; NaN where not told apart. */
    double subscriberCpuMicrosPerDelivery() {
        return ThroughputResult.medianOf(rounds.stream().map(r -> r.counts().subscriberCpuMicrosPerDelivery()).toList());
    }

    long delivered() {
        return rounds.stream().mapToLong(r -> r.counts().delivered()).sum();
    }

    long expected() {
        return rounds.stream().mapToLong(r -> r.counts().expected()).sum();
    }

    private double median(ToDoubleFunction<Round> figure) {
        return ThroughputResult.medianOf(rounds.stream().map(r -> figure.applyAsDouble(r)).toList());
    }
}
