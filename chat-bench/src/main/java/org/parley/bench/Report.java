package org.parley.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything one run measured, and the views of it: the text table, the ratio lines and the
 * markdown page.
 *
 * @param plan        what was asked for
 * @param machine     where it ran
 * @param date        when it started
 * @param seconds     how long the run took
 * @param systems     the systems this run selected, measured or not
 * @param throughput  one entry per system and K (measured or with a note)
 * @param connections the connection benchmark, one result per server; empty when not run
 */
record Report(BenchPlan plan, Machine machine, Instant date, double seconds, List<BenchSystem> systems,
              List<ThroughputResult> throughput, List<ConnectionResult> connections) {
    Report {
        systems = List.copyOf(systems);
        throughput = List.copyOf(throughput);
        connections = List.copyOf(connections);
    }

    /** The connection result of the server whose name starts with {@code server}. */
    Optional<ConnectionResult> connection(String server) {
        return connections.stream().filter(c -> c.server().startsWith(server)).findFirst();
    }

    Optional<ThroughputResult> find(String system, int k) {
        return throughput.stream().filter(t -> t.system().equals(system) && t.k() == k && t.measured()).findFirst();
    }

    /**
     * One line per ratio of two systems this run selected: the deliveries/s ratio at every K, or
     * why it is not available.
     */
    List<String> ratioLines() {
        return ratioLines(List.of(Systems.Figure.DELIVERIES));
    }

    /** The same for the CPU a side spends per delivery: the server's, the subscribers'. */
    List<String> cpuRatioLines() {
        return ratioLines(List.of(Systems.Figure.SERVER_CPU, Systems.Figure.SUBSCRIBER_CPU));
    }

    /** The same for the figures at fixed rates, at each K that had them; none when no fixed rate was run. */
    List<String> rateRatioLines() {
        boolean any = throughput.stream().anyMatch(t -> !t.fixedRates().isEmpty());
        return any ? ratioLines(List.of(Systems.Figure.P99, Systems.Figure.SERVER_CPU_PER_POST,
                Systems.Figure.SUBSCRIBER_CPU_AT_RATES)) : List.of();
    }

    private List<String> ratioLines(List<Systems.Figure> figures) {
        List<String> lines = new ArrayList<>();
        List<String> selected = systems.stream().map(BenchSystem::name).toList();
        for (Systems.Ratio r : Systems.RATIOS) {
            if (!figures.contains(r.figure()) || !selected.contains(r.numerator()) || !selected.contains(r.denominator())) {
                continue;
            }
            if (!r.figure().atRates) {
                List<String> parts = new ArrayList<>();
                for (int k : plan.ks()) {
                    double ratio = ratio(r, k);
                    if (!Double.isNaN(ratio)) {
                        parts.add("K=" + k + ": " + Format.fixed(ratio, 2));
                    }
                }
                String figure = r.figure() == Systems.Figure.DELIVERIES ? "" : ", " + r.figure().label;
                lines.add(r.label() + figure + ": " + (parts.isEmpty() ? "n/a (not measured)" : String.join(", ", parts)));
                continue;
            }
            for (int k : plan.fixedRates().ks()) {
                List<String> parts = new ArrayList<>();
                for (int rate : plan.fixedRates().rates()) {
                    double ratio = ratio(r, k, rate);
                    if (!Double.isNaN(ratio)) {
                        parts.add(Format.count(rate) + "/s: " + Format.fixed(ratio, 2));
                    }
                }
                lines.add(r.label() + ", " + r.figure().label + " at K=" + k + ": "
                        + (parts.isEmpty() ? "n/a (not measured)" : String.join(", ", parts)));
            }
        }
        return lines;
    }

    /** A per-K figure of one system's row at K; NaN when not measured. */
    private double figure(Systems.Figure f, String system, int k) {
        Optional<ThroughputResult> t = find(system, k);
        if (t.isEmpty()) {
            return Double.NaN;
        }
        return switch (f) {
            case DELIVERIES -> t.get().median();
            case SERVER_CPU -> t.get().medianServerCpuPerMillion();
            case SUBSCRIBER_CPU -> t.get().medianSubscriberCpuPerMillion();
            default -> throw new IllegalArgumentException(f + " is read at fixed rates");
        };
    }

    /** A figure at a fixed rate of one system's row at K; NaN when not measured. */
    private double figure(Systems.Figure f, String system, int k, int rate) {
        Optional<LatencyResult> l = find(system, k).flatMap(t -> t.atRate(rate));
        if (l.isEmpty()) {
            return Double.NaN;
        }
        return switch (f) {
            case P99 -> l.get().p99Micros();
            case SERVER_CPU_PER_POST -> l.get().serverCpuMicrosPerPost();
            case SUBSCRIBER_CPU_AT_RATES -> l.get().subscriberCpuMicrosPerDelivery();
            default -> throw new IllegalArgumentException(f + " is read at each K");
        };
    }

    private double ratio(Systems.Ratio r, int k) {
        return figure(r.figure(), r.numerator(), k) / figure(r.figure(), r.denominator(), k);
    }

    private double ratio(Systems.Ratio r, int k, int rate) {
        return figure(r.figure(), r.numerator(), k, rate) / figure(r.figure(), r.denominator(), k, rate);
    }

    /** The K at which the targets are stated. */
    static final int TARGET_K = 10;

    /**
     * The targets, one line each: "met", "MISSED" or "not measured", what was asked and
     * what was measured. Computed from this run's figures, never written by hand.
     */
    List<String> targetLines() {
        List<String> lines = new ArrayList<>();
        ratioTarget(lines, Systems.PARLEY_ZMQ, Systems.RAW_JEROMQ, 0.5);
        ratioTarget(lines, Systems.PARLEY_TCP, Systems.REDIS, 1.0);
        ratioTarget(lines, Systems.PARLEY_TCP, Systems.NATS, 0.5);
        for (String system : List.of(Systems.PARLEY_ZMQ, Systems.PARLEY_TCP)) {
            String asked = system + " p99 latency at 50% load (K=" + TARGET_K + ") under 2 ms";
            Optional<LatencyResult> l = find(system, TARGET_K).map(ThroughputResult::latency);
            lines.add(l.isEmpty() ? "not measured: " + asked
                    : verdict(l.get().p99Micros() < 2_000) + asked + ": " + Format.micros(l.get().p99Micros())
                    + (l.get().rounds().size() > 1 ? " (median of " + l.get().rounds().size() + " rounds, "
                            + Format.micros(l.get().p99MinMicros()) + " to " + Format.micros(l.get().p99MaxMicros()) + ")"
                            : ""));
        }
        cpuTarget(lines, Systems.Figure.SUBSCRIBER_CPU, "Parley ZeroMQ client library's CPU per delivery",
                Systems.PARLEY_ZMQ_CLIENT, Systems.JACKSON_CLIENT, "the plain Jackson client's", 1.3);
        ratioTarget(lines, Systems.PARLEY_ZMQ_SERVER, Systems.RAW_JSON_RELAY, 0.9);
        rateTarget(lines, Systems.Figure.SERVER_CPU_PER_POST, "Parley ZeroMQ server's CPU per post",
                Systems.PARLEY_ZMQ_SERVER, Systems.PARLEY_TCP_SERVER, "the TCP topic server's", 100, 2.0);
        rateTarget(lines, Systems.Figure.P99, "Parley ZeroMQ server's p99 (light clients)",
                Systems.PARLEY_ZMQ_SERVER, Systems.RAW_JSON_RELAY, "the raw JSON relay's", 1_000, 1.5);
        rateTarget(lines, Systems.Figure.P99, "Parley ZeroMQ's p99 (its own clients)",
                Systems.PARLEY_ZMQ, Systems.RAW_JEROMQ_RELAY, "the raw JeroMQ relay's", 1_000, 1.5);
        Optional<ConnectionResult> c = connection(ConnectionBench.PARLEY);
        String heap = "the Parley topic server holds 10000 clients with under 16 KiB of heap each";
        if (c.isEmpty() || Double.isNaN(c.get().heapPerConnection()) || c.get().delivered() < c.get().expected()) {
            lines.add("not measured: " + heap);
        } else {
            ConnectionResult r = c.get();
            lines.add(verdict(r.connections() >= 10_000 && r.heapPerConnection() < 16 * 1024) + heap + ": "
                    + r.connections() + " clients, " + Format.bytes(r.heapPerConnection()) + " each");
        }
        long lost = 0;
        long expected = 0;
        for (ThroughputResult t : throughput) {
            if (t.system().startsWith("Parley") && t.measured()) {
                lost += t.expected() - t.delivered();
                expected += t.expected();
                List<LatencyResult> latencies = new ArrayList<>(t.fixedRates());
                if (t.latency() != null) {
                    latencies.add(t.latency());
                }
                for (LatencyResult l : latencies) {
                    lost += l.expected() - l.delivered();
                    expected += l.expected();
                }
            }
        }
        String loss = "no message lost by a subscriber that keeps up (every Parley run)";
        lines.add(expected == 0 ? "not measured: " + loss
                : verdict(lost == 0) + loss + ": " + lost + " of " + expected + " deliveries missing");
        return lines;
    }

    private void ratioTarget(List<String> lines, String numerator, String denominator, double atLeast) {
        String asked = numerator + " / " + denominator + " at K=" + TARGET_K + " at least " + Format.fixed(atLeast, 1);
        Optional<ThroughputResult> a = find(numerator, TARGET_K);
        Optional<ThroughputResult> b = find(denominator, TARGET_K);
        if (a.isEmpty() || b.isEmpty()) {
            lines.add("not measured: " + asked + howToMeasure(null, numerator, denominator));
            return;
        }
        double ratio = a.get().median() / b.get().median();
        lines.add(verdict(ratio >= atLeast) + asked + ": " + Format.fixed(ratio, 2) + " ("
                + Format.rate(a.get().median()) + " / " + Format.rate(b.get().median()) + " deliveries/s)");
    }

    /** A target on a per-K CPU figure: {@code numerator}'s at most {@code atMost} times {@code denominator}'s. */
    private void cpuTarget(List<String> lines, Systems.Figure f, String what, String numerator, String denominator,
                           String theirs, double atMost) {
        String asked = what + " at K=" + TARGET_K + " at most " + Format.fixed(atMost, 1) + "x " + theirs;
        double a = figure(f, numerator, TARGET_K);
        double b = figure(f, denominator, TARGET_K);
        if (Double.isNaN(a) || Double.isNaN(b)) {
            lines.add("not measured: " + asked + howToMeasure(null, numerator, denominator));
            return;
        }
        lines.add(verdict(a / b <= atMost) + asked + ": " + Format.fixed(a / b, 2) + "x (" + Format.fixed(a, 2)
                + " / " + Format.fixed(b, 2) + " CPU s per million deliveries)");
    }

    /** A target on a figure at a fixed rate: {@code numerator}'s at most {@code atMost} times {@code denominator}'s. */
    private void rateTarget(List<String> lines, Systems.Figure f, String what, String numerator, String denominator,
                            String theirs, int rate, double atMost) {
        String asked = what + " at " + Format.count(rate) + " msgs/s (K=" + TARGET_K + ") at most "
                + Format.fixed(atMost, 1) + "x " + theirs;
        double a = figure(f, numerator, TARGET_K, rate);
        double b = figure(f, denominator, TARGET_K, rate);
        if (Double.isNaN(a) || Double.isNaN(b)) {
            lines.add("not measured: " + asked + howToMeasure(BenchPlan.FixedRates.KIND, numerator, denominator));
            return;
        }
        lines.add(verdict(a / b <= atMost) + asked + ": " + Format.fixed(a / b, 2) + "x (" + Format.micros(a) + " / "
                + Format.micros(b) + (f == Systems.Figure.SERVER_CPU_PER_POST ? " per post" : "") + ")");
    }

    /**
     * " (--only a,b[,kind])": the ids that measure the systems named and a kind measured only on
     * request (or null), when one of them is measured only on request; else "".
     */
    private static String howToMeasure(String kind, String... names) {
        List<BenchSystem> named = Systems.all().stream().filter(s -> List.of(names).contains(s.name())).toList();
        if (kind == null && named.stream().noneMatch(BenchSystem::onRequest)) {
            return "";
        }
        List<String> ids = new ArrayList<>(named.stream().map(BenchSystem::id).toList());
        if (kind != null) {
            ids.add(kind);
        }
        return " (--only " + String.join(",", ids) + ")";
    }

    private static String verdict(boolean met) {
        return met ? "met: " : "MISSED: ";
    }

    /** The width of the tables' system column: the longest name of the run's, at least 16. */
    private int nameWidth() {
        return Math.max(16, throughput.stream().mapToInt(t -> t.system().length()).max().orElse(0));
    }

    /** The table printed on standard output. */
    String text() {
        StringBuilder b = new StringBuilder();
        if (throughput.isEmpty()) {
            return connectionsText(b).append('\n').toString();
        }
        b.append("Throughput (100-byte texts, one channel; median of ").append(plan.rounds())
                .append(" rounds after ").append(plan.warmups()).append(" warm-up)\n");
        String fmt = "%-" + nameWidth() + "s %4s %10s %21s %10s %27s  %s%n";
        b.append(String.format(fmt, "system", "K", "deliv/s", "min - max", "CPU s/M", "delivered/expected (sent)", "note"));
        for (ThroughputResult t : throughput) {
            if (!t.measured()) {
                b.append(String.format(fmt, t.system(), t.k(), "-", "-", "-", "-", t.note()));
                continue;
            }
            b.append(String.format(fmt, t.system(), t.k(), Format.rate(t.median()),
                    Format.rate(t.min()) + " - " + Format.rate(t.max()), Format.fixed(t.medianCpuPerMillion(), 2),
                    t.delivered() + "/" + t.expected() + " (" + t.sent() + ")", t.note() == null ? "" : t.note()));
        }
        section(b, "Ratios (deliveries/s)", ratioLines());
        section(b, "Ratios (CPU per delivery, lower is better)", cpuRatioLines());
        b.append("\nTargets\n");
        for (String line : targetLines()) {
            b.append("  ").append(line).append('\n');
        }
        if (throughput.stream().anyMatch(t -> t.latency() != null)) {
            b.append("\nLatency at 50% of each system's peak (from intended send time; medians of ")
                    .append(plan.rounds()).append(" rounds, p99 with its range)\n");
            String lf = "%-" + nameWidth() + "s %4s %10s %9s %9s %21s %9s %9s %19s  %s%n";
            b.append(String.format(lf, "system", "K", "msgs/s", "p50", "p99", "p99 min - max", "p99.9", "max",
                    "delivered/expected", "GC"));
            for (ThroughputResult t : throughput) {
                LatencyResult l = t.latency();
                if (l != null) {
                    b.append(String.format(lf, t.system(), t.k(), Format.rate(l.offeredPerSecond()),
                            Format.micros(l.p50Micros()), Format.micros(l.p99Micros()),
                            Format.micros(l.p99MinMicros()) + " - " + Format.micros(l.p99MaxMicros()),
                            Format.micros(l.p999Micros()),
                            Format.micros(l.maxMicros()), l.delivered() + "/" + l.expected(), l.gc().describe()));
                }
            }
        }
        bySideText(b);
        fixedRatesText(b);
        connectionsText(b);
        for (BenchSystem s : systems) {
            if (!s.measurable()) {
                b.append("\nnote: ").append(s.name()).append(": ").append(s.unavailable());
            }
        }
        b.append('\n');
        return b.toString();
    }

    /** The rows whose server or subscribers have CPU figures of their own. */
    List<ThroughputResult> bySide() {
        return throughput.stream().filter(t -> t.measured()
                && !(Double.isNaN(t.medianServerCpuPerMillion()) && Double.isNaN(t.medianSubscriberCpuPerMillion())))
                .toList();
    }

    private void bySideText(StringBuilder b) {
        List<ThroughputResult> rows = bySide();
        if (rows.isEmpty()) {
            return;
        }
        b.append("\nCPU by side (CPU s per million deliveries, medians of the throughput rounds; server: its own process, "
                + "subscribers: their threads alone)\n");
        String fmt = "%-" + nameWidth() + "s %4s %10s %12s %16s%n";
        b.append(String.format(fmt, "system", "K", "deliv/s", "server s/M", "subscribers s/M"));
        for (ThroughputResult t : rows) {
            b.append(String.format(fmt, t.system(), t.k(), Format.rate(t.median()),
                    Format.fixed(t.medianServerCpuPerMillion(), 2), Format.fixed(t.medianSubscriberCpuPerMillion(), 2)));
        }
    }

    private void fixedRatesText(StringBuilder b) {
        if (throughput.stream().allMatch(t -> t.fixedRates().isEmpty())) {
            return;
        }
        b.append("\nLatency at fixed rates (from intended send time; medians of ").append(plan.rounds())
                .append(" rounds of ").append(Format.fixed(plan.fixedRates().roundSeconds(), 1))
                .append(" s at each rate, p99 with its range; CPU per post of a server that is its own process, "
                + "per delivery of subscribers told apart)\n");
        String lf = "%-" + nameWidth() + "s %4s %8s %9s %9s %21s %9s %9s %19s %12s %12s  %s%n";
        b.append(String.format(lf, "system", "K", "msgs/s", "p50", "p99", "p99 min - max", "p99.9", "max",
                "delivered/expected", "server/post", "subs/deliv", "GC"));
        for (ThroughputResult t : throughput) {
            for (LatencyResult l : t.fixedRates()) {
                b.append(String.format(lf, t.system(), t.k(), Format.count((long) l.offeredPerSecond()),
                        Format.micros(l.p50Micros()), Format.micros(l.p99Micros()),
                        Format.micros(l.p99MinMicros()) + " - " + Format.micros(l.p99MaxMicros()),
                        Format.micros(l.p999Micros()), Format.micros(l.maxMicros()), l.delivered() + "/" + l.expected(),
                        Format.micros(l.serverCpuMicrosPerPost()), Format.micros(l.subscriberCpuMicrosPerDelivery()),
                        l.gc().describe()));
            }
        }
        section(b, "Ratios at fixed rates (lower is better)", rateRatioLines());
    }

    /** A titled list of indented lines; nothing when there are none. */
    private static void section(StringBuilder b, String title, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        b.append('\n').append(title).append('\n');
        for (String line : lines) {
            b.append("  ").append(line).append('\n');
        }
    }

    private StringBuilder connectionsText(StringBuilder b) {
        if (!connections.isEmpty()) {
            b.append("\nConnections (server and load generator in separate processes)\n");
        }
        for (ConnectionResult c : connections) {
            b.append("  server: ").append(c.server()).append('\n');
            b.append("  registered clients: ").append(c.connections()).append('\n');
            if (c.note() != null) {
                b.append("  note: ").append(c.note()).append('\n');
            }
            b.append("  RSS: ").append(Format.bytes(c.rssBefore())).append(" -> ").append(Format.bytes(c.rssAfter()))
                    .append(", per connection ").append(Format.bytes(c.rssPerConnection())).append('\n');
            b.append("  heap after GC: ").append(Format.bytes(c.heapBefore())).append(" -> ")
                    .append(Format.bytes(c.heapAfter())).append(", per connection ")
                    .append(Format.bytes(c.heapPerConnection())).append('\n');
            b.append("  fan-out of one message to all: median ").append(Format.fixed(c.medianMillis(), 2))
                    .append(" ms (min ").append(Format.fixed(c.minMillis(), 2)).append(", max ")
                    .append(Format.fixed(c.maxMillis(), 2)).append("), delivered ").append(c.delivered())
                    .append('/').append(c.expected()).append('\n');
        }
        return b;
    }
}
