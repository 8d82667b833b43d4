package org.parley.bench.attack;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client of the TCP topic server written from the protocol page: registration and chat
 * messages as newline-terminated compact JSON, received objects read line by line.
 *
 * <p>Thread safety: one thread writes and one thread reads, or one thread does both.
 */
final class TopicConn implements AutoCloseable {
    private static final long WRITE_MILLIS = 2_000;

    private final RawConn conn;
    private final InetSocketAddress server;
    private final String source;
    private final ByteBuffer in = ByteBuffer.allocate(256 * 1024);
    private final List<String> pending = new ArrayList<>();

    private TopicConn(RawConn conn, InetSocketAddress server) throws IOException {
        this.conn = conn;
        this.server = server;
        this.source = "{\"ip\":\"127.0.0.1\",\"port\":\"" + conn.localPort() + "\"}";
    }

    static TopicConn connect(InetSocketAddress server, long timeoutMillis) throws IOException {
        return new TopicConn(RawConn.connect(server, timeoutMillis), server);
    }

    /** Sends the registration for {@code topics}. */
    void register(String... topics) throws IOException {
        StringBuilder list = new StringBuilder("[");
        for (int i = 0; i < topics.length; i++) {
            list.append(i == 0 ? "" : ",").append(Json.str(topics[i]));
        }
        writeLine("{\"source\":" + source + ",\"topics\":" + list.append(']') + "}");
    }

    /** Sends a chat message to {@code topic}. */
    void send(String topic, String text) throws IOException {
        writeLine(message(topic, Json.str(text)));
    }

    /** The chat message as compact JSON, {@code textJson} given already quoted (or deliberately not). */
    String message(String topic, String textJson) {
        return "{\"source\":" + source + ",\"destination\":{\"ip\":\"127.0.0.1\",\"port\":\"" + server.getPort()
                + "\"},\"message\":{\"topic\":" + Json.str(topic) + ",\"text\":" + textJson + "}}";
    }

    void writeLine(String json) throws IOException {
        writeRaw((json + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Writes bytes as they are, within two seconds. */
    void writeRaw(byte[] bytes) throws IOException {
        if (!conn.write(ByteBuffer.wrap(bytes), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WRITE_MILLIS))) {
            throw new IOException("the server took no bytes for " + WRITE_MILLIS + " ms");
        }
    }

    /**
     * The next line the server sent, waiting until {@code deadlineNanos}; null if none came.
     *
     * @throws EOFException if the server closed the connection
     */
    String readLine(long deadlineNanos) throws IOException {
        while (pending.isEmpty()) {
            if (!in.hasRemaining()) {
                throw new IOException("a line longer than " + in.capacity() + " bytes from the server");
            }
            if (!conn.readSome(in, deadlineNanos)) {
                return null;
            }
            split();
        }
        return pending.remove(0);
    }

    private void split() {
        in.flip();
        int start = 0;
        for (int i = 0; i < in.limit(); i++) {
            if (in.get(i) == '\n') {
                pending.add(new String(in.array(), start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        in.position(start);
        in.compact();
    }

    @Override
    public void close() {
        conn.close();
    }
}
