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
 * @param systems     every known system, measured or not
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

    /** One line per ratio: the deliveries/s ratio at every K, or why it is not available. */
    List<String> ratioLines() {
        List<String> lines = new ArrayList<>();
        for (Systems.Ratio r : Systems.RATIOS) {
            List<String> parts = new ArrayList<>();
            for (int k : plan.ks()) {
                Optional<ThroughputResult> a = find(r.numerator(), k);
                Optional<ThroughputResult> b = find(r.denominator(), k);
                if (a.isPresent() && b.isPresent()) {
                    parts.add("K=" + k + ": " + Format.fixed(a.get().median() / b.get().median(), 2));
                }
            }
            lines.add(r.label() + ": " + (parts.isEmpty() ? "n/a (not measured)" : String.join(", ", parts)));
        }
        return lines;
    }

    /** The table printed on standard output. */
    String text() {
        StringBuilder b = new StringBuilder();
        if (throughput.isEmpty()) {
            return connectionsText(b).append('\n').toString();
        }
        b.append("Throughput (100-byte texts, one channel; median of ").append(plan.rounds())
                .append(" rounds after ").append(plan.warmups()).append(" warm-up)\n");
        String fmt = "%-14s %4s %10s %21s %10s %27s  %s%n";
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
        if (!throughput.isEmpty()) {
            b.append("\nRatios (deliveries/s)\n");
            for (String line : ratioLines()) {
                b.append("  ").append(line).append('\n');
            }
        }
        if (throughput.stream().anyMatch(t -> t.latency() != null)) {
            b.append("\nLatency at 50% of each system's peak (from intended send time)\n");
            String lf = "%-14s %4s %10s %9s %9s %9s %9s %19s  %s%n";
            b.append(String.format(lf, "system", "K", "msgs/s", "p50", "p99", "p99.9", "max", "delivered/expected", "GC"));
            for (ThroughputResult t : throughput) {
                LatencyResult l = t.latency();
                if (l != null) {
                    b.append(String.format(lf, t.system(), t.k(), Format.rate(l.offeredPerSecond()),
                            Format.micros(l.p50Micros()), Format.micros(l.p99Micros()), Format.micros(l.p999Micros()),
                            Format.micros(l.maxMicros()), l.delivered() + "/" + l.expected(), l.gc().describe()));
                }
            }
        }
        connectionsText(b);
        for (BenchSystem s : systems) {
            if (!s.measurable()) {
                b.append("\nnote: ").append(s.name()).append(": ").append(s.unavailable());
            }
        }
        b.append('\n');
        return b.toString();
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
