package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.internal.HubAccess;

/** The extension "presence" over plain sockets and through TopicClient (docs/PROTOCOL.md). */
class PresenceTest {
    private static final String SRC = "\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"2000\"}";
    private ChatHub hub;
    private TopicServer server;

    @BeforeEach
    void start() throws Exception {
        hub = ChatHub.create();
        server = TopicServer.start(TopicServerOptions.builder().hub(hub).build());
    }

    @AfterEach
    void stop() {
        server.close();
        hub.close();
    }

    private RawClient registered() throws Exception {
        RawClient c = new RawClient(server.port());
        long before = server.registrations();
        c.write("{" + SRC + ",\"topics\":[\"dev\"]}\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
        return c;
    }

    @Test
    void aClientSaysItIsThereAndHearsWhoIsTheSameAsOtherTransportsOnTheHub() throws Exception {
        HubAccess.presence(hub, "dev", "zoe"); // a ZeroMQ client on the same hub, say
        try (RawClient a = registered(); RawClient b = registered()) {
            a.write("{\"presence\":{\"topic\":\"dev\",\"user\":\"kyle\"}}\n");
            assertEquals("{\"presence\":{\"topic\":\"dev\",\"users\":[\"kyle\",\"zoe\"]}}", a.line());
            b.write("{\"presence\":{\"topic\":\"dev\"}}\n"); // without a user: only asks
            assertEquals("{\"presence\":{\"topic\":\"dev\",\"users\":[\"kyle\",\"zoe\"]}}", b.line());
            assertEquals(List.of("kyle", "zoe"), HubAccess.presence(hub, "dev", null));
        }
    }

    @Test
    void badPresenceObjectsGetAnErrorAndAClose() throws Exception {
        for (String[] bad : new String[][] {
                {"{\"presence\":{\"topic\":\"ops\"}}", "presence in \"ops\" needs a registration for that topic first"},
                {"{\"presence\":{\"topic\":\"dev\",\"user\":\"ALL\"}}",
                        "user name \"ALL\" is reserved: ALL is the channel that sees every channel"},
                {"{\"presence\":{\"topic\":\"dev\",\"users\":[\"x\"]}}",
                        "\"presence\" with \"users\" is sent by the server only"},
                {"{\"presence\":\"dev\"}", "presence must be an object, not a string"}}) {
            try (RawClient c = registered()) {
                c.write(bad[0] + "\n");
                assertEquals(bad[1], c.json().get("error").asText(), bad[0]);
            }
        }
    }

    /** Who is in dev, as {@code client} hears it; null while it may not ask yet. */
    private static List<String> ask(TopicClient client) throws Exception {
        try {
            return client.presence("dev").get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause().getMessage().equals("the server has not shown it speaks the extensions")) {
                return null;
            }
            throw e;
        }
    }

    @Test
    void topicClientsThatReconnectAskWhoIsThere() throws Exception {
        try (TopicClient alice = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev")).user("alice")
                .retryFor(Duration.ofSeconds(5)).connect(new Recorder());
             TopicClient bob = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev")).user("bob")
                .retryFor(Duration.ofSeconds(5)).connect(new Recorder());
             TopicClient plain = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev"))
                     .connect(new Recorder())) {
            // Asked once the server has answered the resume (it speaks the extensions).
            await().atMost(Duration.ofSeconds(5)).until(() -> alice.isConnected() && ask(alice) != null);
            assertEquals(List.of("alice"), ask(alice));
            await().atMost(Duration.ofSeconds(5)).until(() -> ask(bob) != null);
            assertEquals(List.of("alice", "bob"), ask(bob));
            ExecutionException e = assertThrows(ExecutionException.class, () -> plain.presence("dev").get(5, TimeUnit.SECONDS));
            assertEquals("presence needs a client that reconnects: set retryFor", e.getCause().getMessage());
        }
    }
}
