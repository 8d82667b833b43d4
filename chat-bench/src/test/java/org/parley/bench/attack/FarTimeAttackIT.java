package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The cheapest attack, end to end against the real server from parley.jar, so the harness cannot rot. */
class FarTimeAttackIT {
    @TempDir
    Path dir;

    @Test
    @Timeout(90)
    void farTimeRunsAgainstTheRealServerAndMakesACompleteRow() {
        Path jar = Path.of(System.getProperty("parley.jar", "../chat-apps/target/parley.jar"));
        assertTrue(Files.isRegularFile(jar), jar.toAbsolutePath() + " missing: build it with mvn -B -DskipTests package");
        AttackPlan plan = new AttackPlan(List.of("zmq-far-time"), 1, 0.01, 1, "256m", jar, null);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        try {
            AttackResult r = new AttackRunner(plan, dir, sampler).run(new ZmqFarTime());

            assertEquals("zmq-far-time", r.id());
            assertTrue(r.scale().endsWith(" posts"), r.scale());
            assertTrue(r.alive().startsWith("yes"), r.alive());
            assertTrue(r.stop().startsWith("exit 0 after"), r.stop());
            assertTrue(r.peakRssKib() > 0, "peak RSS unread");
            assertTrue(r.after().matches("[1-9][0-9]*/[0-9]+.*"), "the good client got nothing after: " + r.after());
            String notes = String.join("; ", r.notes());
            assertTrue(notes.contains("sent ") && notes.contains("history of far: "), notes);
            assertFalse(notes.contains("failed") || notes.contains("abandoned"), notes);
            assertTrue(Files.exists(dir.resolve("zmq-far-time.log")), "the server's output was not captured");
        } finally {
            sampler.shutdownNow();
        }
    }
}
