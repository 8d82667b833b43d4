package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.core.ChatHub;
import org.parley.core.ChatClient;
import org.parley.core.testing.BlockingListener;

/** A listener of the topic server's hub that blocks holds up nobody: the selector never runs it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockedListenerTcpTest {
    @Test
    void aBlockedHubListenerLeavesTheSelectorServingEveryone() throws Exception {
        BlockingListener blocked = new BlockingListener();
        try (ChatHub hub = ChatHub.create();
             TopicServer server = TopicServer.start(TopicServerOptions.builder().hub(hub).build())) {
            hub.subscribe(ChatClient.ALL, blocked);
            try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port())) {
                long before = server.registrations();
                a.register("dev");
                b.register("dev");
                await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() == before + 2);
                a.say("dev", "first");
                assertEquals("dev:first", b.next());
                assertTrue(blocked.awaitStuck(10), "the listener is called, and blocks");
                for (int i = 0; i < 100; i++) {
                    a.say("dev", "m" + i);
                    assertEquals("dev:m" + i, b.next());
                }
            }
        } finally {
            blocked.release();
        }
    }
}
