package org.parley.zmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.parley.zmq.ZmqTestSupport.awaitJoined;
import static org.parley.zmq.ZmqTestSupport.client;
import static org.parley.zmq.ZmqTestSupport.startServer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parley.core.testing.RecordingListener;

/** The clients of a process share one JeroMQ context: closing one leaves the others working; the last ends it. */
class SharedContextTest {
    @Test
    void closingOneClientLeavesTheOthersWorkingAndTheLastEndsTheContext() throws Exception {
        // Every client of an earlier test is closed: none holds a share (a leaked one fails here).
        await().atMost(Duration.ofSeconds(10)).until(() -> SharedContext.users() == 0);
        try (ZmqChatServer server = startServer()) {
            ZmqChatClient alice = client(server, "alice");
            ZmqChatClient bob = client(server, "bob");
            await().atMost(Duration.ofSeconds(10)).until(() -> SharedContext.users() == 2); // taken by their threads
            RecordingListener heard = new RecordingListener();
            bob.subscribe("general", heard);
            awaitJoined(bob, alice);

            alice.close();
            assertEquals(1, SharedContext.users(), "alice's close released her share");
            bob.post("general", "still here").get(10, TimeUnit.SECONDS); // bob's connections are up
            assertEquals("still here", heard.next().text());
            assertEquals(0, heard.queued(), "nothing else");

            bob.close();
            assertEquals(0, SharedContext.users(), "the last client ended the context");
            try (ZmqChatClient carol = client(server, "carol")) { // a context made again
                carol.post("general", "after").get(10, TimeUnit.SECONDS);
                assertEquals(1, SharedContext.users());
            }
            assertEquals(0, SharedContext.users());
        }
    }
}
