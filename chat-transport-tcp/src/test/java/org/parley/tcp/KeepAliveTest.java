package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every socket of a loop, accepted or connected, has TCP keep-alive on with the times of the
 * options: the peer's kernel answers the probes, so a quiet peer stays and a vanished one is cut
 * without anything new on the wire.
 */
@Timeout(10)
class KeepAliveTest {
    @Test
    void acceptedAndConnectedSocketsProbeTheirPeerWithTheOptionsTimes() throws Exception {
        NioLoop.Settings settings = TopicServerOptions.builder()
                .keepAlive(Duration.ofSeconds(7), Duration.ofSeconds(3), 4).build().loopSettings();
        BlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
        try (NioLoop server = new NioLoop("test-keep-alive-server", settings);
             NioLoop client = new NioLoop("test-keep-alive-client", settings)) {
            server.start();
            client.start();
            InetSocketAddress address = server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), c -> {
                accepted.add(c);
                return new Ignoring(c);
            });
            Connection connected = client.connect(address, Duration.ofSeconds(5), Ignoring::new).connection;
            Connection acceptedOne = accepted.poll(5, TimeUnit.SECONDS);
            assertNotNull(acceptedOne, "nothing accepted within 5 s");
            assertProbes(acceptedOne.channel);
            assertProbes(connected.channel);
        }
    }

    /** A byte handler that ignores what it reads and remembers its connection. */
    private static final class Ignoring implements Connection.Handler {
        final Connection connection;

        Ignoring(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void onRead(Connection c, byte[] bytes, int from, int to) {
        }

        @Override
        public void onClose(Connection c, IOException cause) {
        }
    }

    private static void assertProbes(SocketChannel channel) throws IOException {
        assertTrue(channel.getOption(StandardSocketOptions.SO_KEEPALIVE), "keep-alive is off");
        if (channel.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE)) { // Linux, macOS, Windows 10+
            assertEquals(7, channel.getOption(ExtendedSocketOptions.TCP_KEEPIDLE));
            assertEquals(3, channel.getOption(ExtendedSocketOptions.TCP_KEEPINTERVAL));
            assertEquals(4, channel.getOption(ExtendedSocketOptions.TCP_KEEPCOUNT));
        }
    }
}
