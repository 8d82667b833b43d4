package org.parley.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.parley.web.WebServer;
import org.parley.web.WebServerOptions;

/**
 * Parley WebSocket: a {@link WebServer} in this JVM on a loopback port, K subscribers on the
 * JDK's {@code java.net.http.WebSocket} following channel {@code bench}, and posting clients
 * sending posts with ids, one text message each, pipelined (the next goes once the client has
 * handed the last to the network; acknowledgements are read and not waited for).
 *
 * <p>Deliveries are counted in the subscribers' listeners, on the HTTP client's threads, after
 * reading the text field with Jackson's streaming parser, as a browser's page parses each message.
 *
 * <p>Thread safety: as {@link Scenario}; each subscriber's listener is called one message at a time.
 */
final class ParleyWebScenario extends BaseScenario {
    static final String CHANNEL = "bench";
    private static final JsonFactory JSON = new JsonFactory();

    private WebServer server;
    private HttpClient http;
    private final List<WebSocket> sockets = new ArrayList<>();

    ParleyWebScenario(int k, int publishers) {
        super(Systems.PARLEY_WEB, k, publishers);
    }

    @Override
    public void setup(DeliverySink sink) throws IOException {
        server = WebServer.start(WebServerOptions.builder().host("127.0.0.1").port(0)
                .maxConnectionsPerAddress(100_000).build());
        http = HttpClient.newHttpClient();
        for (int i = 0; i < k; i++) {
            int sub = i;
            WebSocket ws = open(text -> {
                String t = textOf(text);
                if (t != null) {
                    sink.deliver(sub, t);
                }
            });
            ws.sendText("{\"type\":\"subscribe\",\"channel\":\"" + CHANNEL + "\",\"last\":0,\"ref\":\"s\"}", true)
                    .join();
            synchronized (sockets) {
                sockets.add(ws);
            }
        }
    }

    /** The text of a message (a reply, which has "ok", is not one), or null. */
    private static String textOf(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String text = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("ok")) {
                    return null;
                }
                if (name.equals("text")) {
                    text = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            return text;
        } catch (IOException e) {
            return null;
        }
    }

    private interface Texts {
        void onText(String text);
    }

    private WebSocket open(Texts texts) throws IOException {
        try {
            return http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws"),
                    new WebSocket.Listener() {
                        private final StringBuilder part = new StringBuilder();

                        @Override
                        public void onOpen(WebSocket w) {
                            w.request(Long.MAX_VALUE);
                        }

                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            part.append(data);
                            if (last) {
                                texts.onText(part.toString());
                                part.setLength(0);
                            }
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("cannot open a WebSocket to the server: " + e, e);
        }
    }

    @Override
    public Sender openSender(int index) throws IOException {
        WebSocket ws = open(text -> { });
        synchronized (sockets) {
            sockets.add(ws);
        }
        String user = "post" + index;
        return new Sender() {
            private long n;

            @Override
            public void send(byte[] payload) {
                post(Payload.asString(payload));
            }

            private void post(String text) {
                String id = user + "." + ++n;
                // The payload is printable ASCII without quotes or backslashes: no escaping needed.
                ws.sendText("{\"type\":\"post\",\"user\":\"" + user + "\",\"channel\":\"" + CHANNEL + "\",\"text\":\""
                        + text + "\",\"id\":\"" + id + "\",\"ref\":\"" + id + "\"}", true).join();
            }

            @Override
            public void awaitReady(DeliverySink sink, long timeoutNanos) {
                String probe = Payload.asString(Payload.probe());
                probeUntilReady(sink, timeoutNanos, system(), () -> post(probe));
            }
        };
    }

    @Override
    public void teardown() {
        synchronized (sockets) {
            for (WebSocket ws : sockets) {
                ws.abort();
            }
            sockets.clear();
        }
        if (server != null) {
            server.close();
        }
    }
}
