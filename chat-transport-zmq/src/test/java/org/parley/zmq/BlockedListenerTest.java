package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.core.ChatMessage;
import org.parley.core.ChatClient;
import org.parley.core.testing.BlockingListener;
import org.parley.core.testing.RecordingListener;

/** A listener of the server's hub that blocks holds up nobody: delivery is the hub's, on its own threads. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlockedListenerTest {
    @Test
    void aBlockedHubListenerLeavesTheServerServingPostsAndSubscribers() throws Exception {
        BlockingListener blocked = new BlockingListener();
        try (ZmqChatServer server = ZmqTestSupport.startServer();
             ZmqChatClient alice = ZmqTestSupport.client(server, "alice");
             ZmqChatClient bob = ZmqTestSupport.client(server, "bob")) {
            server.hub().subscribe(ChatClient.ALL, blocked);
            RecordingListener heard = new RecordingListener();
            bob.subscribe("general", heard);
            ZmqTestSupport.awaitJoined(bob, alice);
            assertTrue(blocked.awaitStuck(10), "the listener is called, and blocks");
            for (int i = 0; i < 200; i++) {
                assertEquals("general", alice.post("general", "m" + i).get(5, TimeUnit.SECONDS).channel());
            }
            List<ChatMessage> got = heard.next(200);
            assertEquals("m199", got.get(199).text());
        } finally {
            blocked.release();
        }
    }
}
