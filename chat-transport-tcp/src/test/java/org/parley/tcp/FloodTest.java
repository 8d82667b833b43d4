package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A peer that never stops posting, to a topic with a subscriber that never reads: its messages
 * are handed to the selector's own queue by the thread that read them, and that one thread
 * serves everyone. A pair chatting on another topic meanwhile gets every message, in order, and
 * after the flood too.
 */
class FloodTest {
    @Test
    void aPeerThatNeverStopsPostingLeavesAPairChattingOnAnotherTopicServed() throws Exception {
        try (TopicServer server = TopicServer.start(TopicServerOptions.builder().build());
             RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port());
             RawClient flooder = new RawClient(server.port());
             RawClient stalled = new RawClient(server.port(), 4096)) {
            long before = server.registrations();
            a.register("dev");
            b.register("dev");
            flooder.register("flood");
            stalled.register("flood"); // never reads
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() >= before + 4);

            // Whole lines of messages, written as fast as the server takes them, until the test ends.
            byte[] burst = (RawClient.chat("flood", "x".repeat(200)) + "\n").repeat(256).getBytes(StandardCharsets.UTF_8);
            AtomicLong written = new AtomicLong();
            Thread flood = new Thread(() -> {
                try {
                    while (true) {
                        flooder.write(burst);
                        written.addAndGet(256);
                    }
                } catch (IOException closed) {
                    // the test closed it
                }
            }, "test-flooder");
            flood.setDaemon(true);
            flood.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> written.get() >= 50_000); // well under way

            for (int i = 0; i < 50; i++) {
                a.say("dev", "m" + i);
                assertEquals("dev:m" + i, b.next(), "a message of the pair, during the flood");
            }
            long during = written.get();
            await().atMost(Duration.ofSeconds(10)).until(() -> written.get() > during); // the server still reads it
            flooder.close();
            flood.join(10_000);
            b.say("dev", "after");
            assertEquals("dev:after", a.next());
        }
    }
}
