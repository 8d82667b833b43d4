package org.parley.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.ProtocolException;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.ChatTime;

/**
 * The WebSocket protocol's codec, as in docs/PROTOCOL.md ("WebSocket transport"): the one reader
 * of requests and the one writer of replies and messages, on Jackson's streaming API over one
 * shared factory. The shapes are the ZeroMQ transport's; field order follows its examples.
 *
 * <p>Thread safety: stateless apart from the shared, thread-safe factory; safe from any thread.
 */
final class WebWire {
    static final String TYPE_POST = "post";
    static final String TYPE_SUBSCRIBE = "subscribe";
    static final String TYPE_HISTORY = "history";
    static final String TYPE_PRESENCE = "presence";
    static final String TYPE_CHANNELS = "channels";
    static final String TYPE_AUTH = "auth";
    static final int DEFAULT_HISTORY_LIMIT = 100;
    /** Messages a subscription starts with when it names neither {@code last} nor {@code after}. */
    static final int DEFAULT_SUBSCRIBE_LAST = 50;

    /** As the other transports: a repeated field is refused, nesting and numbers are bounded. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(ChatLimits.MAX_JSON_NESTING)
                    .maxNumberLength(ChatLimits.MAX_JSON_NUMBER_DIGITS)
                    .build())
            .build();

    private WebWire() {
    }

    // ---------------------------------------------------------------- reading

    /**
     * The fields of one request, as read: the names a request may carry; other names are read
     * to their end and ignored, as the protocol has it. JSON null counts as absent.
     *
     * <p>Thread safety: not thread-safe; filled by one reader, then read by one thread.
     */
    static final class Request {
        private static final Set<String> NAMES = Set.of("type", "user", "channel", "text", "time", "ref", "id",
                "after", "limit", "last", "epoch", "token");
        private final Map<String, JsonToken> tokens = new HashMap<>();
        private final Map<String, Object> values = new HashMap<>();

        private Request() {
        }

        boolean has(String name) {
            return tokens.containsKey(name);
        }

        /** A string field; {@code null} when absent. */
        String string(String name) throws ProtocolException {
            JsonToken t = tokens.get(name);
            if (t != null && t != JsonToken.VALUE_STRING) {
                throw new ProtocolException("\"" + name + "\" must be a string, not a " + kind(t));
            }
            return (String) values.get(name);
        }

        String required(String name) throws ProtocolException {
            String s = string(name);
            if (s == null) {
                throw new ProtocolException("\"" + name + "\" is missing");
            }
            return s;
        }

        /** A whole, non-negative number field; {@code fallback} when absent. */
        long count(String name, long fallback) throws ProtocolException {
            JsonToken t = tokens.get(name);
            if (t == null) {
                return fallback;
            }
            Object v = values.get(name);
            if (!(v instanceof Long n)) {
                boolean number = t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT;
                throw new ProtocolException("\"" + name + "\" must be a whole number, not "
                        + (number ? v : "a " + kind(t)));
            }
            if (n < 0) {
                throw new ProtocolException("\"" + name + "\" must be 0 or more, not " + n);
            }
            return n;
        }
    }

    /**
     * Reads one request: exactly one JSON object and nothing after it. The whole text is read
     * before any field is looked at, so text that is not JSON or repeats a field is refused as
     * such wherever it is. (A WebSocket text message is valid UTF-8: the server checks that
     * before it hands the text over.)
     */
    static Request read(String frame) throws ProtocolException {
        JsonToken first;
        Request request = null;
        JsonToken after;
        try (JsonParser p = FACTORY.createParser(frame)) {
            first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
                request = new Request();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken t = p.nextToken();
                    if (!Request.NAMES.contains(name) || t == JsonToken.VALUE_NULL) {
                        p.skipChildren(); // read all the same: a repeat or bad JSON in it is refused
                        continue;
                    }
                    request.tokens.put(name, t);
                    request.values.put(name, value(p, t));
                }
            } else {
                p.skipChildren();
            }
            after = p.nextToken();
        } catch (IOException e) {
            throw new ProtocolException("request is not valid JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (after != null) {
            throw new ProtocolException("request is not valid JSON: trailing token (" + after + ") after the object");
        }
        if (first == null) {
            throw new ProtocolException("request is empty; expected a JSON object");
        }
        if (request == null) {
            throw new ProtocolException("request is a JSON " + kind(first) + ", not an object");
        }
        return request;
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getText() : p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getText();
            default:
                p.skipChildren();
                return null;
        }
    }

    /** How an error names the kind of value that starts with {@code t}. */
    private static String kind(JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "array";
            case START_OBJECT -> "object";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> t.name().toLowerCase(Locale.ROOT);
        };
    }

    // ---------------------------------------------------------------- writing

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /** An object whose fields {@code body} writes, compact. */
    private static String written(Body body) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an object", e); // into memory: a bug
        }
        return out.toString();
    }

    private static void optional(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    private static void fields(JsonGenerator g, ChatMessage m) throws IOException {
        g.writeStringField("channel", m.channel());
        g.writeNumberField("seq", m.seq());
        g.writeStringField("user", m.user());
        g.writeStringField("time", ChatTime.format(m.time()));
        g.writeStringField("text", m.text());
    }

    /** A message as the server sends it: the ZeroMQ publication's five fields, in its order. */
    static String message(ChatMessage m) {
        return written(g -> fields(g, m));
    }

    /** {@code {"ok":false,"error":...,"ref":...}}. */
    /** The reply to an accepted {@code auth}: {@code {"ok":true,"type":"auth","user":..,"ref":..,"epoch":..}}. */
    static String authenticated(String user, String ref, String epoch) {
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("type", TYPE_AUTH);
            g.writeStringField("user", user);
            optional(g, "ref", ref);
            g.writeStringField("epoch", epoch);
        });
    }

    static String error(String error, String ref) {
        return written(g -> {
            g.writeBooleanField("ok", false);
            g.writeStringField("error", error);
            optional(g, "ref", ref);
        });
    }

    /** The acknowledgement of a post: {@code {"ok":true,"channel","seq","time","id","ref","epoch"}}. */
    static String posted(ChatMessage m, String id, String ref, String epoch) {
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", m.channel());
            g.writeNumberField("seq", m.seq());
            g.writeStringField("time", ChatTime.format(m.time()));
            optional(g, "id", id);
            optional(g, "ref", ref);
            optional(g, "epoch", epoch);
        });
    }

    /**
     * The reply to a subscription, before its messages: {@code {"ok":true,"type":"subscribe",
     * "channel","last","count","ref","epoch"}}, where {@code count} says how many earlier messages
     * follow before the live ones.
     */
    static String subscribed(String channel, long last, int count, String ref, String epoch) {
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("type", TYPE_SUBSCRIBE);
            g.writeStringField("channel", channel);
            g.writeNumberField("last", last);
            g.writeNumberField("count", count);
            optional(g, "ref", ref);
            optional(g, "epoch", epoch);
        });
    }

    /**
     * The reply to a history request: as many of the page's messages as fit in {@code maxBytes}
     * of UTF-8, envelope and all (at least one), the oldest when {@code keepNewest} is false,
     * else the newest; as the ZeroMQ transport's reply. Each message is encoded once, from the
     * end to be kept, until the next would not fit: the work is bounded by the reply.
     */
    static String history(HistoryPage page, String ref, int maxBytes, boolean keepNewest, String epoch) {
        // The envelope with an empty list; the messages go between its brackets. The name
        // cannot occur earlier inside a string: a quote in a string is always escaped.
        String envelope = written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", page.channel());
            g.writeNumberField("first", page.first());
            g.writeNumberField("last", page.last());
            g.writeArrayFieldStart("messages");
            g.writeEndArray();
            optional(g, "ref", ref);
            optional(g, "epoch", epoch);
        });
        int at = envelope.indexOf(MESSAGES_OPEN) + MESSAGES_OPEN.length();
        List<ChatMessage> all = page.messages();
        int n = all.size();
        List<String> kept = new ArrayList<>();
        long total = utf8Length(envelope);
        for (int i = 0; i < n; i++) {
            String encoded = message(all.get(keepNewest ? n - 1 - i : i));
            total += utf8Length(encoded) + 1;
            if (total > maxBytes && i > 0) {
                break;
            }
            kept.add(encoded);
        }
        if (keepNewest) {
            java.util.Collections.reverse(kept);
        }
        return envelope.substring(0, at) + String.join(",", kept) + envelope.substring(at);
    }

    private static final String MESSAGES_OPEN = ",\"messages\":[";

    /** The bytes {@code s} takes in UTF-8. */
    static int utf8Length(String s) {
        int bytes = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                // 2 bytes below U+0800, else 3; a surrogate pair is 4, 2 for each half.
                bytes += c < 0x800 || Character.isSurrogate(c) ? 1 : 2;
            }
        }
        return bytes;
    }

    /** {@code {"ok":true,"channel","users":[...],"ref","epoch"}}: as many users as fit in {@code maxChars}. */
    static String presence(String channel, List<String> all, String ref, String epoch, int maxChars) {
        List<String> users = all.subList(0, Math.max(0, Math.min(all.size(), (maxChars - 512) / 132)));
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", channel);
            g.writeArrayFieldStart("users");
            for (String u : users) {
                g.writeString(u);
            }
            g.writeEndArray();
            optional(g, "ref", ref);
            optional(g, "epoch", epoch);
        });
    }

    /** One channel of a channels reply: its name, its newest {@code seq}, how many are in it. */
    record ChannelInfo(String channel, long last, int users) {
    }

    /** {@code {"ok":true,"channels":[{"channel","last","users"}...],"ref","epoch"}}. */
    static String channels(List<ChannelInfo> channels, String ref, String epoch) {
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeArrayFieldStart("channels");
            for (ChannelInfo c : channels) {
                g.writeStartObject();
                g.writeStringField("channel", c.channel());
                g.writeNumberField("last", c.last());
                g.writeNumberField("users", c.users());
                g.writeEndObject();
            }
            g.writeEndArray();
            optional(g, "ref", ref);
            optional(g, "epoch", epoch);
        });
    }
}
