package org.parley.zmq;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.testing.RecordingListener;

/** Servers, clients and SUB synchronisation for the tests: ephemeral ports, no sleeps. */
final class ZmqTestSupport {
    private ZmqTestSupport() {
    }

    static ZmqChatServer startServer() throws IOException {
        return ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).build());
    }

    /**
     * Closes {@code server} and starts a new one on the same ports: an empty log, a new epoch
     * (checked), numbering from 1 again, as a restarted server.
     */
    static ZmqChatServer restartOnSamePorts(ZmqChatServer server) throws IOException {
        String oldEpoch = server.hub().epoch();
        int postPort = server.postPort();
        int pubPort = server.pubPort();
        server.close();
        ZmqChatServer restarted = ZmqChatServer.start(ZmqServerOptions.builder().postPort(postPort).pubPort(pubPort).build());
        if (oldEpoch.equals(restarted.hub().epoch())) {
            restarted.close();
            throw new AssertionError("the restarted server kept the epoch " + oldEpoch);
        }
        return restarted;
    }

    static ZmqClientOptions.Builder clientOf(ZmqChatServer server, String user) {
        return ZmqClientOptions.builder()
                .postPort(server.postPort()).pubPort(server.pubPort()).user(user);
    }

    static ZmqChatClient client(ZmqChatServer server, String user) throws IOException {
        return ZmqChatClient.connect(clientOf(server, user).build());
    }

    /**
     * Returns once {@code subscriber}'s subscriptions made so far are in effect at the server:
     * it subscribes to a fresh channel after them and posts there until a message arrives.
     * ZeroMQ applies one connection's subscriptions in order, so the earlier ones are active.
     */
    static void awaitJoined(ZmqChatClient subscriber, ChatClient poster) throws InterruptedException {
        String sync = "sync-" + UUID.randomUUID().toString().substring(0, 8);
        RecordingListener probes = new RecordingListener();
        try (var s = subscriber.subscribe(sync, probes)) {
            for (int i = 0; i < 100; i++) {
                poster.post(sync, "probe " + i).join();
                if (probes.poll(Duration.ofMillis(100)) != null) {
                    return;
                }
            }
        }
        throw new AssertionError("subscription of " + subscriber.user() + " never took effect");
    }

    static List<String> texts(List<ChatMessage> messages) {
        return messages.stream().map(ChatMessage::text).toList();
    }

    /** Names of the live threads this project or JeroMQ started. */
    static Set<String> parleyThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("parley-"))
                .collect(Collectors.toSet());
    }
}
