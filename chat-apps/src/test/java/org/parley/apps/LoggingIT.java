package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/** A client prints no log line unless --verbose; a server keeps its warnings. */
class LoggingIT {

    /**
     * A ZeroMQ "server" on the post port that answers every request with a reply that is not
     * JSON: the client logs a warning for each (once per interval), and its request times out.
     */
    @Test
    void aClientThatIgnoresABadReplyLogsItOnlyWithVerbose() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch bound = new CountDownLatch(1);
        int[] port = new int[1];
        try (ZContext context = new ZContext()) {
            Thread server = new Thread(() -> {
                ZMQ.Socket router = context.createSocket(SocketType.ROUTER);
                router.setReceiveTimeOut(100);
                port[0] = router.bindToRandomPort("tcp://127.0.0.1");
                bound.countDown();
                try {
                    while (!stop.get()) {
                        byte[] identity = router.recv();
                        if (identity == null) {
                            continue;
                        }
                        while (router.hasReceiveMore()) {
                            router.recv(); // the delimiter and the request
                        }
                        router.sendMore(identity);
                        router.sendMore(new byte[0]);
                        router.send("this is not JSON".getBytes(StandardCharsets.UTF_8));
                        answered.incrementAndGet();
                    }
                } catch (ZMQException e) {
                    // the context is closing
                } finally {
                    router.close();
                }
            }, "bad-reply-server");
            server.start();
            try {
                assertTrue(bound.await(10, TimeUnit.SECONDS));
                String postPort = Integer.toString(port[0]);
                String pubPort = Integer.toString(ZmqLaunchersIT.freePort());
                try (Launched quiet = Launched.start("mc_client", "127.0.0.1", postPort, pubPort, "dev", "alice");
                     Launched verbose = Launched.start("mc_client", "127.0.0.1", postPort, pubPort, "dev", "bob",
                             "--verbose")) {
                    assertEquals(1, quiet.exitCode());
                    assertEquals(1, verbose.exitCode());
                    quiet.awaitOutputEnd(Launched.SOON);
                    verbose.awaitOutputEnd(Launched.SOON);
                    String unreachable = "mc_client: cannot reach the server: no reply from tcp://127.0.0.1:"
                            + postPort + " within 5 s";
                    assertEquals(List.of(unreachable), quiet.err());
                    // The same run with --verbose: the warning the quiet one kept to itself.
                    verbose.awaitErr("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN .*reply from tcp://127\\.0\\.0\\.1:" + postPort
                            + " ignored: .*", Launched.SOON);
                    assertTrue(verbose.err().contains(unreachable), verbose.err().toString());
                    assertTrue(answered.get() >= 2, "the server answered " + answered.get() + " requests");
                }
            } finally {
                stop.set(true);
                server.join(5000);
            }
        }
    }

    @Test
    void aServerStillLogsItsWarningsAndVerboseAddsItsInfoLines() throws Exception {
        // A client that sends a message to a topic it has not registered for: the server warns.
        try (Launched quiet = Launched.start("topicserver", "0");
             Launched verbose = Launched.start("topicserver", "0", "--verbose")) {
            for (Launched server : List.of(quiet, verbose)) {
                int port = TcpChatIT.portOf(server);
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    s.getOutputStream().write(("{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"1\"},"
                            + "\"message\":{\"topic\":\"dev\",\"text\":\"hi\"}}\n").getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    server.awaitErr(".* WARN .*", Launched.SOON);
                }
            }
            verbose.awaitErr(".* INFO .*topic server listening on .*", Launched.SOON);
            quiet.terminate();
            assertEquals(0, quiet.exitCode());
            quiet.awaitOutputEnd(Launched.SOON);
            assertTrue(quiet.err().stream().noneMatch(l -> l.contains(" INFO ")), quiet.err().toString());
        }
    }
}
