package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The targets of the servers apart from their clients, computed from a run's figures: made-up ones here. */
class TargetsTest {
    private static final int K = Report.TARGET_K;

    @Test
    void eachTargetIsMetOrMissedByTheRunsOwnRatios() {
        List<ThroughputResult> rows = List.of(
                // deliveries/s 950k against 1M: 0.95 of the relay, at least 0.9 asked
                row(Systems.PARLEY_ZMQ_SERVER, 950_000, 3.0, 0.5, List.of(rate(100, 2_000, 500), rate(1_000, 3_000, 100))),
                row(Systems.RAW_JSON_RELAY, 1_000_000, 1.0, 0.5, List.of(rate(100, 1_000, 90), rate(1_000, 1_000, 20))),
                row(Systems.PARLEY_TCP_SERVER, 2_000_000, 0.5, Double.NaN, List.of(rate(100, 800, 200), rate(1_000, 900, 50))),
                // subscribers' CPU 2.5 against 1.0 s per million deliveries
                row(Systems.PARLEY_ZMQ_CLIENT, 200_000, 3.0, 2.5, List.of()),
                row(Systems.JACKSON_CLIENT, 250_000, 3.0, 1.0, List.of()));
        Report r = report(rows);
        List<String> lines = r.targetLines();

        assertHas(lines, "MISSED: Parley ZeroMQ client library's CPU per delivery at K=10 at most 1.3x the plain "
                + "Jackson client's: 2.50x (2.50 / 1.00 CPU s per million deliveries)");
        assertHas(lines, "met: Parley ZeroMQ server / raw JSON relay at K=10 at least 0.9: 0.95 (950.0k / 1.00M "
                + "deliveries/s)");
        assertHas(lines, "MISSED: Parley ZeroMQ server's CPU per post at 100 msgs/s (K=10) at most 2.0x the TCP "
                + "topic server's: 2.50x (500 µs / 200 µs per post)");
        assertHas(lines, "MISSED: Parley ZeroMQ server's p99 (light clients) at 1,000 msgs/s (K=10) at most 1.5x "
                + "the raw JSON relay's: 3.00x (3.00 ms / 1.00 ms)");
        assertHas(lines, "not measured: Parley ZeroMQ's p99 (its own clients) at 1,000 msgs/s (K=10) at most 1.5x "
                + "the raw JeroMQ relay's (--only parley-zmq,raw-jeromq-relay,fixed-rates)");
        // the Parley rows: two servers with 5 rounds of 10,000 and fixed rates of 5 x 1,000 and 5 x 10,000; one client
        assertHas(lines, "met: no message lost by a subscriber that keeps up (every Parley run): 0 of 260000 "
                + "deliveries missing");

        assertEquals(List.of("Parley ZeroMQ server / raw JSON relay, server CPU per delivery: K=10: 3.00",
                "Parley ZeroMQ client / plain Jackson client, subscribers' CPU per delivery: K=10: 2.50"), r.cpuRatioLines());
        assertEquals(List.of("Parley ZeroMQ server / raw JSON relay, p99 at K=10: 100/s: 2.00, 1,000/s: 3.00",
                "Parley ZeroMQ server / Parley TCP server, server CPU per post at K=10: 100/s: 2.50, 1,000/s: 2.00",
                "Parley ZeroMQ client / plain Jackson client, subscribers' CPU per delivery at K=10: n/a (not measured)"),
                r.rateRatioLines(), "the rates a run did not measure are left out");
    }

    @Test
    void aMessageLostAtAFixedRateMissesTheLossTarget() {
        LatencyResult.Round lossy = new LatencyResult.Round(
                new RoundResult(100, 100 * K - 3, 100 * K, 1.0, 0.1, 0.05, Double.NaN), 100, 1_000, 2_000, 3_000);
        ThroughputResult t = new ThroughputResult(Systems.PARLEY_ZMQ_SERVER, K, rounds(1_000, 1.0, Double.NaN), null,
                List.of(new LatencyResult(100, List.of(lossy), GcWatch.Pauses.NONE)), null);
        List<String> lines = report(List.of(t)).targetLines();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("MISSED: no message lost") && l.contains(": 3 of ")),
                lines.toString());
    }

    private static void assertHas(List<String> lines, String line) {
        assertTrue(lines.contains(line), lines.toString());
    }

    /** A report of the run that selected every system these rows name. */
    private static Report report(List<ThroughputResult> rows) {
        Set<String> only = new HashSet<>(Systems.SERVERS_ALONE);
        only.add("fixed-rates");
        BenchPlan plan = BenchPlan.quick().withOnly(only).withKs(List.of(K));
        return new Report(plan, Machine.current(), Instant.now(), 0, BenchMain.systems(plan), rows, List.of());
    }

    /** Five rounds of 1,000 messages at {@code perSecond} deliveries/s, CPU as given per million deliveries. */
    private static ThroughputResult row(String system, double perSecond, double serverCpuPerMillion,
                                        double subscriberCpuPerMillion, List<LatencyResult> fixed) {
        List<RoundResult> rounds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long delivered = 1_000L * K;
            rounds.add(new RoundResult(1_000, delivered, delivered, delivered / perSecond, 1.0,
                    serverCpuPerMillion * delivered / 1e6, subscriberCpuPerMillion * delivered / 1e6));
        }
        return new ThroughputResult(system, K, rounds, null, fixed, null);
    }

    private static List<RoundResult> rounds(long messages, double serverCpu, double subscriberCpu) {
        return List.of(new RoundResult(messages, messages * K, messages * K, 1.0, 1.0, serverCpu, subscriberCpu));
    }

    /** Five rounds at {@code rate}, each of p99 {@code p99Micros} and the server's CPU per post {@code cpuMicros}. */
    private static LatencyResult rate(int rate, double p99Micros, double cpuMicros) {
        List<LatencyResult.Round> rounds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RoundResult r = new RoundResult(rate, (long) rate * K, (long) rate * K, 1.0, 1.0, cpuMicros * rate / 1e6,
                    Double.NaN);
            rounds.add(new LatencyResult.Round(r, p99Micros / 4, p99Micros, p99Micros * 2, p99Micros * 3));
        }
        return new LatencyResult(rate, rounds, GcWatch.Pauses.NONE);
    }
}
