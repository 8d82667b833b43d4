package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.store.redis.testing.RedisProcess;

/**
 * Servers started with {@code --redis}, run as processes on one real Redis: clients of three
 * servers, over both transports, are one chat (the three-node run of docs/SCALING.md).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RedisClusterIT extends WithProcesses {
    @TempDir
    Path dir;
    RedisProcess redis;

    @AfterEach
    void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void mcClientOnNodeOneChatTopicOnNodeTwoAndAllOnNodeThreeSeeEachOther() throws Exception {
        redis = RedisProcess.start(dir.resolve("redis"));
        String uri = redis.uri().toString();
        Launched one = start("mc_server", "127.0.0.1", "0", "0", "--redis", uri);
        one.awaitErr("mc_server: channels are shared through Redis at 127\\.0\\.0\\.1:" + redis.port() + " .*",
                Launched.WAIT);
        int[] p1 = ZmqLaunchersIT.ports(one);
        Launched two = start("topicserver", "0", "--bind", "127.0.0.1", "--redis", uri);
        int p2 = TcpChatIT.portOf(two);
        Launched three = start("mc_server", "127.0.0.1", "0", "0", "--redis", uri);
        int[] p3 = ZmqLaunchersIT.ports(three);

        Launched zoe = start("mc_client", "127.0.0.1", Integer.toString(p1[0]), Integer.toString(p1[1]), "general",
                "zoe", "--history", "0");
        Launched tom = start("chat", "-topic", "127.0.0.1:" + p2, "general", "--name", "tom");
        Launched watcher = start("mc_client", "127.0.0.1", Integer.toString(p3[0]), Integer.toString(p3[1]), "ALL",
                "watcher", "--history", "0");
        tom.awaitErr("chat: connected to .*", Launched.WAIT);
        Launched.probeUntilPrinted(i -> tom.type("probe " + i), ".*tom: probe \\d+ .*", zoe, watcher);

        zoe.type("hello from node 1");
        tom.awaitOut("general:zoe: hello from node 1", Launched.SOON);
        watcher.awaitOut("\\[general\\] zoe: hello from node 1 " + Launched.TIME, Launched.SOON);
        tom.type("hello from node 2");
        zoe.awaitOut("tom: hello from node 2 " + Launched.TIME, Launched.SOON);
        watcher.awaitOut("\\[general\\] tom: hello from node 2 " + Launched.TIME, Launched.SOON);

        for (Launched client : List.of(zoe, tom, watcher)) {
            client.endInput();
            assertEquals(0, client.exitCode(Launched.SOON), client.err().toString());
        }
        for (Launched server : List.of(one, two, three)) {
            server.terminate();
            assertEquals(0, server.exitCode(Duration.ofSeconds(5)), server.err().toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"post_server 127.0.0.1 0", "pub_server 127.0.0.1 0 0", "mc_server 127.0.0.1 0 0",
        "topicserver 0", "parley_server 127.0.0.1 0 0 0", "web_server 127.0.0.1 0"})
    void aRedisThatCannotBeReachedIsOneLineAndExitOne(String commandLine) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> argv = new ArrayList<>(List.of(commandLine.split(" ")));
        argv.add("--redis");
        argv.add("redis://127.0.0.1:" + port);
        String command = argv.remove(0);
        Launched bad = start(command, argv.toArray(String[]::new));
        assertEquals(1, bad.exitCode());
        bad.awaitOutputEnd(Launched.SOON);
        assertEquals(1, bad.err().size(), bad.err().toString());
        assertTrue(bad.err().get(0).matches(command + ": cannot use Redis at 127\\.0\\.0\\.1:" + port
                + ": .*[Cc]onnection refused.*"), bad.err().toString());
        assertEquals(List.of(), bad.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mc_server 127.0.0.1 0 0", "topicserver 0", "parley_server 127.0.0.1 0 0 0",
        "web_server 127.0.0.1 0"})
    void redisWithDataIsAUsageError(String commandLine) throws Exception {
        List<String> argv = new ArrayList<>(List.of(commandLine.split(" ")));
        argv.addAll(List.of("--redis", "redis://127.0.0.1:6379", "--data", dir.resolve("chat.db").toString()));
        String command = argv.remove(0);
        Launched bad = start(command, argv.toArray(String[]::new));
        assertEquals(2, bad.exitCode());
        bad.awaitErr(command + ": --data and --redis cannot be used together: .*", Launched.SOON);
        bad.awaitErr("usage: " + command + " .*--redis <uri>.*", Launched.SOON);
    }

    @Test
    void aRedisAddressThatIsNotOneIsAUsageError() throws Exception {
        Launched bad = start("mc_server", "127.0.0.1", "0", "0", "--redis", "localhost:6379");
        assertEquals(2, bad.exitCode());
        bad.awaitErr("mc_server: --redis \"localhost:6379\" is not redis://host:port", Launched.SOON);
    }
}
