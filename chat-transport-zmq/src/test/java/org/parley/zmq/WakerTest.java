package org.parley.zmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WakerTest {
    /**
     * An owner that sleeps in its poll until woken (a minute, far longer than the test), and
     * three threads that queue commands and wake it. A lost wake-up leaves a command in the
     * queue with nobody awake to take it: the owner then sleeps out its minute.
     */
    @Test
    void everyCommandQueuedWithAWakeIsTakenWithoutWaitingForThePollTimeout() throws Exception {
        Waker waker = new Waker();
        Queue<Integer> commands = new ConcurrentLinkedQueue<>();
        AtomicLong taken = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong queued = new AtomicLong();
        AtomicLong passes = new AtomicLong(); // the owner's polls that returned
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        try (Selector selector = Selector.open()) {
            waker.reader().register(selector, SelectionKey.OP_READ);
            Thread owner = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        selector.select(60_000);
                        passes.incrementAndGet();
                        boolean readable = !selector.selectedKeys().isEmpty();
                        selector.selectedKeys().clear();
                        if (waker.drain(readable)) { // as the loops do: the queue is looked at after a wake only
                            while (commands.poll() != null) {
                                taken.incrementAndGet();
                            }
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "owner");
            owner.setDaemon(true); // a lost wake-up leaves it asleep: it must not hold the JVM
            owner.start();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                Thread t = new Thread(() -> {
                    java.util.Random random = new java.util.Random();
                    while (System.nanoTime() < until) {
                        commands.add(1);
                        queued.incrementAndGet();
                        waker.wake();
                        for (int spin = random.nextInt(2000); spin > 0; spin--) {
                            Thread.onSpinWait(); // now and then inside the owner's drain
                        }
                    }
                }, "producer-" + p);
                producers.add(t);
                t.start();
            }
            for (Thread t : producers) {
                t.join();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> taken.get() == queued.get());
            assertEquals(queued.get(), taken.get());
            // Once nobody wakes it, the owner sleeps: no byte is left in the pipe to wake it
            // again and again (a drain that skipped a late byte would make it spin).
            long settled = passes.get();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> passes.get() <= settled + 1);
            stop.set(true);
            waker.wake();
            owner.join(10_000);
        } finally {
            waker.close();
        }
    }
}
