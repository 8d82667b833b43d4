package org.parley.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baseline 3: a raw NIO broadcast loop, the ceiling for Parley's TCP transport. One selector
 * thread frames each 100-byte text once ({@code payload + '\n'}, as newline-delimited JSON would
 * be) and writes the same bytes to K loopback sockets, queueing what a socket does not take and
 * finishing it when the socket is writable again. Frames are written in batches of {@link #BATCH}
 * with gathering writes, as a server writes what one select round produced. No parsing, no
 * routing, no log.
 *
 * <p>The posting client is the loop itself (one publisher): the figure is what one selector
 * thread can push out, the part of a topic server that no protocol work can speed up. The K
 * receiving ends share one reader thread with its own selector.
 *
 * <p>Thread safety: the server-side sockets and their selector belong to the posting thread; the
 * client-side sockets to the reader thread.
 */
final class RawNioScenario extends BaseScenario {
    private static final Logger log = LoggerFactory.getLogger(RawNioScenario.class);
    static final int FRAME = Payload.SIZE + 1;
    /** Frames one socket may owe; the harness window keeps far below it. */
    private static final int OUTBOX_LIMIT = 50_000;
    /**
     * Frames queued before the loop writes them out (6.4 KB per socket): what a server writes after
     * one select round of pipelined posts. Writing every frame on its own costs a system call per
     * delivery and more than halves the figure; paced sends are flushed at once, so latency does not
     * wait for a batch to fill.
     */
    private static final int BATCH = 64;

    private ServerSocketChannel listener;
    private final List<SocketChannel> serverSide = new ArrayList<>();
    private final List<SocketChannel> clientSide = new ArrayList<>();
    private Selector readSelector;
    private Thread reader;
    private volatile boolean stopping;

    RawNioScenario(int k) {
        super(Systems.RAW_NIO, k, 1);
    }

    @Override
    public void setup(DeliverySink sink) throws IOException {
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", 0), k + 16);
        readSelector = Selector.open();
        for (int i = 0; i < k; i++) {
            SocketChannel c = SocketChannel.open(listener.getLocalAddress());
            clientSide.add(c);
            SocketChannel s = listener.accept();
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            s.configureBlocking(false);
            serverSide.add(s);
            c.configureBlocking(false);
            c.register(readSelector, SelectionKey.OP_READ, new Assembler(i));
        }
        for (int i = 0; i < k; i++) {
            sink.ready(i); // a connected TCP socket is live at once
        }
        reader = new Thread(() -> read(sink), "parley-bench-nio-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(DeliverySink sink) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (!stopping) {
                readSelector.select(100);
                for (SelectionKey key : readSelector.selectedKeys()) {
                    Assembler a = (Assembler) key.attachment();
                    buf.clear();
                    int n = ((SocketChannel) key.channel()).read(buf);
                    if (n < 0) {
                        key.cancel();
                        continue;
                    }
                    a.accept(buf.array(), n, sink);
                }
                readSelector.selectedKeys().clear();
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!stopping) {
                log.warn("NIO reader stopped", e);
            }
        }
    }

    /** Cuts one connection's byte stream into fixed-size frames. Reader thread only. */
    private static final class Assembler {
        private final int sub;
        private final byte[] frame = new byte[FRAME];
        private int pos;

        Assembler(int sub) {
            this.sub = sub;
        }

        void accept(byte[] bytes, int n, DeliverySink sink) {
            int i = 0;
            while (i < n) {
                int take = Math.min(FRAME - pos, n - i);
                System.arraycopy(bytes, i, frame, pos, take);
                pos += take;
                i += take;
                if (pos == FRAME) {
                    sink.deliver(sub, frame);
                    pos = 0;
                }
            }
        }
    }

    @Override
    public Sender openSender(int index) throws IOException {
        Selector selector = Selector.open();
        List<Conn> conns = new ArrayList<>();
        for (SocketChannel s : serverSide) {
            Conn c = new Conn(s, new NioOutbox(OUTBOX_LIMIT));
            c.key = s.register(selector, 0, c);
            conns.add(c);
        }
        return new Sender() {
            private int unflushed; // frames queued since the last flush

            @Override
            public void send(byte[] payload) throws IOException {
                byte[] framed = new byte[FRAME];
                System.arraycopy(payload, 0, framed, 0, Payload.SIZE);
                framed[Payload.SIZE] = '\n';
                ByteBuffer frame = ByteBuffer.wrap(framed).asReadOnlyBuffer();
                for (Conn c : conns) {
                    if (!c.outbox.enqueue(frame)) {
                        throw new IllegalStateException("a receiver owes " + OUTBOX_LIMIT + " frames: stopped reading");
                    }
                }
                if (++unflushed >= BATCH) {
                    flush();
                }
            }

            /** Writes every connection's queue that is not waiting for OP_WRITE already. */
            @Override
            public void flush() throws IOException {
                unflushed = 0;
                for (Conn c : conns) {
                    if (!c.waiting && !c.outbox.flush(c.channel)) {
                        c.waiting = true;
                        c.key.interestOps(SelectionKey.OP_WRITE);
                    }
                }
            }

            @Override
            public void idle(long nanos) throws IOException {
                flush();
                long ms = Math.max(1, Math.min(nanos / 1_000_000, 10));
                int ready = nanos < 1_000_000 ? selector.selectNow() : selector.select(ms);
                if (ready == 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(nanos, 100_000));
                    return;
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    Conn c = (Conn) key.attachment();
                    if (c.outbox.flush(c.channel)) {
                        key.interestOps(0);
                        c.waiting = false;
                    }
                }
                selector.selectedKeys().clear();
            }

            @Override
            public void close() {
                try {
                    selector.close();
                } catch (IOException e) {
                    log.warn("closing the broadcast selector failed", e);
                }
            }
        };
    }

    /** One server-side connection. Posting thread only. */
    private static final class Conn {
        final SocketChannel channel;
        final NioOutbox outbox;
        SelectionKey key;
        /** Registered for OP_WRITE: the socket was full at the last flush. */
        boolean waiting;

        Conn(SocketChannel channel, NioOutbox outbox) {
            this.channel = channel;
            this.outbox = outbox;
        }
    }

    @Override
    public void teardown() {
        stopping = true;
        if (reader != null) {
            try {
                reader.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<AutoCloseable> all = new ArrayList<>(serverSide);
        all.addAll(clientSide);
        all.add(readSelector);
        all.add(listener);
        for (AutoCloseable c : all) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                log.warn("closing {} failed", c, e);
            }
        }
    }
}
