package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The selector loop on its own, with handlers made for the test. */
@Timeout(30)
class NioLoopTest {
    /** Sends every chat message back to its sender; its {@code onOpen} throws for the first connection. */
    private static final class EchoFailingOnFirstOpen implements Connection.Handler {
        final AtomicInteger opened = new AtomicInteger();

        @Override
        public void onOpen(Connection c) {
            if (opened.incrementAndGet() == 1) {
                throw new ArithmeticException("long overflow"); // what an unchecked Duration.toNanos() threw
            }
        }

        @Override
        public void onFrame(Connection c, WireCodec.Frame frame) {
            if (frame instanceof WireCodec.Chat chat) {
                TcpMessage m = chat.message();
                c.send(WireCodec.encodeChat(m.source(), m.destination(), m.topic(), m.text(), m.user()));
            }
        }

        @Override
        public void onClose(Connection c, IOException cause) {
        }
    }

    @Test
    void handlerFailingToOpenOneConnectionClosesThatOneAndTheLoopServesTheNext() throws Exception {
        EchoFailingOnFirstOpen handler = new EchoFailingOnFirstOpen();
        try (NioLoop loop = new NioLoop("parley-tcp-selector-test", NioLoop.Settings.clientDefaults())) {
            loop.start();
            InetSocketAddress bound = loop.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> handler);
            try (RawClient first = new RawClient(bound.getPort())) {
                assertTrue(first.closedByServer(), "the connection whose set-up failed is closed");
            }
            try (RawClient second = new RawClient(bound.getPort())) {
                second.say("dev", "still serving");
                assertEquals("dev:still serving", second.next());
            }
            assertEquals(2, handler.opened.get());
        }
    }
}
