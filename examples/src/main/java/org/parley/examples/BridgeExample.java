package org.parley.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CountDownLatch;
import org.parley.core.ChatHub;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqServerOptions;

/**
 * One hub, two transports: a ZeroMQ client of channel {@code general} and a TCP topic client
 * of topic {@code general} see each other's messages (what {@code bin/parley_server} runs).
 *
 * <pre>{@code
 * try (BridgeExample bridge = BridgeExample.start("127.0.0.1", 5555, 5556, 7777)) {
 *     ... // serving both kinds of client until closed
 * }
 * }</pre>
 *
 * <p>Thread safety: {@link #close()} may be called from any thread. The servers run their own
 * threads ({@code parley-zmq-server-<port>}, {@code parley-tcp-selector-<port>}).
 */
public final class BridgeExample implements AutoCloseable {
    private final ChatHub hub;
    private final ZmqChatServer zmq;
    private final TopicServer tcp;

    private BridgeExample(ChatHub hub, ZmqChatServer zmq, TopicServer tcp) {
        this.hub = hub;
        this.zmq = zmq;
        this.tcp = tcp;
    }

    /** Starts both servers on one new hub; a port of 0 picks a free one. */
    public static BridgeExample start(String host, int postPort, int pubPort, int tcpPort) throws IOException {
        ChatHub hub = ChatHub.create();
        ZmqChatServer zmq = null;
        try {
            // The bridge is these two lines: both servers given the same hub.
            zmq = ZmqChatServer.start(ZmqServerOptions.builder()
                    .host(host).postPort(postPort).pubPort(pubPort).hub(hub).build());
            TopicServer tcp = TopicServer.start(TopicServerOptions.builder()
                    .bindAddress(InetAddress.getByName(host)).port(tcpPort).hub(hub).build());
            return new BridgeExample(hub, zmq, tcp);
        } catch (IOException | RuntimeException e) {
            if (zmq != null) {
                zmq.close();
            }
            hub.close();
            throw e;
        }
    }

    public ZmqChatServer zmq() {
        return zmq;
    }

    public TopicServer tcp() {
        return tcp;
    }

    /** Stops both servers and the hub. Idempotent. */
    @Override
    public void close() {
        tcp.close();
        zmq.close();
        hub.close();
    }

    /** {@code java ... BridgeExample <ip> <post_port> <pub_port> <tcp_port>}: runs until killed. */
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: BridgeExample <ip> <post_port> <pub_port> <tcp_port>");
            System.exit(2);
        }
        BridgeExample bridge = start(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                Integer.parseInt(args[3]));
        Runtime.getRuntime().addShutdownHook(new Thread(bridge::close, "bridge-shutdown"));
        System.err.println("bridge: ZeroMQ on " + bridge.zmq().postPort() + "/" + bridge.zmq().pubPort()
                + ", TCP topics on " + bridge.tcp().port());
        new CountDownLatch(1).await(); // until the JVM is stopped
    }
}
