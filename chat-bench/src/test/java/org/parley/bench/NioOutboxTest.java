package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class NioOutboxTest {
    @Test
    @Timeout(30)
    void everyByteArrivesInOrderAcrossPartialWrites() throws Exception {
        int frames = 20_000;
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel reader = SocketChannel.open(listener.getLocalAddress());
                 SocketChannel writer = listener.accept();
                 Selector selector = Selector.open()) {
                writer.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
                writer.configureBlocking(false);
                SelectionKey key = writer.register(selector, 0);
                NioOutbox outbox = new NioOutbox(frames);
                boolean sawBackPressure = false;
                for (int i = 0; i < frames; i++) {
                    byte[] f = String.format("frame %08d of a stream that must arrive whole\n", i)
                            .getBytes(StandardCharsets.US_ASCII);
                    expected.write(f);
                    assertTrue(i % 2 == 0 ? outbox.offer(writer, ByteBuffer.wrap(f)) : outbox.enqueue(ByteBuffer.wrap(f)));
                    if (i % 2 == 1 && !outbox.flush(writer)) {
                        sawBackPressure = true;
                    }
                }
                assertTrue(sawBackPressure, "the socket never filled: the test proves nothing");
                int total = expected.size();
                CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readAll(reader, total));
                key.interestOps(SelectionKey.OP_WRITE);
                while (!outbox.flush(writer)) {
                    selector.select(1_000);
                    selector.selectedKeys().clear();
                }
                assertArrayEquals(expected.toByteArray(), received.get(20, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aFullOutboxRefusesInsteadOfGrowing() {
        NioOutbox outbox = new NioOutbox(2);
        ByteBuffer f = ByteBuffer.wrap(new byte[] {'x', '\n'});
        assertTrue(outbox.enqueue(f));
        assertTrue(outbox.enqueue(f));
        assertFalse(outbox.enqueue(f));
    }

    private static byte[] readAll(SocketChannel reader, int total) {
        ByteBuffer all = ByteBuffer.allocate(total);
        try {
            while (all.hasRemaining()) {
                if (reader.read(all) < 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return all.array();
    }
}
