package org.parley.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeliveryThreadTest {
    @Test
    void weightsCountAgainstTheCapacityUntilTheirTaskHasRun() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<String> ran = new LinkedBlockingQueue<>();
        try (DeliveryThread d = new DeliveryThread("test-delivery", 10)) {
            assertTrue(d.submit(() -> {
                ran.add("batch of 6");
                awaitQuietly(release);
            }, 6));
            assertEquals("batch of 6", ran.poll(5, TimeUnit.SECONDS)); // running, and still counted
            assertEquals(4, d.room());
            assertFalse(d.submit(() -> ran.add("batch of 5"), 5), "5 units do not fit in 4");
            assertTrue(d.submit(() -> ran.add("batch of 4"), 4));
            assertFalse(d.submit(() -> ran.add("one more")), "full");
            release.countDown();
            assertEquals("batch of 4", ran.poll(5, TimeUnit.SECONDS));
            await().atMost(Duration.ofSeconds(5)).until(() -> d.room() == 10);
            assertTrue(ran.isEmpty(), "nothing refused ran: " + ran);
        }
    }

    @Test
    void aBatchCountsEachItemAndAnItemThatThrowsLosesOnlyItself() throws Exception {
        BlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
        try (DeliveryThread d = new DeliveryThread("test-delivery", 3)) {
            assertFalse(d.submitEach(java.util.List.of(1, 2, 3, 4), seen::add), "four items do not fit in 3");
            assertTrue(d.submitEach(java.util.List.of(1, 2, 3), i -> {
                if (i == 2) {
                    throw new IllegalStateException("listener bug on " + i);
                }
                seen.add(i);
            }));
            assertEquals(1, seen.poll(5, TimeUnit.SECONDS));
            assertEquals(3, seen.poll(5, TimeUnit.SECONDS), "the item after the one that threw still runs");
            await().atMost(Duration.ofSeconds(5)).until(() -> d.room() == 3);
        }
    }

    @Test
    void stopRunsWhatWasQueuedRefusesMoreAndReturnsAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<String> ran = new LinkedBlockingQueue<>();
        DeliveryThread d = new DeliveryThread("test-delivery-stop", 10);
        assertTrue(d.submit(() -> awaitQuietly(release)));
        assertTrue(d.submit(() -> ran.add("queued before stop")));

        d.stop(); // returns although a task is blocked
        assertFalse(d.submit(() -> ran.add("after stop")), "a stopped thread takes no more");
        release.countDown();
        d.close(Duration.ofSeconds(5));

        assertEquals("queued before stop", ran.poll(5, TimeUnit.SECONDS));
        assertTrue(ran.isEmpty(), ran.toString());
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("test-delivery-stop")), "the thread ended");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
