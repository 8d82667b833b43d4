package org.parley.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.zeromq.ZContext;

/**
 * The raw JSON relay: what a server of the ZeroMQ protocol (docs/PROTOCOL.md) does at the
 * least, written plainly, as its own process: each post read with Jackson's streaming parser,
 * numbered in its channel, published on PUB as Parley publishes it, and acknowledged with a reply
 * like Parley's ({@code {"ok":true,"channel":...,"seq":...,"time":...,"ref":...,"epoch":...}}),
 * in one loop ({@link JeromqRelay}). No log, no history, no check of names or texts, no post ids,
 * no futures: the ceiling for the Parley ZeroMQ server measured with the same light clients.
 *
 * <pre>
 * JsonRelay &lt;post_port&gt; &lt;pub_port&gt;
 * </pre>
 *
 * <p>It ends on SIGTERM, or with the benchmark ({@link ServerControl}).
 *
 * <p>Thread safety: {@link #apply} on the relay's thread only (the channels' numbering is its own).
 */
final class JsonRelay implements Function<byte[], JeromqRelay.Relayed> {
    private static final JsonFactory JSON = new JsonFactory();
    /** The epoch every reply names: one relay, one sequence space. */
    static final String EPOCH = "relay";

    /** Each channel's topic frame and the last number it gave. */
    private static final class Channel {
        final byte[] topic;
        long seq;

        Channel(String name) {
            byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
            topic = Arrays.copyOf(utf8, utf8.length + 1); // and a NUL
        }
    }

    private final Map<String, Channel> channels = new HashMap<>();

    /** Its arguments on these ports. */
    static List<String> args(int postPort, int pubPort) {
        return List.of(Integer.toString(postPort), Integer.toString(pubPort));
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: JsonRelay <post_port> <pub_port>");
            System.exit(2);
            return;
        }
        ZContext context = new ZContext(1); // a server only binds: no IoTicker, as Parley's server
        JeromqRelay relay = new JeromqRelay(context, "tcp://127.0.0.1:" + args[0], "tcp://127.0.0.1:" + args[1],
                new JsonRelay());
        Thread loop = new Thread(relay, "parley-bench-json-relay");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.stop();
            try {
                loop.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            context.close();
        }, "parley-bench-relay-stop"));
        ServerControl.endWithTheBenchmark("parley-bench-relay");
        loop.start();
        CountDownLatch bound = relay.bound();
        bound.await();
        if (relay.failure() != null) {
            System.err.println("JsonRelay: " + relay.failure().getMessage());
            System.exit(1);
        }
        loop.join();
    }

    @Override
    public JeromqRelay.Relayed apply(byte[] post) {
        String user = null;
        String channel = "general";
        String text = null;
        String time = null;
        String ref = null;
        try (JsonParser p = JSON.createParser(post)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return refused("request is not a JSON object", null);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t != JsonToken.VALUE_STRING) {
                    p.skipChildren();
                    continue;
                }
                switch (name) {
                    case "user" -> user = p.getText();
                    case "channel" -> channel = p.getText();
                    case "text" -> text = p.getText();
                    case "time" -> time = p.getText();
                    case "ref" -> ref = p.getText();
                    default -> {
                        // type, id and anything else: a relay takes every request for a post
                    }
                }
            }
        } catch (IOException e) {
            return refused("request is not valid JSON: " + e.getMessage(), null);
        }
        if (user == null || text == null) {
            return refused("\"" + (user == null ? "user" : "text") + "\" is missing", ref);
        }
        if (time == null) {
            time = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
        }
        Channel c = channels.computeIfAbsent(channel, Channel::new);
        long seq = ++c.seq;
        byte[] body = publication(channel, seq, user, time, text);
        return new JeromqRelay.Relayed(c.topic, body, ok(channel, seq, time, ref));
    }

    /** {@code {"channel":...,"seq":...,"user":...,"time":...,"text":...}}, as Parley publishes. */
    static byte[] publication(String channel, long seq, String user, String time, String text) {
        return written(g -> {
            g.writeStringField("channel", channel);
            g.writeNumberField("seq", seq);
            g.writeStringField("user", user);
            g.writeStringField("time", time);
            g.writeStringField("text", text);
        });
    }

    private static byte[] ok(String channel, long seq, String time, String ref) {
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", channel);
            g.writeNumberField("seq", seq);
            g.writeStringField("time", time);
            if (ref != null) {
                g.writeStringField("ref", ref);
            }
            g.writeStringField("epoch", EPOCH);
        });
    }

    private static JeromqRelay.Relayed refused(String error, String ref) {
        return new JeromqRelay.Relayed(null, null, written(g -> {
            g.writeBooleanField("ok", false);
            g.writeStringField("error", error);
            if (ref != null) {
                g.writeStringField("ref", ref);
            }
        }));
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] written(Fields fields) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON into memory", e); // a bug
        }
        return out.toByteArray();
    }
}
