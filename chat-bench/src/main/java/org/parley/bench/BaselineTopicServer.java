package org.parley.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The baseline server of the connection benchmark: a raw NIO registration server that speaks
 * just enough newline JSON (PROTOCOL.md, topic mode) to register clients and forward a topic
 * message to the others. It is a stand-in with no validation and no core, run as its own
 * process beside the Parley topic server: the floor any server in Java starts from.
 *
 * <p>usage: {@code java -cp parley-bench.jar org.parley.bench.BaselineTopicServer <port>};
 * prints {@code listening <port>} on standard output, stops on SIGTERM or when standard input
 * closes.
 *
 * <p>Thread safety: one selector thread owns every connection.
 */
public final class BaselineTopicServer {
    private static final Logger log = LoggerFactory.getLogger(BaselineTopicServer.class);
    private static final int MAX_LINE = 64 * 1024;
    private static final int OUTBOX_LIMIT = 1_024;
    private static final Pattern TOPICS = Pattern.compile("\"topics\"\\s*:\\s*(\\[[^\\]]*\\]|\"[^\"]*\")");
    private static final Pattern STRING = Pattern.compile("\"([^\"]*)\"");
    private static final Pattern TOPIC = Pattern.compile("\"topic\"\\s*:\\s*\"([^\"]*)\"");

    private final Map<String, Set<Conn>> byTopic = new HashMap<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);

    private BaselineTopicServer() {
    }

    /** Runs the server on {@code args[0]} (a port on 127.0.0.1) until stopped. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: BaselineTopicServer <port>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        try (Selector selector = Selector.open(); ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", port), 4_096);
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println("listening " + port);
            System.out.flush();
            ServerControl.endWithTheBenchmark("parley-bench-baseline"); // the harness is gone: never outlive it
            new BaselineTopicServer().serve(selector);
        }
    }

    private void serve(Selector selector) throws IOException {
        while (selector.isOpen()) {
            selector.select();
            for (SelectionKey key : selector.selectedKeys()) {
                try {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        SocketChannel c = ((ServerSocketChannel) key.channel()).accept();
                        if (c != null) {
                            c.configureBlocking(false);
                            Conn conn = new Conn(c);
                            conn.key = c.register(selector, SelectionKey.OP_READ, conn);
                        }
                        continue;
                    }
                    Conn conn = (Conn) key.attachment();
                    if (key.isWritable() && conn.outbox.flush(conn.channel)) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    if (key.isValid() && key.isReadable()) {
                        read(conn);
                    }
                } catch (IOException e) {
                    close((Conn) key.attachment());
                }
            }
            selector.selectedKeys().clear();
        }
    }

    private void read(Conn conn) throws IOException {
        readBuffer.clear();
        int n = conn.channel.read(readBuffer);
        if (n < 0) {
            close(conn);
            return;
        }
        byte[] bytes = readBuffer.array();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (bytes[i] == '\n') {
                conn.append(bytes, start, i - start);
                line(conn, conn.takeLine());
                start = i + 1;
            }
        }
        conn.append(bytes, start, n - start);
        if (conn.pendingLength > MAX_LINE) {
            conn.channel.write(ByteBuffer.wrap("{\"error\":\"message exceeds 65536 bytes\"}\n".getBytes(StandardCharsets.UTF_8)));
            close(conn);
        }
    }

    private void line(Conn conn, byte[] line) throws IOException {
        String text = new String(line, StandardCharsets.UTF_8);
        Matcher topics = TOPICS.matcher(text);
        if (topics.find() && !text.contains("\"message\"")) {
            unregister(conn);
            Matcher s = STRING.matcher(topics.group(1));
            while (s.find()) {
                conn.topics.add(s.group(1));
                byTopic.computeIfAbsent(s.group(1), t -> new LinkedHashSet<>()).add(conn);
            }
            return;
        }
        Matcher topic = TOPIC.matcher(text);
        if (!topic.find() || !conn.topics.contains(topic.group(1))) {
            return; // not registered for it: discarded, as the topic server rules say
        }
        byte[] framed = Arrays.copyOf(line, line.length + 1);
        framed[line.length] = '\n';
        ByteBuffer frame = ByteBuffer.wrap(framed).asReadOnlyBuffer();
        for (Conn other : byTopic.get(topic.group(1)).toArray(new Conn[0])) {
            if (other == conn) {
                continue;
            }
            boolean wasEmpty = other.outbox.isEmpty();
            if (!other.outbox.offer(other.channel, frame)) {
                close(other); // a receiver that stopped reading loses its connection, nobody else suffers
            } else if (wasEmpty && !other.outbox.isEmpty()) {
                other.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        }
    }

    private void unregister(Conn conn) {
        for (String t : conn.topics) {
            Set<Conn> set = byTopic.get(t);
            if (set != null) {
                set.remove(conn);
            }
        }
        conn.topics.clear();
    }

    private void close(Conn conn) {
        unregister(conn);
        conn.key.cancel();
        try {
            conn.channel.close();
        } catch (IOException e) {
            log.debug("close failed", e);
        }
    }

    /** One client. Selector thread only. */
    private static final class Conn {
        final SocketChannel channel;
        final NioOutbox outbox = new NioOutbox(OUTBOX_LIMIT);
        final Set<String> topics = new LinkedHashSet<>(2);
        SelectionKey key;
        /** Bytes of a line not yet ended; allocated only while a line is split across reads. */
        byte[] pending;
        int pendingLength;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }

        void append(byte[] b, int off, int len) {
            if (len == 0) {
                return;
            }
            if (pending == null) {
                pending = new byte[Math.max(256, len)];
            } else if (pendingLength + len > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + len));
            }
            System.arraycopy(b, off, pending, pendingLength, len);
            pendingLength += len;
        }

        byte[] takeLine() {
            byte[] line = pending == null ? new byte[0] : Arrays.copyOf(pending, pendingLength);
            pending = null;
            pendingLength = 0;
            return line;
        }
    }
}
