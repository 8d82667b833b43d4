package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.PostAck;
import org.parley.core.testing.RecordingListener;
import org.parley.store.sqlite.SqliteStore;
import org.parley.tcp.TcpListener;
import org.parley.tcp.TopicClient;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Servers with {@code --data <file>}, run as processes: a restart keeps history, numbering and
 * epoch; {@code kill -9} in the middle of a stream of posts loses none that was acknowledged; a
 * file that cannot be used is one line and exit 1.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DurableServerIT extends WithProcesses {
    @TempDir
    Path dir;

    /** The epoch a ZeroMQ server answers a history request with, asked on a socket of our own. */
    static String epoch(int postPort) {
        try (ZContext context = new ZContext(); ZMQ.Socket req = context.createSocket(SocketType.REQ)) {
            // A context that connects needs the ticker: JeroMQ 0.6.0's poller can strand a fresh
            // connection otherwise (see IoTicker), and the request would wait out its timeout.
            org.parley.zmq.internal.IoTicker.attach(context);
            req.setReceiveTimeOut(30_000); // a first request on a busy machine: JVM warm-up, the first read of the file
            req.connect("tcp://127.0.0.1:" + postPort);
            req.send("{\"type\":\"history\",\"channel\":\"dev\",\"limit\":0}");
            String reply = req.recvStr();
            Matcher m = Pattern.compile("\"epoch\":\"([^\"]+)\"").matcher(String.valueOf(reply));
            assertTrue(m.find(), "no epoch in " + reply);
            return m.group(1);
        }
    }

    static ZmqChatClient client(int[] ports, String user) throws Exception {
        return ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                .postPort(ports[0]).pubPort(ports[1]).user(user).build());
    }

    /** Every message of {@code channel} a ZeroMQ server holds, oldest first. */
    static List<ChatMessage> everything(ZmqChatClient client, String channel) throws Exception {
        List<ChatMessage> all = new ArrayList<>();
        while (true) {
            long after = all.isEmpty() ? 0 : all.get(all.size() - 1).seq();
            HistoryPage page = client.history(channel, after, 1000).get(30, TimeUnit.SECONDS);
            if (page.messages().isEmpty()) {
                return all;
            }
            all.addAll(page.messages());
        }
    }

    @Test
    void mcServerRestartedOnItsFileKeepsHistoryNumberingAndEpoch() throws Exception {
        String data = dir.resolve("chat.db").toString();
        Launched server = start("mc_server", "127.0.0.1", "0", "0", "--data", data);
        server.awaitErr("mc_server: messages are kept in " + Pattern.quote(data), Launched.WAIT);
        int[] ports = ZmqLaunchersIT.ports(server);
        String epoch = epoch(ports[0]);
        RecordingListener heard = new RecordingListener();
        try (ZmqChatClient alice = client(ports, "alice");
             ZmqChatClient watcher = client(ports, "watcher")) {
            for (int i = 1; i <= 3; i++) {
                assertEquals(i, alice.post("dev", "before " + i).get(10, TimeUnit.SECONDS).seq());
            }
            watcher.subscribe("dev", 10, heard);
            assertEquals(List.of("before 1", "before 2", "before 3"),
                    heard.next(3).stream().map(ChatMessage::text).toList());

            server.terminate();
            assertEquals(0, server.exitCode(Launched.SOON));
            Launched again = start("mc_server", "127.0.0.1", Integer.toString(ports[0]), Integer.toString(ports[1]),
                    "--data", data);
            ZmqLaunchersIT.ports(again);
            assertEquals(epoch, epoch(ports[0]), "the epoch stays with the file");

            // The same clients go on: numbering continues, the subscriber sees no restart.
            assertEquals(4, alice.post("dev", "after").get(30, TimeUnit.SECONDS).seq());
            ChatMessage after = heard.next(Duration.ofSeconds(30));
            assertEquals("after", after.text());
            assertEquals(4, after.seq());

            // A client that joins now is shown the old messages with the new.
            Launched late = start("mc_client", "127.0.0.1", Integer.toString(ports[0]), Integer.toString(ports[1]),
                    "dev", "late");
            late.awaitOut("alice: after " + Launched.TIME, Launched.WAIT);
            late.endInput();
            assertEquals(0, late.exitCode(Launched.SOON));
            assertEquals(List.of("before 1", "before 2", "before 3", "after"), late.out().stream()
                    .filter(l -> l.startsWith("alice: ")).map(l -> l.substring(7, l.lastIndexOf(" ("))).toList());
        }
        assertEquals(null, heard.poll(Duration.ofMillis(300)), "no message twice");
    }

    @Test
    void topicServerRestartedOnItsFileResumesItsClientsWithNothingCountedAnew() throws Exception {
        String data = dir.resolve("chat.db").toString();
        Launched server = start("topicserver", "0", "--bind", "127.0.0.1", "--data", data);
        int port = server.ports(".*listening on.*", Launched.WAIT).get(0);
        java.util.concurrent.BlockingQueue<String> heard = new java.util.concurrent.LinkedBlockingQueue<>();
        try (TopicClient reader = TopicClient.builder("127.0.0.1", port).topics(List.of("dev")).user("reader")
                     .retryFor(Duration.ofSeconds(60)).connect(m -> heard.add(m.text()));
             TopicClient writer = TopicClient.builder("127.0.0.1", port).topics(List.of("dev")).user("writer")
                     .retryFor(Duration.ofSeconds(60)).connect(m -> { })) {
            for (int i = 1; i <= 3; i++) {
                assertEquals(i, writer.sendAcknowledged("dev", "before " + i).get(30, TimeUnit.SECONDS).seq());
            }
            for (int i = 1; i <= 3; i++) {
                assertEquals("before " + i, heard.poll(30, TimeUnit.SECONDS));
            }
            server.terminate();
            assertEquals(0, server.exitCode(Launched.SOON));
            Launched again = start("topicserver", Integer.toString(port), "--bind", "127.0.0.1", "--data", data);
            again.awaitErr(".*listening on.*", Launched.WAIT);
            // Acknowledged by the restarted server as the fourth: its numbering went on.
            assertEquals(4, writer.sendAcknowledged("dev", "after").get(60, TimeUnit.SECONDS).seq());
            assertEquals("after", heard.poll(60, TimeUnit.SECONDS), "nothing replayed before it: " + heard);
            assertEquals(null, heard.poll(500, TimeUnit.MILLISECONDS), "nothing twice");
        }
    }

    @Test
    void killDuringTenThousandPipelinedPostsLosesNoAcknowledgedOne() throws Exception {
        String data = dir.resolve("chat.db").toString();
        Launched server = start("mc_server", "127.0.0.1", "0", "0", "--data", data);
        int[] ports = ZmqLaunchersIT.ports(server);
        int posters = 4;
        int each = 2500;
        Map<String, Long> acknowledged = new ConcurrentHashMap<>(); // "user text" -> seq
        List<ZmqChatClient> clients = new ArrayList<>();
        try {
            for (int p = 0; p < posters; p++) {
                clients.add(ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                        .postPort(ports[0]).user("poster" + p).maxPendingRequests(each).build()));
            }
            for (int i = 0; i < each; i++) {
                for (ZmqChatClient c : clients) {
                    String text = "post " + i;
                    c.post("dev", text).thenAccept(ack -> acknowledged.put(c.user() + " " + text, ack.seq()));
                }
            }
            // Killed mid-stream: once a share is acknowledged, before all are.
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> acknowledged.size() >= 2000);
            server.kill();
        } finally {
            clients.forEach(ZmqChatClient::close);
        }
        Map<String, Long> seen = Map.copyOf(acknowledged); // nothing more comes: the server is dead
        assertTrue(seen.size() < posters * each, "killed after every post was acknowledged: " + seen.size());

        Launched again = start("mc_server", "127.0.0.1", "0", "0", "--data", data);
        int[] newPorts = ZmqLaunchersIT.ports(again);
        try (ZmqChatClient reader = client(newPorts, "reader")) {
            List<ChatMessage> held = everything(reader, "dev");
            for (int i = 0; i < held.size(); i++) {
                assertEquals(i + 1, held.get(i).seq(), "seq 1..N with no gap");
            }
            Map<String, Long> stored = new ConcurrentHashMap<>();
            held.forEach(m -> stored.put(m.user() + " " + m.text(), m.seq()));
            assertEquals(held.size(), stored.size(), "no post stored twice");
            for (Map.Entry<String, Long> ack : seen.entrySet()) {
                assertEquals(ack.getValue(), stored.get(ack.getKey()), "acknowledged as #" + ack.getValue()
                        + ", then lost: " + ack.getKey());
            }
            System.err.println("kill -9: " + seen.size() + " acknowledged, " + held.size() + " stored");
        }
    }

    @Test
    void topicServerKilledDuringAcknowledgedPostsLosesNoAcknowledgedOne() throws Exception {
        Path file = dir.resolve("chat.db");
        Launched server = start("topicserver", "0", "--bind", "127.0.0.1", "--data", file.toString());
        int port = server.ports(".*listening on.*", Launched.WAIT).get(0);
        int posters = 4;
        int each = 2500;
        Map<String, Long> acknowledged = new ConcurrentHashMap<>();
        List<TopicClient> clients = new ArrayList<>();
        try {
            for (int p = 0; p < posters; p++) {
                clients.add(TopicClient.builder("127.0.0.1", port).topics(List.of("dev")).user("poster" + p)
                        .retryFor(Duration.ofSeconds(60)).connect(new TcpListener() {
                            @Override
                            public void onMessage(org.parley.tcp.TcpMessage message) {
                            }
                        }));
            }
            List<CompletableFuture<PostAck>> all = new ArrayList<>();
            for (int i = 0; i < each; i++) {
                for (int p = 0; p < posters; p++) {
                    String key = "poster" + p + " post " + i;
                    all.add(clients.get(p).sendAcknowledged("dev", "post " + i)
                            .thenApply(ack -> {
                                acknowledged.put(key, ack.seq());
                                return ack;
                            }));
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> acknowledged.size() >= 2000);
            server.kill();
        } finally {
            clients.forEach(TopicClient::close);
        }
        Map<String, Long> seen = Map.copyOf(acknowledged);
        assertTrue(seen.size() < posters * each, "killed after every post was acknowledged: " + seen.size());
        // The dead server's lock went with it: the file opens, as a restarted server opens it.
        try (SqliteStore store = SqliteStore.builder(file).open()) {
            List<ChatMessage> held = new ArrayList<>();
            while (true) {
                long after = held.isEmpty() ? 0 : held.get(held.size() - 1).seq();
                List<ChatMessage> page = store.after("dev", after, 1000).messages();
                if (page.isEmpty()) {
                    break;
                }
                held.addAll(page);
            }
            for (int i = 0; i < held.size(); i++) {
                assertEquals(i + 1, held.get(i).seq(), "seq 1..N with no gap");
            }
            Map<String, Long> stored = new ConcurrentHashMap<>();
            held.forEach(m -> stored.put(m.user() + " " + m.text(), m.seq()));
            assertEquals(held.size(), stored.size(), "no post stored twice");
            for (Map.Entry<String, Long> ack : seen.entrySet()) {
                assertEquals(ack.getValue(), stored.get(ack.getKey()), "acknowledged, then lost: " + ack.getKey());
            }
            System.err.println("topicserver kill -9: " + seen.size() + " acknowledged, " + held.size() + " stored");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"post_server 127.0.0.1 0", "pub_server 127.0.0.1 0 0", "mc_server 127.0.0.1 0 0",
        "topicserver 0", "parley_server 127.0.0.1 0 0 0"})
    void aFileThatIsNotAStoreIsOneLineAndExitOne(String commandLine) throws Exception {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "not a chat\n");
        List<String> argv = new ArrayList<>(List.of(commandLine.split(" ")));
        argv.add("--data");
        argv.add(notes.toString());
        String command = argv.remove(0);
        Launched bad = start(command, argv.toArray(String[]::new));
        assertEquals(1, bad.exitCode());
        bad.awaitOutputEnd(Launched.SOON);
        assertEquals(List.of(command + ": cannot open " + notes + ": it is not a Parley store (not an SQLite database)"),
                bad.err());
        assertEquals(List.of(), bad.out());
    }

    @Test
    void aSecondServerOnTheSameFileIsOneLineAndExitOne() throws Exception {
        String data = dir.resolve("chat.db").toString();
        Launched first = start("mc_server", "127.0.0.1", "0", "0", "--data", data);
        ZmqLaunchersIT.ports(first);
        Launched second = start("topicserver", "0", "--data", data);
        assertEquals(1, second.exitCode());
        second.awaitOutputEnd(Launched.SOON);
        assertEquals(List.of("topicserver: cannot open " + data + ": another server is using it (it holds "
                + data + ".lock)"), second.err());
    }

    @Test
    void dataWithoutAFileIsAUsageError() throws Exception {
        Launched bad = start("mc_server", "127.0.0.1", "0", "0", "--data");
        assertEquals(2, bad.exitCode());
        bad.awaitErr("mc_server: --data needs a value", Launched.SOON);
        bad.awaitErr("usage: mc_server .*", Launched.SOON);
    }
}
