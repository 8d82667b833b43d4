package org.parley.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.parley.core.internal.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/bench}: runs the benchmark scenarios and prints a table; the full run also writes
 * docs/BENCHMARKS.md and a chart beside it.
 *
 * <pre>
 * bin/bench                          full run (under ten minutes on two cores), writes docs/BENCHMARKS.md
 * bin/bench --quick                  under a minute, prints only
 * bin/bench --only redis,latency     some systems and/or kinds (throughput, latency, connections)
 * bin/bench --quick --k 10           only these subscriber counts
 * bin/bench --out report.md         write the markdown (and report.png) there
 * bin/bench --only connections      the topic server and the stand-in, 10,000 clients each
 * bin/bench --only connections --server "other-server {port}" --connections 5000
 * bin/bench --quick --alternate --only parley-zmq-server,raw-json-relay,fixed-rates --k 10
 *                                    the systems' rounds in turn, and latency at fixed rates
 * </pre>
 *
 * <p>Exit status: 0 done, 1 the report could not be written, 2 bad arguments. {@code --help} or
 * {@code -h} anywhere prints {@link #help()} on standard output and exits 0, measuring nothing.
 *
 * <p>Thread safety: a program entry point; {@link #run} may be called by one thread at a time.
 */
public final class BenchMain {
    private static final Logger log = LoggerFactory.getLogger(BenchMain.class);
    static final String USAGE = "usage: bin/bench [--quick] [--only <id>[,<id>...]] [--k <n>[,<n>...]] [--alternate]"
            + " [--out <file.md>] [--connections <n>] [--server \"<command with {port}>\"]";

    /** The run that measures the servers apart from their clients, beside what they are compared with. */
    static final String SERVERS_ALONE = "--quick --alternate --k " + Report.TARGET_K + " --only "
            + String.join(",", Systems.SERVERS_ALONE) + ",parley-zmq,raw-jeromq,raw-jeromq-relay,throughput,"
            + BenchPlan.FixedRates.KIND;

    private BenchMain() {
    }

    /** Parses the arguments, runs, prints the table and writes the report where asked. */
    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(help());
            System.exit(0);
            return;
        }
        BenchPlan plan;
        try {
            plan = parse(args, System.getProperty("parley.home"));
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        Report report = run(plan);
        System.out.print(report.text());
        if (plan.out() != null) {
            try {
                Path chart = chartFor(plan.out());
                MarkdownReport.write(report, plan.out(), chart);
                System.out.println("wrote " + plan.out() + " and " + chart);
            } catch (IOException e) {
                System.err.println("bench: cannot write " + plan.out() + ": " + e.getMessage());
                System.exit(1);
            }
        }
        System.exit(0); // client libraries may leave non-daemon threads behind
    }

    /** What {@code bin/bench --help} prints: the usage, what it measures, every option and the ids. */
    static String help() {
        List<String[]> options = List.of(
                new String[] {"--quick", "the quick run: under a minute, prints only"},
                new String[] {"--only <id>[,<id>...]", "only these systems and/or kinds (the ids below)"},
                new String[] {"--k <n>[,<n>...]", "only these subscriber counts, 1 to 1000"},
                new String[] {"--alternate", "the systems of one K set up together, their rounds taken in turn"},
                new String[] {"--out <file.md>", "writes the markdown there, and the chart beside it as .png"},
                new String[] {"--connections <n>", "clients of the connections benchmark, 1 to 50000"},
                new String[] {"--server \"<command with {port}>\"",
                    "the server the connections benchmark measures instead ({port} filled in)"},
                new String[] {"-h, --help", "prints this help and exits"});
        int width = options.stream().mapToInt(o -> o[0].length()).max().orElse(0);
        StringBuilder b = new StringBuilder(USAGE).append("\n\n")
                .append("Measures both Parley transports beside raw JeroMQ, raw NIO, Redis and NATS (when\n")
                .append("installed) and prints a table; the full run, without options, also writes\n")
                .append("docs/BENCHMARKS.md and a chart.\n\noptions:\n");
        for (String[] o : options) {
            b.append("  ").append(o[0]).append(" ".repeat(width - o[0].length() + 3)).append(o[1]).append('\n');
        }
        List<String> systems = Systems.all().stream().filter(s -> !s.onRequest()).map(BenchSystem::id).toList();
        List<String> onRequest = new ArrayList<>(BenchPlan.ON_REQUEST_KINDS);
        Systems.all().stream().filter(BenchSystem::onRequest).map(BenchSystem::id).forEach(onRequest::add);
        b.append("\nkinds: ").append(String.join(" ", BenchPlan.KINDS))
                .append("\nsystems: ").append(String.join(" ", systems))
                .append("\nmeasured only when --only names them: ").append(String.join(" ", onRequest)).append('\n');
        b.append("\nfixed-rates: latency at ").append(Format.counts(BenchPlan.FIXED_RATES)).append(" msgs/s (K=")
                .append(Report.TARGET_K)
                .append("), with the CPU per post of a server that runs as its own process\n");
        b.append("\nthe servers apart from their clients, beside what they are compared with (a few minutes):\n  bin/bench ")
                .append(SERVERS_ALONE).append('\n');
        for (BenchSystem s : Systems.all()) {
            if (Systems.SERVERS_ALONE.contains(s.id())) {
                b.append("  ").append(s.id()).append(": ").append(s.description()).append('\n');
            }
        }
        return b.toString();
    }

    /** The chart's path: beside the markdown, same name, .png. */
    static Path chartFor(Path markdown) {
        String name = markdown.getFileName().toString();
        String base = name.endsWith(".md") ? name.substring(0, name.length() - 3) : name;
        return markdown.resolveSibling(base + ".png");
    }

    static BenchPlan parse(String[] args, String home) {
        boolean quick = false;
        boolean alternate = false;
        Set<String> only = new LinkedHashSet<>();
        Path out = null;
        Integer connections = null;
        List<Integer> ks = null;
        List<String> server = List.of();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--alternate" -> alternate = true;
                case "--only" -> only.addAll(Arrays.asList(value(args, ++i, a).split(",")));
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--k" -> ks = subscriberCounts(value(args, ++i, a));
                case "--connections" -> {
                    String v = value(args, ++i, a);
                    connections = number("--connections " + v, v, 50_000);
                }
                case "--server" -> {
                    String v = value(args, ++i, a);
                    if (!v.contains("{port}")) {
                        throw new IllegalArgumentException("--server \"" + v + "\" must contain {port}");
                    }
                    server = List.of(v.trim().split("\\s+"));
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        Set<String> known = new LinkedHashSet<>(BenchPlan.KINDS);
        known.addAll(Systems.ids());
        for (String id : only) {
            if (!known.contains(id)) {
                throw new IllegalArgumentException("--only " + id + " is not one of " + String.join(", ", known));
            }
        }
        BenchPlan plan = quick ? BenchPlan.quick() : BenchPlan.full();
        plan = plan.withOnly(only).withAlternation(alternate)
                .withCommand("bin/bench" + (args.length == 0 ? "" : " " + String.join(" ", args)));
        if (ks != null) {
            List<Integer> rateKs = plan.fixedRates().ks();
            plan = plan.withKs(ks);
            if (only.contains(BenchPlan.FixedRates.KIND) && plan.fixedRates().ks().isEmpty()) {
                throw new IllegalArgumentException("--only " + BenchPlan.FixedRates.KIND + " measures at K="
                        + rateKs.stream().map(String::valueOf).collect(Collectors.joining(",")) + ", which --k "
                        + ks.stream().map(String::valueOf).collect(Collectors.joining(",")) + " leaves out");
            }
        }
        if (connections != null || !server.isEmpty()) {
            plan = plan.withConnections(connections == null ? plan.connections() : connections, server);
        }
        if (out == null && !quick && only.isEmpty() && ks == null && home != null) {
            out = Path.of(home, "docs", "BENCHMARKS.md"); // the full run is the one that documents itself
        }
        return plan.withOut(out);
    }

    /** The values of {@code --k}: subscriber counts of 1 to 1000, each once. */
    private static List<Integer> subscriberCounts(String v) {
        Set<Integer> ks = new LinkedHashSet<>();
        for (String part : v.split(",")) {
            ks.add(number("--k " + v, part.trim(), 1000));
        }
        return List.copyOf(ks);
    }

    /** {@code v} as a number of 1 to {@code max}, or an error that starts with {@code given}. */
    private static int number(String given, String v, int max) {
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(given + ": " + Names.quote(v) + " is not a number");
        }
        if (n < 1 || n > max) {
            throw new IllegalArgumentException(given + ": " + n + " is not within 1.." + max);
        }
        return n;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** The systems the plan selects: those it names, else all but the ones measured only on request. */
    static List<BenchSystem> systems(BenchPlan plan) {
        return Systems.all().stream()
                .filter(s -> s.onRequest() ? plan.only().contains(s.id()) : plan.runsSystem(s.id()))
                .collect(Collectors.toList());
    }

    /**
     * Measures {@code systems} at {@code k}, more than one with their rounds in turn ({@link
     * Harness#run(List, Harness.Phases)}); those not measurable get a row with the reason.
     */
    private static List<ThroughputResult> measure(BenchPlan plan, Harness harness, List<BenchSystem> systems, int k) {
        List<ThroughputResult> results = new ArrayList<>();
        List<Scenario> scenarios = new ArrayList<>();
        for (BenchSystem s : systems) {
            if (s.measurable()) {
                scenarios.add(s.factory().apply(k));
            } else {
                results.add(ThroughputResult.notMeasured(s.name(), k, s.unavailable()));
            }
        }
        if (scenarios.isEmpty()) {
            return results;
        }
        String names = scenarios.stream().map(Scenario::system).collect(Collectors.joining(", "));
        log.info("measuring {} with K={}", names, k);
        System.err.println("bench: " + (scenarios.size() > 1 ? "in turn: " : "") + names + ", K=" + k);
        boolean latency = plan.runsKind("latency") && plan.latencyKs().contains(k);
        results.addAll(harness.run(scenarios, new Harness.Phases(latency, plan.fixedRatesAt(k))));
        return results;
    }

    private static int indexOf(List<BenchSystem> systems, String name) {
        for (int i = 0; i < systems.size(); i++) {
            if (systems.get(i).name().equals(name)) {
                return i;
            }
        }
        return systems.size();
    }

    /** Runs every scenario the plan selects; failures become rows with notes. */
    static Report run(BenchPlan plan) {
        Instant date = Instant.now();
        Machine machine = Machine.current(); // before the run: its load average is other work's
        long start = System.nanoTime();
        Harness harness = new Harness(plan);
        List<BenchSystem> systems = systems(plan);
        List<ThroughputResult> results = new ArrayList<>();
        boolean throughput = plan.runsKind("throughput") || plan.runsKind("latency")
                || plan.runsKind(BenchPlan.FixedRates.KIND);
        if (throughput) {
            if (plan.alternate()) {
                for (int k : plan.ks()) {
                    results.addAll(measure(plan, harness, systems, k));
                }
            } else {
                for (BenchSystem s : systems) {
                    for (int k : plan.ks()) {
                        results.addAll(measure(plan, harness, List.of(s), k));
                    }
                }
            }
            results.sort(Comparator.comparingInt((ThroughputResult t) -> indexOf(systems, t.system()))
                    .thenComparingInt(t -> plan.ks().indexOf(t.k())));
        }
        List<ConnectionResult> connections = List.of();
        if (plan.runsKind("connections")) {
            System.err.println("bench: connections, " + plan.connections() + " clients");
            connections = new ConnectionBench(plan).run();
        }
        return new Report(plan, machine, date, (System.nanoTime() - start) / 1e9,
                throughput ? systems : List.of(), results, connections);
    }
}
