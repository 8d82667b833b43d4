package org.parley.examples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.testing.RecordingListener;
import org.parley.tcp.TcpMessage;
import org.parley.tcp.TopicClient;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/** The examples over real loopback sockets: the bot and the archiver on ZeroMQ, the bridge both ways. */
class OverTheNetworkTest {
    @TempDir
    Path dir;

    private static ZmqChatServer server(int postPort, int pubPort) throws Exception {
        return ZmqChatServer.start(ZmqServerOptions.builder().postPort(postPort).pubPort(pubPort).build());
    }

    private static ZmqChatClient client(int postPort, int pubPort, String user) throws Exception {
        return ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(postPort).pubPort(pubPort).user(user).build());
    }

    /**
     * Runs {@code step} (a post) every 200 ms until {@code arrived} holds: a subscription has no
     * acknowledgement, so this is how a test knows it is in effect.
     */
    private static void untilArrived(Runnable step, Callable<Boolean> arrived) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (arrived.call()) {
                return true;
            }
            step.run();
            return false;
        });
    }

    @Test
    void botAnswersHelpAndTimeOverZeroMq() throws Exception {
        try (ZmqChatServer server = server(0, 0);
             ZmqChatClient botClient = client(server.postPort(), server.pubPort(), "echobot");
             EchoBot bot = EchoBot.start(botClient, "general");
             ZmqChatClient alice = client(server.postPort(), server.pubPort(), "alice")) {
            BlockingQueue<ChatMessage> fromBot = new LinkedBlockingQueue<>();
            alice.subscribe("general", m -> {
                if (m.user().equals("echobot")) {
                    fromBot.add(m);
                }
            });
            // Until the bot's subscription is in effect, a !help goes unanswered.
            untilArrived(() -> alice.post("general", "!help").join(), () -> !fromBot.isEmpty());
            assertEquals(EchoBot.HELP, fromBot.take().text());
            fromBot.clear();
            alice.post("general", "!time").join();
            ChatMessage answer = fromBot.poll(10, TimeUnit.SECONDS);
            assertTrue(answer != null && answer.text().matches("the time is \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC"),
                    String.valueOf(answer));
        }
    }

    @Test
    void archiverKeepsArchivingAcrossAServerRestartAndNothingTwice() throws Exception {
        Path file = dir.resolve("chat.jsonl");
        ZmqChatServer server = server(0, 0);
        int postPort = server.postPort();
        int pubPort = server.pubPort();
        List<String> beforeRestart;
        List<String> newLog = new ArrayList<>();
        try (ZmqChatClient archiveClient = client(postPort, pubPort, "archiver");
             Archiver archiver = Archiver.start(archiveClient, file)) {
            try (ChatClient alice = server.hub().connect("alice")) {
                untilArrived(() -> alice.post("sync", "are you there?").join(), () -> archiver.written() > 0);
                alice.post("general", "last before the restart").join();
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(file).stream()
                        .anyMatch(l -> l.contains("last before the restart")));
                beforeRestart = Files.readAllLines(file, StandardCharsets.UTF_8);
            }
            server.close();
            server = server(postPort, pubPort); // same ports, an empty log, seq from 1 again
            try (ChatClient bob = server.hub().connect("bob")) {
                long written = archiver.written();
                int[] n = {0};
                untilArrived(() -> bob.post("general", "after " + ++n[0]).join(), () -> archiver.written() > written);
                await().atMost(Duration.ofSeconds(10)).until(() -> archiver.written() == written + n[0]);
                for (ChatMessage m : server.hub().history("general", 0, 1000).messages()) {
                    newLog.add(Archiver.line(m));
                }
            }
        } finally {
            server.close();
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(1, beforeRestart.stream().filter(l -> l.contains("last before the restart")).count());
        // Every message of the new server, from its seq 1, in order, once; the old ones not again.
        List<String> expected = new ArrayList<>(beforeRestart);
        expected.addAll(newLog);
        assertEquals(expected, lines);
        assertTrue(newLog.get(0).startsWith("{\"channel\":\"general\",\"seq\":1,"), newLog.get(0));
    }

    @Test
    void bridgePassesAMessageBothWays() throws Exception {
        try (BridgeExample bridge = BridgeExample.start("127.0.0.1", 0, 0, 0);
             ZmqChatClient zoe = client(bridge.zmq().postPort(), bridge.zmq().pubPort(), "zoe")) {
            RecordingListener onZmq = new RecordingListener();
            zoe.subscribe("general", onZmq);
            BlockingQueue<TcpMessage> onTcp = new LinkedBlockingQueue<>();
            try (TopicClient tcp = TopicClient.builder("127.0.0.1", bridge.tcp().port()).topics(List.of("general"))
                    .connect(onTcp::add)) {
                untilArrived(() -> tcp.send("hello from tcp"), () -> onZmq.queued() > 0);
                ChatMessage fromTcp = onZmq.next();
                assertEquals("hello from tcp", fromTcp.text());
                assertTrue(fromTcp.user().matches("127\\.0\\.0\\.1-\\d+"), fromTcp.user());

                zoe.post("general", "hello from zmq").join();
                TcpMessage m = onTcp.poll(10, TimeUnit.SECONDS);
                assertTrue(m != null, "nothing reached the TCP client");
                assertEquals("general", m.topic());
                assertEquals("hello from zmq", m.text());
                assertEquals("zoe", m.user());
            }
        }
    }
}
