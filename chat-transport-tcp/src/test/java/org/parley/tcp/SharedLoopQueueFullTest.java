package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The clients of a process share one task queue: a close must not be lost to it being full. */
class SharedLoopQueueFullTest {
    @Test
    void aClientClosedWhileTheSharedQueueIsFullClosesItsSocket() throws Exception {
        try (TopicServer server = TopicServer.start(TopicServerOptions.builder().port(0).build())) {
            TopicClient a = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev"))
                    .connect(new Recorder());
            TopicClient b = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev"))
                    .connect(new Recorder());
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() == 2);
            NioLoop shared = a.core.loop;
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch held = new CountDownLatch(1);
            shared.execute(() -> { // the shared thread busy, as under other clients' traffic
                held.countDown();
                try {
                    hold.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(held.await(5, TimeUnit.SECONDS));
            while (shared.execute(() -> { })) {
                // fill the queue
            }
            Thread closer = new Thread(b::close, "closer");
            closer.start();
            // The close meets the full queue: it waits for room (or, as it once did, gives up).
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> closer.getState() == Thread.State.TIMED_WAITING || !closer.isAlive());
            hold.countDown(); // the thread drains the queue; a waiting close then runs
            closer.join(10_000);
            assertFalse(closer.isAlive(), "close did not return");
            assertFalse(b.isOpen());
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 1);
            assertTrue(a.send("still here"));
            a.close();
        }
    }
}
