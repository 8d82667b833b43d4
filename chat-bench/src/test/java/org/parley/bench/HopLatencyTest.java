package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the hop-latency probe in its shortest form so that it cannot rot; no speed is asserted. */
class HopLatencyTest {
    @Test
    void everyHopCarriesEveryMessageAndReportsFourFigures() throws Exception {
        List<String> lines = HopLatency.measure(200, 1); // throws if a hop loses a message
        assertEquals(6, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("one hop at 200 msgs/s"), lines.get(0));
        for (String line : lines.subList(2, 6)) {
            assertEquals(4, line.split("(µs|ms| s)(\\s|$)").length, line); // p50, p99, p99.9, max with units
        }
    }
}
