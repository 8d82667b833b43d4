package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the harness in its quickest form so it cannot rot; checks structure, never speed. */
class BenchHarnessTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void quickestRunMeasuresBaselinesAndBothParleyTransportsAndWritesMarkdownAndChart() throws IOException {
        Path md = dir.resolve("BENCHMARKS.md");
        Report report = BenchMain.run(BenchPlan.smoke().withOut(md));

        for (String system : List.of(Systems.RAW_JEROMQ, Systems.RAW_JEROMQ_RELAY, Systems.PARLEY_ZMQ, Systems.RAW_NIO,
                Systems.PARLEY_TCP)) {
            ThroughputResult t = report.find(system, 1).orElseThrow(() -> new AssertionError(system + " row missing"));
            assertEquals(1, t.rounds().size(), system + " rounds");
            assertTrue(t.delivered() > 0, system + " delivered nothing");
            assertEquals(t.sent(), t.expected(), system + ": K=1 expects one delivery per message");
            assertNotNull(t.latency(), system + " latency run missing");
            assertTrue(t.latency().delivered() > 0, system + " latency run delivered nothing");
            assertTrue(t.median() > 0, system + " figures missing");
            // Measured, though a smoke round of raw NIO can take less CPU than the process
            // clock's tick: 0 is a figure, NaN (nothing measured) is not.
            assertTrue(t.medianCpuPerMillion() >= 0, system + " CPU missing: " + t.medianCpuPerMillion());
            assertTrue(t.latency().p99Micros() > 0, system + " latency figures missing");
        }
        assertEquals(2, report.connections().size(), "the Parley topic server and the baseline");
        for (ConnectionResult c : report.connections()) {
            assertFalse(c.note() != null && c.note().startsWith("failed"), c.server() + " failed: " + c.note());
            assertEquals(BenchPlan.smoke().connections(), c.connections());
            assertEquals(c.expected(), c.delivered(), c.server() + ": every registered client gets the fanned-out message");
            assertTrue(c.rssAfter() > 0, c.server() + ": RSS unknown");
        }
        assertTrue(report.connection(ConnectionBench.PARLEY).isPresent(), "Parley topic server row missing");

        String text = report.text();
        assertTrue(text.contains("Parley ZeroMQ / raw JeroMQ: K=1: "), text);
        assertTrue(text.contains("Parley TCP / raw NIO: K=1: "), text);
        assertTrue(text.contains("Parley ZeroMQ / raw JeroMQ relay: K=1: "), text);

        Path png = BenchMain.chartFor(md);
        MarkdownReport.write(report, md, png);
        String written = Files.readString(md);
        assertTrue(written.contains("| raw JeroMQ | 1 |"), written);
        assertTrue(written.contains("- Command: `smoke test`"), written);
        assertTrue(written.contains("BENCHMARKS.png"), written);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(ThroughputChart.WIDTH, image.getWidth());
    }

    @Test
    void fullRunWritesDocsBenchmarksAndQuickRunOnlyPrints() {
        BenchPlan full = BenchMain.parse(new String[0], "/repo");
        assertEquals(Path.of("/repo", "docs", "BENCHMARKS.md"), full.out());
        assertTrue(full.rounds() >= 5, "the issue asks for at least five rounds");
        assertNull(BenchMain.parse(new String[] {"--quick"}, "/repo").out());
        BenchPlan only = BenchMain.parse(new String[] {"--quick", "--only", "redis,latency", "--out", "x.md"}, "/repo");
        assertEquals(Path.of("x.md"), only.out());
        assertTrue(only.runsSystem("redis") && !only.runsSystem("nats"));
        assertTrue(only.runsKind("latency") && !only.runsKind("connections"));
        List<String> fullSystems = BenchMain.systems(full).stream().map(BenchSystem::id).toList();
        assertTrue(fullSystems.contains("raw-jeromq") && !fullSystems.contains("raw-jeromq-relay"), fullSystems.toString());
        BenchPlan relay = BenchMain.parse(new String[] {"--only", "raw-jeromq-relay,parley-zmq"}, "/repo");
        assertEquals(List.of("parley-zmq", "raw-jeromq-relay"),
                BenchMain.systems(relay).stream().map(BenchSystem::id).toList());
        String text = new Report(full, Machine.current(), java.time.Instant.now(), 0, BenchMain.systems(full),
                List.of(), List.of()).ratioLines().toString();
        assertTrue(text.contains("Parley ZeroMQ / raw JeroMQ: n/a") && !text.contains("relay"), text);
        assertEquals(List.of("Parley ZeroMQ / raw JeroMQ relay: n/a (not measured)"),
                new Report(relay, Machine.current(), java.time.Instant.now(), 0, BenchMain.systems(relay),
                        List.of(), List.of()).ratioLines(), "only the ratio of the two systems selected");
        assertEquals(Path.of("x.png"), BenchMain.chartFor(Path.of("x.md")));
    }

    @Test
    void fixedRatesAndTheServersAloneAreMeasuredOnlyWhenNamedAndAlternationOnlyWhenAsked() {
        BenchPlan systems = BenchMain.parse(new String[] {"--quick", "--only", "parley-zmq-server,raw-json-relay"}, "/repo");
        assertTrue(systems.runsKind("throughput") && systems.runsKind("latency"));
        assertFalse(systems.runsKind(BenchPlan.FixedRates.KIND), "fixed rates are measured when named");
        assertEquals(List.of(), systems.fixedRatesAt(10));
        assertFalse(systems.alternate());
        assertEquals(List.of("parley-zmq-server", "raw-json-relay"),
                BenchMain.systems(systems).stream().map(BenchSystem::id).toList());
        List<String> fullSystems = BenchMain.systems(BenchPlan.full()).stream().map(BenchSystem::id).toList();
        for (String id : Systems.SERVERS_ALONE) {
            assertFalse(fullSystems.contains(id), id + " is measured only when named");
        }
        assertFalse(BenchPlan.full().runsKind(BenchPlan.FixedRates.KIND));

        BenchPlan rates = BenchMain.parse(new String[] {"--quick", "--alternate", "--k", "10", "--only",
            "parley-zmq-server,fixed-rates"}, "/repo");
        assertTrue(rates.alternate());
        assertTrue(rates.runsKind(BenchPlan.FixedRates.KIND) && !rates.runsKind("latency"));
        assertEquals(List.of(100, 1_000, 10_000), rates.fixedRatesAt(10));
        assertEquals(List.of(), rates.fixedRatesAt(1), "fixed rates are measured at K=10");
        assertTrue(message("--only", "parley-zmq,fixed-rates", "--k", "1").contains("fixed-rates measures at K=10, "
                + "which --k 1 leaves out"));
        assertTrue(BenchMain.help().contains("bin/bench " + BenchMain.SERVERS_ALONE), BenchMain.help());
        assertTrue(BenchMain.help().contains("measured only when --only names them: fixed-rates "), BenchMain.help());
        for (String id : Systems.SERVERS_ALONE) {
            assertTrue(BenchMain.SERVERS_ALONE.contains(id), id);
            assertTrue(MarkdownReport.onRequest().contains("`" + id + "`"), id + " undocumented");
        }
    }

    @Test
    void subscriberCountsNarrowThroughputAndLatencyAndKeepTheReportUnwritten() {
        BenchPlan tens = BenchMain.parse(new String[] {"--k", "10,100,10"}, "/repo");
        assertEquals(List.of(10, 100), tens.ks());
        assertEquals(List.of(10, 100), tens.latencyKs());
        assertNull(tens.out(), "a partial full run must not overwrite docs/BENCHMARKS.md");
        assertEquals(List.of(), BenchMain.parse(new String[] {"--quick", "--k", "1"}, "/repo").latencyKs());
    }

    @Test
    void aSlowSystemsRoundsAreBoundedInTimeAndAFastSystemsKeepTheirSize() {
        // warm-up rounds: 1 s for 80,000 deliveries, 1 s for 5 million, and nothing measured
        RoundResult slow = new RoundResult(80_000, 80_000, 80_000, 1.0, 1.0);
        RoundResult fast = new RoundResult(500_000, 5_000_000, 5_000_000, 1.0, 1.0);
        RoundResult none = new RoundResult(0, 0, 0, 0, 0);
        assertEquals(800_000, Harness.boundedBySeconds(2_500_000, slow, 1, 5_000, 10.0), "10 s at 80,000 a second");
        assertEquals(250_000, Harness.boundedBySeconds(250_000, fast, 10, 5_000, 10.0));
        assertEquals(5_000, Harness.boundedBySeconds(250_000, new RoundResult(10, 10, 10, 10.0, 1.0), 1, 5_000, 10.0));
        assertEquals(2_500_000, Harness.boundedBySeconds(2_500_000, none, 1, 5_000, 10.0));
        assertEquals(160_000, Harness.boundedBySeconds(2_500_000, slow, 1, 5_000, 2.0), "a quick run's 2 s");
    }

    @Test
    void latencyFiguresAreTheRoundsMediansWithTheRangeOfP99AndTheLargestMax() {
        List<LatencyResult.Round> rounds = List.of(
                new LatencyResult.Round(new RoundResult(10, 20, 20, 1, 0), 100, 2_000, 3_000, 4_000),
                new LatencyResult.Round(new RoundResult(10, 20, 20, 1, 0), 300, 400_000, 410_000, 420_000), // a stall
                new LatencyResult.Round(new RoundResult(10, 19, 20, 1, 0), 200, 3_000, 5_000, 6_000));
        LatencyResult l = new LatencyResult(1000, rounds, new GcWatch.Pauses(0, 0, 0));
        assertEquals(200, l.p50Micros());
        assertEquals(3_000, l.p99Micros(), "one stalled round does not decide the p99");
        assertEquals(5_000, l.p999Micros());
        assertEquals(2_000, l.p99MinMicros());
        assertEquals(400_000, l.p99MaxMicros());
        assertEquals(420_000, l.maxMicros());
        assertEquals(59, l.delivered());
        assertEquals(60, l.expected());
    }

    @Test
    void badArgumentsNameWhatWasWrong() {
        assertTrue(message("--only", "bogus").contains("bogus"));
        assertTrue(message("--connections", "many").contains("\"many\" is not a number"));
        assertTrue(message("--connections", "50001").contains("50001 is not within 1..50000"));
        assertTrue(message("--server", "bin/topicserver 7777").contains("{port}"));
        assertTrue(message("--out").contains("--out needs a value"));
        assertTrue(message("--fast").contains("--fast"));
        assertTrue(message("--k", "ten").contains("\"ten\" is not a number"));
        assertTrue(message("--k", "0").contains("0 is not within 1..1000"));
    }

    private static String message(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> BenchMain.parse(args, "/repo")).getMessage();
    }

    @Test
    void payloadCarriesItsStampAndProbesAreNotCounted() {
        long now = System.nanoTime();
        byte[] text = Payload.text(now);
        assertEquals(Payload.SIZE, text.length);
        assertEquals(now, Payload.stamp(text));
        assertEquals(-1L, Payload.stamp(Payload.text(-1L)));
        assertEquals(now, Payload.stamp(Payload.asString(text)));
        DeliverySink sink = new DeliverySink(2);
        long[] mark = sink.mark();
        sink.deliver(0, Payload.probe());
        sink.deliver(0, text);
        sink.deliver(1, Payload.asString(Payload.probe()));
        sink.deliver(1, Payload.asString(text));
        sink.deliver(1, "not a payload");
        assertEquals(2, sink.delivered(mark));
        assertEquals(1, sink.slowest(mark));
        assertEquals(1, sink.foreign());
        assertTrue(sink.allReady());
        var histogram = sink.startRecording();
        sink.deliver(0, Payload.asString(Payload.text(System.nanoTime() - 5_000_000)));
        assertEquals(3, sink.delivered(mark));
        assertEquals(1, histogram.getTotalCount());
        assertTrue(histogram.getMaxValue() >= 5_000_000, "the latency is read from the string's stamp");
    }
}
