package org.parley.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * How much to measure: rounds, sizes, which K, which scenarios, where to write.
 *
 * @param name               "full", "quick" or "smoke"
 * @param warmups            unmeasured rounds before the measured ones
 * @param rounds             measured rounds (the issue asks for at least five)
 * @param ks                 subscriber counts to measure
 * @param deliveriesPerRound target deliveries in one round (messages = this / K)
 * @param minMessages        lower bound on messages in one round
 * @param roundSeconds       upper bound on a measured round, in seconds at its warm-up's rate
 * @param latencySeconds     length of each latency run
 * @param latencyKs          K values that get a latency run
 * @param fixedRates         the latency runs at fixed rates ({@code --only fixed-rates})
 * @param connections        clients the connection benchmark registers
 * @param fanoutRounds       measured fan-outs to all connections
 * @param only               scenario or system ids to run; empty means all
 * @param alternate          whether the systems of one K take their rounds in turn ({@code --alternate})
 * @param out                markdown file to write, or null
 * @param serverCommand      command that starts the server of the connection benchmark ({port} replaced); empty means the baseline
 * @param command            the command line, as the report shows it
 */
record BenchPlan(String name, int warmups, int rounds, List<Integer> ks, long deliveriesPerRound, long minMessages,
                 double roundSeconds, double latencySeconds, List<Integer> latencyKs, FixedRates fixedRates,
                 int connections, int fanoutRounds, Set<String> only, boolean alternate, Path out,
                 List<String> serverCommand, String command) {

    /** Scenario kinds that {@code --only} accepts besides system ids. */
    static final List<String> KINDS = List.of("throughput", "latency", "connections", FixedRates.KIND);

    /** Kinds measured only when {@code --only} names them, as some systems are. */
    static final Set<String> ON_REQUEST_KINDS = Set.of(FixedRates.KIND);

    /**
     * Latency at fixed offered rates, the same for every system (where the latency kind offers
     * half of each system's own peak): {@link BenchPlan#rounds()} rounds of {@code roundSeconds}
     * at each rate, the rounds of each rate in a row.
     *
     * @param rates        messages per second
     * @param ks           K values that get them
     * @param roundSeconds length of one round
     */
    record FixedRates(List<Integer> rates, List<Integer> ks, double roundSeconds) {
        static final String KIND = "fixed-rates";

        FixedRates {
            rates = List.copyOf(rates);
            ks = List.copyOf(ks);
            if (rates.stream().anyMatch(r -> r < 1) || !(roundSeconds > 0)) {
                throw new IllegalArgumentException("rates " + rates + " must be >= 1 and round seconds " + roundSeconds + " > 0");
            }
        }

        /**
         * Messages in one round at {@code rate} messages/s: {@code roundSeconds} of them, and at
         * least one per posting client, so that every client sends.
         */
        long messagesPerRound(int rate, int publishers) {
            return Math.max(publishers, Math.round(rate * roundSeconds));
        }
    }

    BenchPlan {
        if (warmups < 0 || rounds < 1 || !(roundSeconds > 0)) {
            throw new IllegalArgumentException("rounds " + rounds + " must be >= 1, warm-ups " + warmups
                    + " >= 0 and round seconds " + roundSeconds + " > 0");
        }
        ks = List.copyOf(ks);
        latencyKs = List.copyOf(latencyKs);
        only = Set.copyOf(only);
        serverCommand = List.copyOf(serverCommand);
    }

    /** The rates of {@code --only fixed-rates}: ten times apart, from an idle channel to a busy one. */
    static final List<Integer> FIXED_RATES = List.of(100, 1_000, 10_000);

    /**
     * The full run: under ten minutes on two cores. One warm-up round of 2.5 million deliveries
     * is enough for the JIT; a second one took a seventh of the run (597 s with two), mostly on the
     * slowest system at K=1. A measured round is also bounded at 10 s of the warm-up's rate, which
     * cuts only the slowest systems' rounds; why 10 and not 4 is in the findings ("The harness").
     */
    static BenchPlan full() {
        return new BenchPlan("full", 1, 5, List.of(1, 10, 100), 2_500_000, 5_000,
                10.0, 3.0, List.of(1, 10, 100), new FixedRates(FIXED_RATES, List.of(Report.TARGET_K), 2.0),
                10_000, 7, Set.of(), false, null, List.of(), "bin/bench");
    }

    /**
     * The quick run: under a minute on two cores. Its rounds are bounded at 2 s: Parley ZeroMQ at
     * K=1, still compiling, took a third of the minute with rounds of full size. A fixed rate's
     * rounds last 1 s: at 100 messages/s, 100 posts a round.
     */
    static BenchPlan quick() {
        return new BenchPlan("quick", 1, 5, List.of(1, 10, 100), 150_000, 1_000,
                2.0, 0.5, List.of(10), new FixedRates(FIXED_RATES, List.of(Report.TARGET_K), 1.0),
                1_000, 5, Set.of(), false, null, List.of(), "bin/bench --quick");
    }

    /** The smallest run that still goes through every step: for the test that keeps the harness alive. */
    static BenchPlan smoke() {
        return new BenchPlan("smoke", 0, 1, List.of(1), 2_000, 500,
                2.0, 0.2, List.of(1), new FixedRates(List.of(500), List.of(1), 0.2), 50, 1,
                Set.of("raw-jeromq", "raw-jeromq-relay", "parley-zmq", "raw-nio", "parley-tcp", "throughput", "latency",
                        "connections"),
                false, null, List.of(), "smoke test");
    }

    BenchPlan withOnly(Set<String> ids) {
        return new BenchPlan(name, warmups, rounds, ks, deliveriesPerRound, minMessages, roundSeconds, latencySeconds,
                latencyKs, fixedRates, connections, fanoutRounds, ids, alternate, out, serverCommand, command);
    }

    /** Only these subscriber counts (throughput and latency alike), in the order given. */
    BenchPlan withKs(List<Integer> chosen) {
        List<Integer> latency = latencyKs.stream().filter(chosen::contains).toList();
        FixedRates rates = new FixedRates(fixedRates.rates(), fixedRates.ks().stream().filter(chosen::contains).toList(),
                fixedRates.roundSeconds());
        return new BenchPlan(name, warmups, rounds, chosen, deliveriesPerRound, minMessages, roundSeconds, latencySeconds,
                latency, rates, connections, fanoutRounds, only, alternate, out, serverCommand, command);
    }

    BenchPlan withOut(Path file) {
        return new BenchPlan(name, warmups, rounds, ks, deliveriesPerRound, minMessages, roundSeconds, latencySeconds,
                latencyKs, fixedRates, connections, fanoutRounds, only, alternate, file, serverCommand, command);
    }

    BenchPlan withConnections(int n, List<String> server) {
        return new BenchPlan(name, warmups, rounds, ks, deliveriesPerRound, minMessages, roundSeconds, latencySeconds,
                latencyKs, fixedRates, n, fanoutRounds, only, alternate, out, server, command);
    }

    BenchPlan withCommand(String line) {
        return new BenchPlan(name, warmups, rounds, ks, deliveriesPerRound, minMessages, roundSeconds, latencySeconds,
                latencyKs, fixedRates, connections, fanoutRounds, only, alternate, out, serverCommand, line);
    }

    /** The systems of one K set up together, their rounds taken in turn. */
    BenchPlan withAlternation(boolean on) {
        return new BenchPlan(name, warmups, rounds, ks, deliveriesPerRound, minMessages, roundSeconds, latencySeconds,
                latencyKs, fixedRates, connections, fanoutRounds, only, on, out, serverCommand, command);
    }

    /**
     * Whether a scenario kind runs: {@code --only} names kinds, systems, or both. A kind measured
     * on request runs only when named.
     */
    boolean runsKind(String kind) {
        boolean anyKind = only.stream().anyMatch(KINDS::contains);
        if (!anyKind) {
            // Only systems named: throughput and latency of those systems, no connection benchmark.
            return !ON_REQUEST_KINDS.contains(kind) && (only.isEmpty() || !"connections".equals(kind));
        }
        return only.contains(kind);
    }

    /** Whether a system (by id) runs. */
    boolean runsSystem(String id) {
        boolean anySystem = only.stream().anyMatch(s -> !KINDS.contains(s));
        return !anySystem || only.contains(id);
    }

    /** The fixed rates K gets: those of {@link FixedRates} when that kind runs and K is one of its, else none. */
    List<Integer> fixedRatesAt(int k) {
        return runsKind(FixedRates.KIND) && fixedRates.ks().contains(k) ? fixedRates.rates() : List.of();
    }

    /** How long each latency round lasts: the rounds share {@link #latencySeconds}. */
    double latencyRoundSeconds() {
        return latencySeconds / rounds;
    }

    long messagesPerRound(int k) {
        return Math.max(minMessages, deliveriesPerRound / k);
    }
}
