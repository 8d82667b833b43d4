package org.parley.zmq;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.parley.core.ChatLimits;
import org.parley.core.ChatMessage;
import org.parley.core.ChatTime;
import org.parley.core.HistoryPage;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;
import org.parley.core.internal.StrictUtf8;

/**
 * The ZeroMQ protocol's codec, as in docs/PROTOCOL.md: the one reader and the one writer of its
 * JSON (post and history requests, ok and error replies, history replies, published messages),
 * both on Jackson's streaming API over one shared factory. Field order on the wire follows the
 * protocol's examples. Topic frames, which are not JSON, are made and matched here too.
 *
 * <p>Thread safety: stateless apart from the shared, thread-safe factory; safe from any thread.
 */
final class Wire {
    static final String TYPE_POST = "post";
    static final String TYPE_HISTORY = "history";
    static final int DEFAULT_HISTORY_LIMIT = 100;
    /** The extension field naming the server's seq space (its hub's epoch) in ok replies. */
    static final String EPOCH = "epoch";

    /**
     * Shared by the reader and the writer. A repeated field, at any depth, is refused ({@code
     * {"a":1,"a":2}} is a malformed request, not something to guess at); frames are bounded before
     * they are read, and these bound what reading one may cost.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(ChatLimits.MAX_JSON_NESTING)
                    .maxNumberLength(ChatLimits.MAX_JSON_NUMBER_DIGITS)
                    .build())
            .build();

    private Wire() {
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads one frame: strict UTF-8 ({@link StrictUtf8}: no overlong forms, no encoded
     * surrogates, no NUL, so no UTF-16 either), checked before the parser sees it, then exactly
     * one JSON object and nothing after it. The whole frame is read before any field is looked
     * at, so bytes that are not JSON or repeat a field are refused as such wherever they are.
     *
     * @param what what the frame is, for the errors: {@code "request"}, {@code "reply"}, {@code "publication"}
     */
    static Fields read(byte[] frame, String what) throws ProtocolException {
        try {
            StrictUtf8.check(frame, what);
        } catch (ProtocolException e) {
            // JSON is UTF-8, so such a frame is not JSON either, and the error says both.
            String why = e.getMessage();
            String prefix = what + " is ";
            throw new ProtocolException(what + " is not valid JSON: "
                    + (why.startsWith(prefix) ? why.substring(prefix.length()) : why));
        }
        JsonToken first;
        Fields fields = null;
        JsonToken after;
        try (JsonParser p = FACTORY.createParser(frame)) {
            first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
                fields = Fields.read(p);
            } else {
                p.skipChildren();
            }
            after = p.nextToken();
        } catch (IOException e) {
            throw new ProtocolException(what + " is not valid JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (after != null) {
            throw new ProtocolException(what + " is not valid JSON: trailing token (" + after + ") after the object");
        }
        if (first == null) {
            throw new ProtocolException(what + " is empty; expected a JSON object");
        }
        if (fields == null) {
            throw new ProtocolException(what + " is a JSON " + kind(first) + ", not an object");
        }
        return fields;
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
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * The fields of one JSON object as read. Every shape's field names are in one table: a shape
     * takes the fields it knows, and to it a field of another shape is as unknown as any other
     * (the protocol ignores unknown fields). Other names are read to their end and dropped. JSON
     * null counts as absent, as the protocol has it for every optional field.
     *
     * <p>Thread safety: not thread-safe; filled by one reader, then read by one thread.
     */
    static final class Fields {
        private static final List<String> NAMES = List.of("type", "user", "channel", "text", "time", "ref",
                "after", "limit", "last", "ok", "error", "seq", "first", "messages", EPOCH);
        private static final Map<String, Integer> INDEX = new HashMap<>();
        private static final int MESSAGES = NAMES.indexOf("messages");

        static {
            for (int i = 0; i < NAMES.size(); i++) {
                INDEX.put(NAMES.get(i), i);
            }
        }

        /** Each known field's first token; null when absent or null. */
        private final JsonToken[] tokens = new JsonToken[NAMES.size()];
        /** A string's text, a whole number as a Long (else its digits), a message list; null for the rest. */
        private final Object[] values = new Object[NAMES.size()];

        private Fields() {
        }

        /** Reads an object whose opening brace is the parser's current token, to its closing one. */
        private static Fields read(JsonParser p) throws IOException {
            Fields f = new Fields();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                Integer at = INDEX.get(p.currentName());
                JsonToken t = p.nextToken();
                if (at == null || t == JsonToken.VALUE_NULL) {
                    p.skipChildren(); // read all the same: a repeat or bad JSON in it is refused
                    continue;
                }
                f.tokens[at] = t;
                f.values[at] = at == MESSAGES && t == JsonToken.START_ARRAY ? list(p) : value(p, t);
            }
            return f;
        }

        /** A value of a known field, read to its end. */
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

        /** An array's items: each object's fields, or the first token of an item that is not an object. */
        private static List<Object> list(JsonParser p) throws IOException {
            List<Object> items = new ArrayList<>();
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.START_OBJECT) {
                    items.add(read(p));
                } else {
                    p.skipChildren();
                    items.add(t);
                }
            }
            return items;
        }

        private static int index(String name) {
            return INDEX.get(name); // one of NAMES: the callers' constants
        }

        boolean has(String name) {
            return tokens[index(name)] != null;
        }

        /** A string field; {@code null} when absent. */
        String string(String name) throws ProtocolException {
            int i = index(name);
            if (tokens[i] != null && tokens[i] != JsonToken.VALUE_STRING) {
                throw new ProtocolException("\"" + name + "\" must be a string, not a " + kind(tokens[i]));
            }
            return (String) values[i];
        }

        String required(String name) throws ProtocolException {
            String s = string(name);
            if (s == null) {
                throw new ProtocolException("\"" + name + "\" is missing");
            }
            return s;
        }

        /** A field's text when it is a string, else null: for fields whose readers ignore other kinds. */
        String text(String name) {
            int i = index(name);
            return tokens[i] == JsonToken.VALUE_STRING ? (String) values[i] : null;
        }

        boolean isTrue(String name) {
            return tokens[index(name)] == JsonToken.VALUE_TRUE;
        }

        /** A whole, non-negative number field; {@code fallback} when absent. */
        long count(String name, long fallback) throws ProtocolException {
            int i = index(name);
            JsonToken t = tokens[i];
            if (t == null) {
                return fallback;
            }
            if (!(values[i] instanceof Long v)) {
                boolean number = t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT;
                throw new ProtocolException("\"" + name + "\" must be a whole number, not "
                        + (number ? values[i] : "a " + kind(t))); // a number as written
            }
            if (v < 0) {
                throw new ProtocolException("\"" + name + "\" must be 0 or more, not " + v);
            }
            return v;
        }
    }

    /** A publication's message. */
    static ChatMessage publication(byte[] body) throws ProtocolException {
        return message(read(body, "publication"));
    }

    /** A message: a publication's body, or an item of a history reply's list. */
    private static ChatMessage message(Object item) throws ProtocolException {
        if (!(item instanceof Fields m)) {
            throw new ProtocolException("a message must be a JSON object");
        }
        String channel = m.required("channel");
        long seq = m.count("seq", 0);
        String user = m.required("user");
        Instant time = ChatTime.parse(m.required("time"));
        String text = m.required("text");
        try {
            return new ChatMessage(channel, seq, user, time, text);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("bad message: " + e.getMessage());
        }
    }

    /** The acknowledgement an ok reply to a post holds. */
    static PostAck ack(Fields reply) throws ProtocolException {
        String channel = reply.required("channel");
        long seq = reply.count("seq", 0);
        Instant time = ChatTime.parse(reply.required("time"));
        try {
            return new PostAck(channel, seq, time);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("bad reply: " + e.getMessage());
        }
    }

    /** The page an ok reply to a history request holds. */
    static HistoryPage page(Fields reply) throws ProtocolException {
        String channel = reply.required("channel");
        long first = reply.count("first", 0);
        long last = reply.count("last", 0);
        if (!(reply.values[Fields.MESSAGES] instanceof List<?> items)) {
            throw new ProtocolException("bad reply: \"messages\" is not an array");
        }
        List<ChatMessage> messages = new ArrayList<>(items.size());
        for (Object item : items) {
            messages.add(message(item));
        }
        return new HistoryPage(channel, first, last, messages);
    }

    // ---------------------------------------------------------------- writing

    /** The fields of one object, written in order. */
    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON object, compact. */
    private static byte[] object(int sizeHint, Body body) {
        ByteArrayBuilder out = new ByteArrayBuilder(sizeHint);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            // Strings and numbers into memory always serialise; reaching here is a bug.
            throw new IllegalStateException("cannot encode an object", e);
        }
        return out.toByteArray();
    }

    /** A publication's body, and each item of a history reply's list. */
    static byte[] encodeMessage(ChatMessage m) {
        return object(96 + m.text().length(), g -> {
            g.writeStringField("channel", m.channel());
            g.writeNumberField("seq", m.seq());
            g.writeStringField("user", m.user());
            g.writeStringField("time", ChatTime.format(m.time()));
            g.writeStringField("text", m.text());
        });
    }

    static byte[] postRequest(String ref, String user, String channel, String text, Instant time) {
        return object(112 + text.length(), g -> {
            g.writeStringField("type", TYPE_POST);
            g.writeStringField("user", user);
            g.writeStringField("channel", channel);
            g.writeStringField("text", text);
            g.writeStringField("time", ChatTime.format(time));
            g.writeStringField("ref", ref);
        });
    }

    /** A history request: {@code after} mode, or {@code last} mode when {@code last >= 0}. */
    static byte[] historyRequest(String ref, String channel, long after, int limit, int last) {
        return object(96, g -> {
            g.writeStringField("type", TYPE_HISTORY);
            g.writeStringField("channel", channel);
            if (last >= 0) {
                g.writeNumberField("last", last);
            } else {
                g.writeNumberField("after", after);
                g.writeNumberField("limit", limit);
            }
            g.writeStringField("ref", ref);
        });
    }

    static byte[] postReply(ChatMessage m, String ref, String epoch) {
        return object(128, g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", m.channel());
            g.writeNumberField("seq", m.seq());
            g.writeStringField("time", ChatTime.format(m.time()));
            writeRef(g, ref);
            g.writeStringField(EPOCH, epoch);
        });
    }

    static byte[] errorReply(String error, String ref) {
        return object(32 + error.length(), g -> {
            g.writeBooleanField("ok", false);
            g.writeStringField("error", error);
            writeRef(g, ref);
        });
    }

    private static void writeRef(JsonGenerator g, String ref) throws IOException {
        if (ref != null) {
            g.writeStringField("ref", ref);
        }
    }

    /**
     * The reply to a history request. It holds as many of the page's messages as fit in
     * {@code maxBytes} (always at least one): the oldest ones when {@code keepNewest} is
     * false (the client asks again after the last one it got), else the newest ones.
     *
     * <p>The work is bounded by the reply, not by the page: messages are encoded one by one,
     * from the end to be kept, until the next one would not fit. A page of a thousand
     * messages of 16 KiB costs no more than the few that a 64 KiB frame holds.
     */
    static byte[] historyReply(HistoryPage page, String ref, int maxBytes, boolean keepNewest, String epoch) {
        // The envelope with an empty list; the messages go between its brackets. The name
        // cannot occur earlier inside a string: a quote in a string is always escaped.
        byte[] envelope = object(128, g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", page.channel());
            g.writeNumberField("first", page.first());
            g.writeNumberField("last", page.last());
            g.writeArrayFieldStart("messages");
            g.writeEndArray();
            writeRef(g, ref);
            g.writeStringField(EPOCH, epoch);
        });
        int at = indexOf(envelope, MESSAGES_OPEN) + MESSAGES_OPEN.length;

        List<ChatMessage> all = page.messages();
        int n = all.size();
        List<byte[]> kept = new ArrayList<>();
        long total = envelope.length;
        for (int i = 0; i < n; i++) {
            byte[] encoded = encodeMessage(all.get(keepNewest ? n - 1 - i : i));
            total += encoded.length + 1;
            if (total > maxBytes && i > 0) {
                break;
            }
            kept.add(encoded);
        }
        if (keepNewest) {
            Collections.reverse(kept);
        }
        ByteArrayBuilder out = new ByteArrayBuilder((int) Math.min(total, maxBytes) + 16);
        out.write(envelope, 0, at);
        for (int i = 0; i < kept.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(kept.get(i));
        }
        out.write(envelope, at, envelope.length - at);
        return out.toByteArray();
    }

    private static final byte[] MESSAGES_OPEN = ",\"messages\":[".getBytes(StandardCharsets.US_ASCII);

    /** The index of the first {@code part} in {@code b}. */
    private static int indexOf(byte[] b, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= b.length; i++) {
            for (int k = 0; k < part.length; k++) {
                if (b[i + k] != part[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("no " + new String(part, StandardCharsets.US_ASCII) + " in an envelope");
    }

    // ---------------------------------------------------------------- topic frames

    /**
     * Whether {@code frame} is the topic frame of {@code channel}, as {@link #topic} makes it;
     * an ASCII channel, the usual one, is compared in place, without a frame made per message.
     */
    static boolean isTopicOf(byte[] frame, String channel) {
        int n = channel.length();
        if (frame.length == n + 1 && frame[n] == 0) {
            int i = 0;
            for (char c; i < n && (c = channel.charAt(i)) < 0x80; i++) {
                if (frame[i] != c) {
                    return false; // an ASCII character is its own byte
                }
            }
            if (i == n) {
                return true;
            }
        }
        return Arrays.equals(frame, topic(channel));
    }

    /** The topic frame of a channel: its name in UTF-8 and one NUL byte. */
    static byte[] topic(String channel) {
        byte[] name = channel.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(name, name.length + 1); // the added byte is 0
    }
}
