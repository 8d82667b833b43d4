package org.parley.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Every round of one system at one K, with its latency runs; or why it was not measured.
 *
 * @param system     display name
 * @param k          subscribers
 * @param rounds     measured rounds (warm-up excluded); empty when not measured
 * @param latency    the latency run at half the measured peak, or null
 * @param fixedRates the latency runs at fixed rates, in the plan's order; empty when not run
 * @param note       why a row is missing or partial, or null
 */
record ThroughputResult(String system, int k, List<RoundResult> rounds, LatencyResult latency,
                        List<LatencyResult> fixedRates, String note) {
    ThroughputResult {
        rounds = List.copyOf(rounds);
        fixedRates = List.copyOf(fixedRates);
    }

    /** Without fixed-rate runs. */
    ThroughputResult(String system, int k, List<RoundResult> rounds, LatencyResult latency, String note) {
        this(system, k, rounds, latency, List.of(), note);
    }

    static ThroughputResult notMeasured(String system, int k, String note) {
        return new ThroughputResult(system, k, List.of(), null, note);
    }

    /** The latency run at {@code rate} messages/s, if there was one. */
    Optional<LatencyResult> atRate(double rate) {
        return fixedRates.stream().filter(l -> l.offeredPerSecond() == rate).findFirst();
    }

    boolean measured() {
        return !rounds.isEmpty();
    }

    double median() {
        return medianOf(rounds.stream().map(RoundResult::deliveriesPerSecond).toList());
    }

    double min() {
        return rounds.stream().mapToDouble(RoundResult::deliveriesPerSecond).min().orElse(Double.NaN);
    }

    double max() {
        return rounds.stream().mapToDouble(RoundResult::deliveriesPerSecond).max().orElse(Double.NaN);
    }

    double medianCpuPerMillion() {
        return medianOf(rounds.stream().map(RoundResult::cpuPerMillion).toList());
    }

    /** The external server's CPU seconds per million deliveries, median of the rounds; NaN without one. */
    double medianServerCpuPerMillion() {
        return medianOf(rounds.stream().map(RoundResult::serverCpuPerMillion).toList());
    }

    /** The subscribers' CPU seconds per million deliveries, median of the rounds; NaN where not told apart. */
    double medianSubscriberCpuPerMillion() {
        return medianOf(rounds.stream().map(RoundResult::subscriberCpuPerMillion).toList());
    }

    long delivered() {
        return rounds.stream().mapToLong(RoundResult::delivered).sum();
    }

    long expected() {
        return rounds.stream().mapToLong(RoundResult::expected).sum();
    }

    long sent() {
        return rounds.stream().mapToLong(RoundResult::sent).sum();
    }

    static double medianOf(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Comparator.naturalOrder());
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
