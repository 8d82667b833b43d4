package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatClient;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.testing.RecordingListener;

class TopicServerTest {
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

    /** A raw client whose registration has taken effect on the server. */
    private RawClient client(String... topics) throws Exception {
        RawClient c = new RawClient(server.port());
        register(c, topics);
        return c;
    }

    private void register(RawClient c, String... topics) throws Exception {
        long before = server.registrations();
        c.register(topics);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
    }

    @Test
    void subscriberOfDevSeesDevAndNeverDevops() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("dev"); RawClient c = client("devops")) {
            a.say("dev", "hello dev");
            assertEquals("dev:hello dev", b.next());
            b.say("devops", "not registered for devops"); // discarded: b is not a devops client
            a.write(RawClient.chat("devops", "nor is a") + "\n");
            try (RawClient d = client("devops")) {
                d.say("devops", "devops only");
                assertEquals("devops:devops only", c.next()); // the first thing c ever sees
            }
            // a's line came on another socket than d's: it may be handled a moment later.
            await().atMost(Duration.ofSeconds(5)).until(() -> server.discarded() == 2);
        }
    }

    @Test
    void senderGetsNoEcho() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("dev")) {
            a.say("dev", "one");
            assertEquals("dev:one", b.next());
            b.say("dev", "two");
            assertEquals("dev:two", a.next()); // not "dev:one" echoed back
        }
    }

    @Test
    void messageOfAnUnregisteredSenderIsDiscardedAndCounted() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("ops")) {
            a.say("ops", "sneaking in");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.discarded() == 1);
            try (RawClient c = client("ops")) {
                c.say("ops", "proper");
                assertEquals("ops:proper", b.next());
            }
            assertTrue(hub.history("ops", 0, 10).messages().stream().noneMatch(m -> m.text().equals("sneaking in")));
        }
    }

    @Test
    void sourceIsRewrittenToTheAddressObservedOnTheSendersConnection() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("dev")) {
            a.say("dev", "who am i"); // claims 10.0.0.1:2000
            JsonNode m = b.json();
            assertEquals(a.ip(), m.get("source").get("ip").textValue());
            assertEquals(Integer.toString(a.port()), m.get("source").get("port").textValue());
            assertEquals("who am i", m.get("message").get("text").textValue());
        }
    }

    @Test
    void laterRegistrationReplacesTheSet() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("dev", "ops")) {
            register(a, "ops");
            b.say("dev", "dev after a left it");
            b.say("ops", "ops now");
            assertEquals("ops:ops now", a.next());
        }
    }

    @Test
    void topicsAsASingleStringRegister() throws Exception {
        try (RawClient a = new RawClient(server.port()); RawClient b = client("dev")) {
            long before = server.registrations();
            a.write("{\"source\":{\"ip\":\"1.1.1.1\",\"port\":1},\"topics\":\"dev\"}");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.registrations() > before);
            a.say("dev", "ping"); // a registered, so this is forwarded
            assertEquals("dev:ping", b.next());
        }
    }

    @Test
    void forwardedMessagesLandInTheHubLogUnderTheSendersAddress() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("dev")) {
            a.say("dev", "logged");
            a.write("{\"source\":{\"ip\":\"1.1.1.1\",\"port\":1},\"message\":{\"topic\":\"dev\",\"text\":\"signed\",\"user\":\"kyle\"}}");
            assertEquals("dev:logged", b.next());
            assertEquals("kyle", b.json().get("message").get("user").textValue());
            List<ChatMessage> log = hub.history("dev", 0, 10).messages();
            assertEquals(List.of("logged", "signed"), log.stream().map(ChatMessage::text).toList());
            assertEquals("127.0.0.1-" + a.port(), log.get(0).user());
            assertEquals("kyle", log.get(1).user());
            assertEquals(1, log.get(0).seq());
        }
    }

    @Test
    void theUserNameAllIsRefusedWhileAllAndAllInOtherCasesAreOrdinaryNames() throws Exception {
        String src = "{\"source\":{\"ip\":\"1.1.1.1\",\"port\":1},\"message\":{\"topic\":\"dev\",\"text\":";
        try (RawClient a = client("dev"); RawClient b = client("dev"); RawClient bad = client("dev")) {
            a.write(src + "\"lower\",\"user\":\"all\"}}");
            a.write(src + "\"mixed\",\"user\":\"All\"}}");
            assertEquals("all", b.json().get("message").get("user").textValue());
            assertEquals("All", b.json().get("message").get("user").textValue());
            bad.write(src + "\"reserved\",\"user\":\"ALL\"}}");
            JsonNode error = bad.json();
            while (!error.has("error")) { // what was forwarded to it before its own message was read
                error = bad.json();
            }
            assertEquals("user name \"ALL\" is reserved: ALL is the channel that sees every channel",
                    error.get("error").textValue());
            assertTrue(bad.closedByServer());
            a.say("dev", "after");
            assertEquals("dev:after", b.next());
            assertEquals(List.of("all", "All", "127.0.0.1-" + a.port()),
                    hub.history("dev", 0, 10).messages().stream().map(ChatMessage::user).toList());
        }
    }

    @Test
    void messageFromAnotherTransportOnTheHubReachesTcpClientsAndBack() throws Exception {
        RecordingListener heard = new RecordingListener();
        try (RawClient a = client("dev"); ChatClient zmqSide = hub.connect("alice")) {
            zmqSide.subscribe("dev", heard);
            zmqSide.post("dev", "from the bridge").join();
            JsonNode m = a.json();
            assertEquals("dev", m.get("message").get("topic").textValue());
            assertEquals("from the bridge", m.get("message").get("text").textValue());
            assertEquals("alice", m.get("message").get("user").textValue());
            assertEquals(Integer.toString(server.port()), m.get("source").get("port").textValue());
            assertEquals("from the bridge", heard.next().text()); // its own post comes back to it
            a.say("dev", "to the bridge");
            assertEquals("to the bridge", heard.next().text());
        }
    }

    @Test
    void clientOfAllSeesEveryTopicOnce() throws Exception {
        try (RawClient all = client("ALL", "dev"); RawClient a = client("dev", "ops")) {
            a.say("dev", "d");
            a.say("ops", "o");
            assertEquals("dev:d", all.next());
            assertEquals("ops:o", all.next());
        }
    }

    @Test
    void everyRecipientGetsTheSameLine() throws Exception {
        try (RawClient a = client("dev"); RawClient b = client("dev"); RawClient c = client("dev")) {
            a.say("dev", "same bytes");
            String line = b.line();
            assertTrue(line.contains("\"text\":\"same bytes\""), line);
            assertEquals(line, c.line());
        }
    }

    @Test
    void peerThatNeverReadsIsCutOffWithoutHarmingOthers() throws Exception {
        server.close();
        // 1 MB: an honest reader starved of CPU by a busy machine stays within it; the stuck
        // one, 5 MB behind, is far past it.
        server = TopicServer.start(TopicServerOptions.builder().hub(hub).maxOutboundBytes(1_000_000).build());
        String text = "x".repeat(8000);
        int count = 600; // about 5 MB: more than the kernel buffers of a small-buffered reader hold
        try (RawClient sender = client("dev"); RawClient reader = client("dev");
             RawClient stuck = new RawClient(server.port(), 4096)) {
            register(stuck, "dev");
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < count; i++) {
                        sender.say("dev", text + i);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "test-writer");
            writer.start();
            for (int i = 0; i < count; i++) {
                assertEquals("dev:" + text + i, reader.next());
            }
            writer.join(10_000);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 2);
        }
    }

    @Test
    void readersThatFallBehindGetEveryMessageIntactAndInOrderOnceTheyRead() throws Exception {
        server.close();
        server = TopicServer.start(TopicServerOptions.builder().hub(hub).maxOutboundBytes(32 << 20).build());
        String text = "y".repeat(7000);
        int count = 1500; // about 10 MB: more than the kernel's buffers on both sides hold, under the cap
        // Two readers whose sockets take different amounts: each message's one encoding is
        // written to each of them from a different place whenever a write was partial.
        try (RawClient sender = client("dev"); RawClient late = new RawClient(server.port(), 4096);
             RawClient later = new RawClient(server.port(), 10_000)) {
            register(late, "dev");
            register(later, "dev");
            for (int i = 0; i < count; i++) {
                sender.say("dev", text + i); // the server writes what fits, the rest as the readers read
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.forwarded() >= count);
            for (int i = 0; i < count; i++) {
                assertEquals("dev:" + text + i, late.next());
            }
            for (int i = 0; i < count; i++) {
                assertEquals("dev:" + text + i, later.next());
            }
        }
    }

    @Test
    void closeLeavesNoThreadBehind() throws Exception {
        try (RawClient a = client("dev")) {
        }
        server.close();
        server.close(); // idempotent
        assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(n -> n.startsWith("parley-tcp-")).toList());
    }
}
