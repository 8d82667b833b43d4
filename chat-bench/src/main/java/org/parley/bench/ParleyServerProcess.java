package org.parley.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqServerOptions;

/**
 * A Parley server as its own process, on loopback, until stopped: for the benchmarks that
 * measure a server apart from its clients (the connection benchmark, the servers with light
 * clients). It starts like the other servers of this jar ({@link ExternalServer#startJava}: same
 * java, same heap limit), so the figures of two of them compare the servers and nothing else.
 *
 * <pre>
 * ParleyServerProcess topic &lt;port&gt;                the TopicServer that bin/topicserver runs
 * ParleyServerProcess zmq &lt;post_port&gt; &lt;pub_port&gt;  the ZmqChatServer that bin/mc_server runs
 * </pre>
 *
 * <p>Each with the default options of its command but one: every client of the benchmark comes
 * from 127.0.0.1, so the topic server's limit of connections from one address is raised to its
 * limit of connections in all (a server's default would refuse all but the first {@value
 * TopicServerOptions#DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}). It ends on SIGTERM, or with the
 * benchmark ({@link ServerControl}).
 *
 * <p>Thread safety: a program entry point.
 */
final class ParleyServerProcess {
    static final String TOPIC = "topic";
    static final String ZMQ = "zmq";

    private ParleyServerProcess() {
    }

    /** Its arguments for the topic server on {@code port} (a number or a placeholder such as {port}). */
    static List<String> topic(String port) {
        return List.of(TOPIC, port);
    }

    /** Its arguments for the ZeroMQ server on these ports. */
    static List<String> zmq(int postPort, int pubPort) {
        return List.of(ZMQ, Integer.toString(postPort), Integer.toString(pubPort));
    }

    public static void main(String[] args) throws InterruptedException {
        AutoCloseable server;
        try {
            if (args.length == 2 && TOPIC.equals(args[0])) {
                server = TopicServer.start(TopicServerOptions.builder()
                        .bindAddress(InetAddress.getLoopbackAddress()).port(Integer.parseInt(args[1]))
                        .maxConnectionsPerAddress(TopicServerOptions.DEFAULT_MAX_CONNECTIONS).build());
            } else if (args.length == 3 && ZMQ.equals(args[0])) {
                server = ZmqChatServer.start(ZmqServerOptions.builder().host("127.0.0.1")
                        .postPort(Integer.parseInt(args[1])).pubPort(Integer.parseInt(args[2])).build());
            } else {
                System.err.println("usage: ParleyServerProcess topic <port> | zmq <post_port> <pub_port>");
                System.exit(2);
                return;
            }
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("ParleyServerProcess: " + e.getMessage()); // one line: the benchmark shows it
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("closing the server failed: " + e);
            }
        }, "parley-bench-server-stop"));
        ServerControl.endWithTheBenchmark("parley-bench-server");
        new CountDownLatch(1).await(); // SIGTERM ends the process; the hook closes the server
    }
}
