package org.parley.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CountDownLatch;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;

/**
 * The Parley topic server as its own process, for the connection benchmark: the
 * {@link TopicServer} that {@code bin/topicserver} runs, with the same default options but one,
 * on loopback, until killed. It starts like the baseline server beside it (same java, same heap
 * limit), so the two memory figures compare the servers and nothing else.
 *
 * <p>The one: every client of the benchmark comes from 127.0.0.1, so the limit of connections
 * from one address is raised to the limit of connections in all (a server's default would
 * refuse all but the first {@value TopicServerOptions#DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}).
 *
 * <p>Thread safety: a program entry point.
 */
final class ParleyTopicServerProcess {
    private ParleyTopicServerProcess() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(args[0]);
        TopicServer server = TopicServer.start(TopicServerOptions.builder()
                .bindAddress(InetAddress.getLoopbackAddress()).port(port)
                .maxConnectionsPerAddress(TopicServerOptions.DEFAULT_MAX_CONNECTIONS).build());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "parley-bench-server-stop"));
        new CountDownLatch(1).await(); // SIGTERM ends the process; the hook closes the server
    }
}
