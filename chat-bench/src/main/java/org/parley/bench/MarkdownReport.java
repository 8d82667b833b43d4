package org.parley.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Writes docs/BENCHMARKS.md: the machine, the date, the command, the tables, the ratios, every
 * round's figures and the chart beside it.
 *
 * <p>Thread safety: stateless.
 */
final class MarkdownReport {
    private MarkdownReport() {
    }

    /** Writes {@code report} to {@code file} and its chart to {@code chart} (referenced by file name). */
    static void write(Report report, Path file, Path chart) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.writeString(file, render(report, chart.getFileName().toString()), StandardCharsets.UTF_8);
        ThroughputChart.write(report, chart);
    }

    static String render(Report r, String chartName) {
        StringBuilder b = new StringBuilder();
        boolean parleyMissing = r.systems().stream()
                .anyMatch(s -> s.name().startsWith("Parley") && !s.measurable());
        b.append("# Parley benchmarks\n\n");
        b.append("Parley's two transports beside what they are measured against: raw JeroMQ and raw NIO (the ceilings: "
                + "the same bytes with no server logic), Redis and NATS pub/sub. Written by `bin/bench`; the targets "
                + "are checked against this run's own figures, and the findings say what was profiled and changed.\n\n");
        if (parleyMissing) {
            b.append("**Baselines only.** The Parley transports were not in this build, so their rows read "
                    + "\"not measured yet\"; the ceilings and the external systems below are what Parley will be "
                    + "compared with.\n\n");
        }
        b.append("- Command: `").append(r.plan().command()).append("` (").append(r.plan().name()).append(" run, ")
                .append(Format.fixed(r.seconds(), 0)).append(" s)\n");
        b.append("- Date: ").append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(
                r.date().atOffset(ZoneOffset.UTC).withNano(0))).append(" UTC\n");
        b.append("- Machine: ").append(r.machine().describe()).append("\n");
        for (BenchSystem s : r.systems()) {
            if (!s.version().isEmpty()) {
                b.append("- ").append(s.name()).append(": ").append(s.version()).append("\n");
            }
        }
        b.append("\nEach figure is the median of ").append(r.plan().rounds()).append(" rounds after ")
                .append(r.plan().warmups()).append(" warm-up round(s), with min and max; a round is ")
                .append(Format.rate(r.plan().deliveriesPerRound())).append(" deliveries, or fewer messages where "
                + "that would take the system longer than " + Format.fixed(r.plan().roundSeconds(), 0) + " s at its warm-up rate "
                + "(the sent column). A delivery is one message "
                + "arriving at one subscriber; a message to K subscribers is K deliveries. Posting clients keep at most "
                + Harness.WINDOW + " messages ahead of the slowest subscriber, so systems that drop on overflow are "
                + "measured at the rate they sustain; delivered/expected shows any loss. CPU is this process (clients "
                + "and any in-process server) plus the external server's, its threads' run times from /proc. The raw "
                + "ceilings send from one loop (one PUB socket, one selector thread); Redis, NATS, Parley ZeroMQ (and the raw "
                + "JeroMQ relay, when it is measured) from "
                + Systems.POSTING_CLIENTS + " pipelined posting clients, Parley TCP from "
                + ParleyTcpScenario.POSTING_CLIENTS + " (a posting topic client also receives: see Findings). Clients and servers share the same cores, "
                + "so every figure includes the clients' own cost.\n\n");

        if (!r.throughput().isEmpty()) {
            b.append("## Targets\n\nComputed from this run's figures (see the tables below and \"Findings\" for causes):\n\n");
            for (String line : r.targetLines()) {
                int colon = line.indexOf(": ");
                b.append("- **").append(line, 0, colon).append("**").append(line.substring(colon)).append('\n');
            }
            b.append('\n');
            throughput(r, chartName, b);
            bySide(r, b);
            fixedRates(r, b);
        }
        connections(r, b);
        findings(b);
        if (!r.systems().isEmpty()) {
            systems(r, b);
        }
        b.append('\n').append(onRequest());
        if (!r.systems().isEmpty()) {
            everyRound(r, b);
        }
        return b.toString();
    }

    private static void throughput(Report r, String chartName, StringBuilder b) {
        b.append("## Throughput\n\n");
        b.append("| system | K | deliveries/s (median) | min | max | CPU s per M deliveries | delivered / expected | sent | note |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (ThroughputResult t : r.throughput()) {
            if (!t.measured()) {
                b.append("| ").append(t.system()).append(" | ").append(t.k()).append(" | - | - | - | - | - | - | ")
                        .append(t.note()).append(" |\n");
                continue;
            }
            b.append("| ").append(t.system()).append(" | ").append(t.k()).append(" | ").append(Format.rate(t.median()))
                    .append(" | ").append(Format.rate(t.min())).append(" | ").append(Format.rate(t.max()))
                    .append(" | ").append(Format.fixed(t.medianCpuPerMillion(), 2)).append(" | ")
                    .append(t.delivered()).append(" / ").append(t.expected()).append(" | ").append(t.sent())
                    .append(" | ").append(t.note() == null ? "" : t.note()).append(" |\n");
        }
        b.append("\n![deliveries per second against K](").append(chartName).append(")\n\n");
        b.append("## Ratios (deliveries/s)\n\n");
        for (String line : r.ratioLines()) {
            b.append("- ").append(line).append("\n");
        }
        if (!r.cpuRatioLines().isEmpty()) {
            b.append("\nCPU per delivery (lower is better):\n\n");
            for (String line : r.cpuRatioLines()) {
                b.append("- ").append(line).append("\n");
            }
        }
        if (r.throughput().stream().anyMatch(t -> t.latency() != null)) {
            b.append("\n## Latency\n\nAt a fixed offered rate of 50% of each system's measured peak, measured from each "
                    + "message's intended send time (HdrHistogram, no coordinated omission), in ")
                    .append(r.plan().rounds()).append(" rounds of ")
                    .append(Format.fixed(r.plan().latencyRoundSeconds(), 1)).append(" s: p50, p99 and "
                    + "p99.9 are the medians of the rounds' own, with the lowest and highest p99 of a round; max is "
                    + "the largest of all. GC: collections in the benchmark JVM during the rounds. A paced sender "
                    + "cannot batch, so a system may not sustain half of its batched peak: a p50 in milliseconds "
                    + "means it fell behind, and on two shared cores the tail is mostly scheduling.\n\n");
            b.append("| system | K | offered msgs/s | p50 | p99 | p99 min | p99 max | p99.9 | max | delivered / expected | GC |\n");
            b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
            for (ThroughputResult t : r.throughput()) {
                LatencyResult l = t.latency();
                if (l != null) {
                    b.append("| ").append(t.system()).append(" | ").append(t.k()).append(" | ")
                            .append(Format.rate(l.offeredPerSecond())).append(" | ").append(Format.micros(l.p50Micros()))
                            .append(" | ").append(Format.micros(l.p99Micros())).append(" | ")
                            .append(Format.micros(l.p99MinMicros())).append(" | ").append(Format.micros(l.p99MaxMicros()))
                            .append(" | ").append(Format.micros(l.p999Micros())).append(" | ").append(Format.micros(l.maxMicros()))
                            .append(" | ").append(l.delivered()).append(" / ").append(l.expected()).append(" | ")
                            .append(l.gc().describe()).append(" |\n");
                }
            }
        }
    }

    /** The rows whose server or subscribers have CPU figures of their own. */
    private static void bySide(Report r, StringBuilder b) {
        if (r.bySide().isEmpty()) {
            return;
        }
        b.append("\n## CPU by side\n\nCPU seconds per million deliveries, medians of the throughput rounds: the "
                + "server's is its own process's (its threads' run times from /proc, to the nanosecond), the "
                + "subscribers' that of the threads they made, their I/O threads too (\"-\": not told apart).\n\n");
        b.append("| system | K | deliveries/s | server CPU s per M | subscribers' CPU s per M |\n");
        b.append("|---|---:|---:|---:|---:|\n");
        for (ThroughputResult t : r.bySide()) {
            b.append("| ").append(t.system()).append(" | ").append(t.k()).append(" | ").append(Format.rate(t.median()))
                    .append(" | ").append(Format.fixed(t.medianServerCpuPerMillion(), 2)).append(" | ")
                    .append(Format.fixed(t.medianSubscriberCpuPerMillion(), 2)).append(" |\n");
        }
    }

    private static void fixedRates(Report r, StringBuilder b) {
        if (r.throughput().stream().allMatch(t -> t.fixedRates().isEmpty())) {
            return;
        }
        b.append("\n## Latency at fixed rates\n\nThe same offered rates for every system, measured from each message's "
                + "intended send time, in ").append(r.plan().rounds()).append(" rounds of ")
                .append(Format.fixed(r.plan().fixedRates().roundSeconds(), 1)).append(" s at each rate: p50, p99 and "
                + "p99.9 are the medians of the rounds' own, max the largest of all; server CPU per post is the "
                + "server process's CPU time per message posted, for a server run as its own process, and "
                + "subscribers' CPU per delivery that of their threads, where they are told apart (medians of the "
                + "rounds).\n\n");
        b.append("| system | K | msgs/s | p50 | p99 | p99 min | p99 max | p99.9 | max | delivered / expected "
                + "| server CPU per post | subscribers' CPU per delivery | GC |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (ThroughputResult t : r.throughput()) {
            for (LatencyResult l : t.fixedRates()) {
                b.append("| ").append(t.system()).append(" | ").append(t.k()).append(" | ")
                        .append(Format.count((long) l.offeredPerSecond())).append(" | ").append(Format.micros(l.p50Micros()))
                        .append(" | ").append(Format.micros(l.p99Micros())).append(" | ")
                        .append(Format.micros(l.p99MinMicros())).append(" | ").append(Format.micros(l.p99MaxMicros()))
                        .append(" | ").append(Format.micros(l.p999Micros())).append(" | ").append(Format.micros(l.maxMicros()))
                        .append(" | ").append(l.delivered()).append(" / ").append(l.expected()).append(" | ")
                        .append(Format.micros(l.serverCpuMicrosPerPost())).append(" | ")
                        .append(Format.micros(l.subscriberCpuMicrosPerDelivery())).append(" | ").append(l.gc().describe())
                        .append(" |\n");
            }
        }
        if (!r.rateRatioLines().isEmpty()) {
            b.append("\nRatios at fixed rates (lower is better):\n\n");
            for (String line : r.rateRatioLines()) {
                b.append("- ").append(line).append("\n");
            }
        }
    }

    /**
     * What the systems and kinds measured only when named are, and how to run them: written by
     * every run, so that the page says it whatever its own run measured.
     */
    static String onRequest() {
        StringBuilder b = new StringBuilder("## Measured on request\n\n");
        b.append("These are measured only when `--only` names them: ceilings and splits that explain a ratio, kept "
                + "out of the full run's ten minutes.\n\n");
        for (BenchSystem s : Systems.all()) {
            if (s.onRequest()) {
                b.append("- `").append(s.id()).append("`, **").append(s.name()).append("**: ").append(s.description())
                        .append(".\n");
            }
        }
        b.append("- `").append(BenchPlan.FixedRates.KIND).append("` (a kind, like `latency`): latency at ")
                .append(Format.counts(BenchPlan.FIXED_RATES))
                .append(" messages/s at K=").append(Report.TARGET_K).append(" for every system selected (where `latency` "
                + "offers half of each system's own peak), each rate in its own rounds, with the server's CPU per post "
                + "where the server runs as its own process and the subscribers' CPU per delivery where they are told "
                + "apart.\n");
        b.append("- `--alternate` (an option): the systems of one K are set up together and take each step in turn "
                + "(warm-up, every round, every latency round), so a slow phase of the machine falls on all of them alike "
                + "and a ratio is one of alternated rounds. The throughput table's CPU column (this JVM and any server "
                + "process) then includes the others' idle clients; the figures by side do not.\n\n");
        b.append("The servers apart from their clients, beside what they are compared with, in a few minutes:\n\n")
                .append("    bin/bench ").append(BenchMain.SERVERS_ALONE).append("\n\n");
        b.append("Its rows: the throughput table has each as a system of its own (deliveries/s, and in \"CPU s per M "
                + "deliveries\" this JVM, clients and all, plus the server process); \"CPU by side\" gives the server "
                + "process's CPU and the subscribers' alone, per million deliveries, at each system's own peak; "
                + "\"Latency at fixed rates\" the percentiles at each rate, the server's CPU per post and the "
                + "subscribers' per delivery, the same load for every system. The ratios under each table and the "
                + "targets compare Parley ZeroMQ server / raw JSON relay (deliveries/s, server CPU, p99), Parley "
                + "ZeroMQ client / plain Jackson client (the subscribers' CPU per delivery, at peak and at each rate), "
                + "Parley ZeroMQ server / Parley TCP server (server CPU per post) and Parley ZeroMQ / raw JeroMQ relay "
                + "(p99), all from the run's own figures.\n");
        return b.toString();
    }

    private static void connections(Report r, StringBuilder b) {
        if (r.connections().isEmpty()) {
            return;
        }
        b.append("\n## Connections\n\nThe server runs as its own process (a JVM of its own with a 512 MiB heap limit, "
                + "started the same way for both servers); the load generator registers every client "
                + "(`{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"0\"},\"topics\":[\"bench\"]}`), then one more "
                + "client sends a message on topic `bench` and the time until the last client has it is taken. "
                + "Memory is the server's VmRSS and its heap in use after a full GC (jcmd), before and after. "
                + "The baseline is a stand-in that only registers and fans out: the floor for any server in Java.\n\n");
        b.append("| server | clients | RSS per connection | heap per connection | fan-out median | min | max | delivered / expected |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ConnectionResult c : r.connections()) {
            b.append("| ").append(c.server()).append(" | ").append(c.connections()).append(" | ")
                    .append(Format.bytes(c.rssPerConnection())).append(" | ").append(Format.bytes(c.heapPerConnection()))
                    .append(" | ").append(Format.fixed(c.medianMillis(), 2)).append(" ms | ")
                    .append(Format.fixed(c.minMillis(), 2)).append(" ms | ").append(Format.fixed(c.maxMillis(), 2))
                    .append(" ms | ").append(c.delivered()).append(" / ").append(c.expected()).append(" |\n");
        }
        b.append('\n');
        for (ConnectionResult c : r.connections()) {
            b.append("- ").append(c.server()).append(": RSS ").append(Format.bytes(c.rssBefore())).append(" -> ")
                    .append(Format.bytes(c.rssAfter())).append(", heap ").append(Format.bytes(c.heapBefore()))
                    .append(" -> ").append(Format.bytes(c.heapAfter())).append('.')
                    .append(c.note() == null ? "" : " Note: " + c.note()).append('\n');
        }
        b.append("\nAnother server takes their place with "
                + "`bin/bench --only connections --server \"<command with {port}>\"`.\n");
    }

    /** The profiling notes (chat-bench's findings.md): what was slow, what changed, before and after. */
    private static void findings(StringBuilder b) {
        try (var in = MarkdownReport.class.getResourceAsStream("findings.md")) {
            if (in != null) {
                b.append('\n').append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the findings notes", e);
        }
    }

    private static void systems(Report r, StringBuilder b) {
        b.append("\n## Systems\n\n");
        for (BenchSystem s : r.systems()) {
            b.append("- **").append(s.name()).append("** (`--only ").append(s.id()).append("`): ")
                    .append(s.description());
            if (!s.measurable()) {
                b.append(". ").append(capitalise(s.unavailable()));
            }
            b.append(".\n");
        }
        b.append("\nRedis and NATS are measured when their servers are installed "
                + "(Debian: `apt-get install redis-server nats-server`); otherwise they are skipped with a note.\n");
    }

    private static void everyRound(Report r, StringBuilder b) {
        b.append("\n## Every round\n\n");
        for (ThroughputResult t : r.throughput()) {
            if (!t.measured()) {
                continue;
            }
            b.append("- ").append(t.system()).append(", K=").append(t.k()).append(": ");
            List<RoundResult> rounds = t.rounds();
            for (int i = 0; i < rounds.size(); i++) {
                RoundResult x = rounds.get(i);
                b.append(i == 0 ? "" : "; ").append(Format.rate(x.deliveriesPerSecond())).append("/s ")
                        .append(x.delivered()).append('/').append(x.expected());
            }
            b.append("\n");
        }
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
