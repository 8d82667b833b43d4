package org.parley.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client for the tests, on the JDK's {@code java.net.http.WebSocket}: what the server
 * sends lands in a queue, read with a time limit. With {@code reading} false it reads nothing
 * after the first message (a slow reader), so the server's writes back up.
 */
final class WsClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    /** Completes with the close status when the server closes, or -1 when the connection fails. */
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private WebSocket socket;

    private WsClient() {
    }

    static WsClient connect(int port) throws Exception {
        return connect(port, null, true);
    }

    static WsClient connect(int port, String origin, boolean reading) throws Exception {
        return connect(URI.create("ws://127.0.0.1:" + port + "/ws"), HTTP, origin, reading);
    }

    /** A client of {@code uri} ({@code wss://} with an {@code http} client that trusts the server). */
    static WsClient connect(URI uri, HttpClient http, String origin, boolean reading) throws Exception {
        WsClient c = new WsClient();
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(WAIT);
        if (origin != null) {
            b.header("Origin", origin);
        }
        c.socket = b.buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder part = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                part.append(data);
                if (last) {
                    c.received.add(part.toString());
                    part.setLength(0);
                }
                if (reading) {
                    w.request(1);
                }
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                c.closed.complete(status);
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                c.closed.complete(-1);
            }
        }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return c;
    }

    /** Sends one text message. */
    WsClient send(String text) throws Exception {
        socket.sendText(text, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return this;
    }

    /**
     * Starts sending one text message without waiting for it to be sent: a server may close the
     * connection before it has read it all (a message too big), and the close is what a test wants.
     */
    WsClient sendWithoutWaiting(String text) {
        socket.sendText(text, true);
        return this;
    }

    /** Sends one binary message. */
    WsClient sendBinary(java.nio.ByteBuffer data) throws Exception {
        socket.sendBinary(data, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return this;
    }

    /** Sends {@code json}, an object written with single quotes for readability. */
    WsClient sendJson(String json) throws Exception {
        return send(json.replace('\'', '"'));
    }

    /** The next message from the server, waiting up to {@link #WAIT}. */
    JsonNode next() throws Exception {
        String text = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (text == null) {
            throw new AssertionError("nothing from the server within " + WAIT);
        }
        return JSON.readTree(text);
    }

    /** Skips messages up to the first that {@code wanted} accepts. */
    JsonNode next(Predicate<JsonNode> wanted) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String text = received.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (text == null) {
                throw new AssertionError("no such message from the server within " + WAIT);
            }
            JsonNode n = JSON.readTree(text);
            if (wanted.test(n)) {
                return n;
            }
        }
    }

    /** The next message, if one comes within {@code wait}; null otherwise. */
    JsonNode poll(Duration wait) throws Exception {
        String text = received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        return text == null ? null : JSON.readTree(text);
    }

    /** Subscribes and reads the reply; returns it. */
    JsonNode subscribe(String channel) throws Exception {
        sendJson("{'type':'subscribe','channel':'" + channel + "'}");
        return next(n -> n.has("ok"));
    }

    @Override
    public void close() {
        socket.abort();
    }
}
