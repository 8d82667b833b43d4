package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the systems that measure a server apart from its clients in their quickest form, in
 * turn and at a fixed rate, so that they cannot rot; checks structure, never speed.
 */
class ServersAloneTest {
    @Test
    @Timeout(180)
    void eachServerAndEachKindOfSubscriberIsMeasuredWithItsOwnCpu() {
        Set<String> only = new HashSet<>(Systems.SERVERS_ALONE);
        only.addAll(List.of("throughput", BenchPlan.FixedRates.KIND));
        BenchPlan plan = BenchPlan.smoke().withOnly(only).withAlternation(true);
        Report report = BenchMain.run(plan);

        for (String system : List.of(Systems.PARLEY_ZMQ_SERVER, Systems.RAW_JSON_RELAY, Systems.PARLEY_TCP_SERVER,
                Systems.PARLEY_ZMQ_CLIENT, Systems.JACKSON_CLIENT)) {
            ThroughputResult t = report.find(system, 1).orElseThrow(() -> new AssertionError(system + " not measured: "
                    + report.throughput().stream().filter(r -> r.system().equals(system)).findFirst()
                            .map(ThroughputResult::note).orElse("no row")));
            assertNull(t.note(), system + ": " + t.note());
            assertTrue(t.delivered() > 0, system + " delivered nothing");
            assertEquals(t.expected(), t.delivered(), system + ": nothing lost");
            assertTrue(t.medianServerCpuPerMillion() > 0, system + ": the server process's CPU: " + t.medianServerCpuPerMillion());
            boolean toldApart = !system.equals(Systems.PARLEY_TCP_SERVER);
            assertEquals(toldApart, t.medianSubscriberCpuPerMillion() >= 0, system + ": the subscribers' CPU");
            LatencyResult atRate = t.atRate(500).orElseThrow(() -> new AssertionError(system + ": no fixed-rate run"));
            assertEquals(500, atRate.offeredPerSecond());
            assertTrue(atRate.delivered() > 0 && atRate.delivered() == atRate.expected(), system + " at 500/s");
            assertTrue(atRate.serverCpuMicrosPerPost() > 0, system + ": the server's CPU per post");
            assertTrue(atRate.p99Micros() > 0, system + ": latency figures missing");
            assertEquals(toldApart, atRate.subscriberCpuMicrosPerDelivery() >= 0, system + ": the subscribers' CPU at 500/s");
        }
        String text = report.text();
        assertTrue(text.contains("Parley ZeroMQ server / raw JSON relay: K=1: "), text);
        assertTrue(text.contains("Parley ZeroMQ client / plain Jackson client, subscribers' CPU per delivery: K=1: "), text);
        assertTrue(text.contains("Parley ZeroMQ server / Parley TCP server, server CPU per post at K=1: 500/s: "), text);
        assertTrue(text.contains("Parley ZeroMQ client / plain Jackson client, subscribers' CPU per delivery at K=1: "
                + "500/s: "), text);
        assertTrue(text.contains("CPU by side"), text);
        assertTrue(text.contains("Latency at fixed rates"), text);
        assertFalse(text.contains("failed"), text);
    }
}
