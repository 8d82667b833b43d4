package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The selector loop on its own, with the codec stage and handlers made for the test. */
@Timeout(30)
class NioLoopTest {
    /** Sends every chat message back to its sender; its {@code onOpen} throws for the first connection. */
    private static final class EchoFailingOnFirstOpen implements WireLink.Handler {
        final AtomicInteger opened = new AtomicInteger();

        @Override
        public void onOpen(WireLink c) {
            if (opened.incrementAndGet() == 1) {
                throw new ArithmeticException("long overflow"); // what an unchecked Duration.toNanos() threw
            }
        }

        @Override
        public void onFrame(WireLink c, WireCodec.Frame frame) {
            if (frame instanceof WireCodec.Chat chat) {
                TcpMessage m = chat.message();
                c.send(WireCodec.encodeChat(m.source(), m.destination(), m.topic(), m.text(), m.user()));
            }
        }

        @Override
        public void onClose(WireLink c, IOException cause) {
        }
    }

    /** Sets a deadline an hour away on every connection; counts connections inside an object, and ends. */
    private static final class DeadlineAnHourAway implements WireLink.Handler {
        final Set<WireLink> inObject = ConcurrentHashMap.newKeySet();
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public void onOpen(WireLink c) {
            c.deadline(TimeUnit.HOURS.toNanos(1));
        }

        @Override
        public void onFrame(WireLink c, WireCodec.Frame frame) {
        }

        @Override
        public void onReadComplete(WireLink c) {
            if (c.inObject()) {
                inObject.add(c);
            }
        }

        @Override
        public void onClose(WireLink c, IOException cause) {
            closed.incrementAndGet();
        }
    }

    @Test
    void eachConnectionHasOneDeadlineEntryAndAClosedOneNone() throws Exception {
        DeadlineAnHourAway handler = new DeadlineAnHourAway();
        int count = 5;
        try (NioLoop loop = new NioLoop("parley-tcp-selector-test", NioLoop.Settings.clientDefaults())) {
            loop.start();
            InetSocketAddress bound = loop.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    c -> new WireLink(c, handler, WireLink.Settings.clientDefaults()));
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    clients.add(new RawClient(bound.getPort()).write("{\"source\":")); // an object deadline too, sooner
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> handler.inObject.size() == count);
                assertEquals(count, (int) OnLoop.ask(loop, loop::timersQueued), "one entry per connection, for its earliest deadline");
            } finally {
                for (RawClient c : clients) {
                    c.close();
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> handler.closed.get() == count);
            assertEquals(0, (int) OnLoop.ask(loop, loop::timersQueued), "entries of closed connections still queued");
        }
    }

    @Test
    void handlerFailingToOpenOneConnectionClosesThatOneAndTheLoopServesTheNext() throws Exception {
        EchoFailingOnFirstOpen handler = new EchoFailingOnFirstOpen();
        try (NioLoop loop = new NioLoop("parley-tcp-selector-test", NioLoop.Settings.clientDefaults())) {
            loop.start();
            InetSocketAddress bound = loop.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    c -> new WireLink(c, handler, WireLink.Settings.clientDefaults()));
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
