package org.parley.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CountDownLatch;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.MessageListener;
import org.parley.core.Subscription;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends every message of every channel to a file, one JSON object per line, in the form of
 * the ZeroMQ publications: {@code {"channel":..,"seq":..,"user":..,"time":..,"text":..}}.
 *
 * <pre>{@code
 * try (ChatClient client = ZmqChatClient.connect(options);
 *      Archiver archiver = Archiver.start(client, Path.of("chat.jsonl"))) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Each line is flushed as it is written, so a crash loses at most the line being written.
 *
 * <p>Thread safety: writes happen on the client's delivery thread; {@link #close()} may be
 * called from any thread.
 */
public final class Archiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Archiver.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The protocol's time format: UTC, to the millisecond. */
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final BufferedWriter out; // guarded by this
    private final Subscription subscription;
    private long written; // guarded by this

    private Archiver(ChatClient client, Path file) throws IOException {
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        this.subscription = client.subscribe(ChatClient.ALL, new MessageListener() {
            @Override
            public void onMessage(ChatMessage message) {
                write(message);
            }

            @Override
            public void onFailure(Throwable error) {
                log.error("archive subscription ended: {}", error.getMessage());
            }
        });
    }

    /** Starts appending every message {@code client} receives to {@code file}. */
    public static Archiver start(ChatClient client, Path file) throws IOException {
        return new Archiver(client, file);
    }

    /** The JSON line of {@code message}, without the newline. */
    static String line(ChatMessage message) {
        ObjectNode node = JSON.createObjectNode()
                .put("channel", message.channel())
                .put("seq", message.seq())
                .put("user", message.user())
                .put("time", TIME.format(message.time()))
                .put("text", message.text());
        return node.toString();
    }

    /** Lines written so far. */
    public synchronized long written() {
        return written;
    }

    private synchronized void write(ChatMessage message) {
        try {
            out.write(line(message));
            out.write('\n');
            out.flush();
            written++;
        } catch (IOException e) {
            log.error("cannot append {} #{} to the archive: {}", message.channel(), message.seq(), e.getMessage());
        }
    }

    /**
     * {@code java ... Archiver <ip> <post_port> <pub_port> <file>}: archives every channel of a
     * ZeroMQ chat server until killed. When the server restarts, the client reconnects by
     * itself and archives the new server's messages from its first one, none twice.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: Archiver <ip> <post_port> <pub_port> <file>");
            System.exit(2);
        }
        ZmqChatClient client = ZmqChatClient.connect(ZmqClientOptions.builder().host(args[0])
                .postPort(Integer.parseInt(args[1])).pubPort(Integer.parseInt(args[2])).user("archiver").build());
        Archiver archiver = start(client, Path.of(args[3]));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            archiver.close();
            client.close();
        }, "archiver-shutdown"));
        System.err.println("archiver: appending every message to " + args[3]);
        new CountDownLatch(1).await(); // until the JVM is stopped
    }

    /** Stops archiving and closes the file. Idempotent. */
    @Override
    public synchronized void close() {
        subscription.close();
        try {
            out.close();
        } catch (IOException e) {
            log.warn("closing the archive failed: {}", e.getMessage());
        }
    }
}
