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
import org.parley.core.internal.ChatLimits;
import org.parley.core.ChatMessage;
import org.parley.core.internal.ChatTime;
import org.parley.core.HistoryPage;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;
import org.parley.core.internal.PlainStrings;
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
    static final String TYPE_PRESENCE = "presence";
    /** The error of a server that stops: the request was not taken, and may go to the next one. */
    static final String SHUTTING_DOWN = "server is shutting down";
    /** The error of a request whose body came without the empty delimiter before it. */
    static final String NO_DELIMITER = "request has no empty delimiter frame: send it first "
            + "(REQ does so itself; a DEALER must), then one JSON frame";
    static final String TYPE_CHANNELS = "channels";
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
     * @param what  what the frame is, for the errors: {@code "request"}, {@code "reply"}, {@code "publication"}
     * @param usual the shape the frame usually has, read first in its plain form (see {@link Shape})
     */
    static Fields read(byte[] frame, String what, Shape usual) throws ProtocolException {
        Fields plain = usual.readPlain(frame);
        return plain != null ? plain : readJson(frame, what);
    }

    /** {@link #read} by Jackson's parser alone. */
    static Fields readJson(byte[] frame, String what) throws ProtocolException {
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
        private static final List<String> NAMES = List.of("type", "user", "channel", "text", "time", "ref", "id",
                "after", "limit", "last", "ok", "error", "seq", "first", "messages", "users", "channels", EPOCH);
        private static final Map<String, Integer> INDEX = new HashMap<>();
        private static final int MESSAGES = NAMES.indexOf("messages");
        /** The fields whose value may be a list: read as one (items objects or strings). */
        private static final java.util.Set<Integer> LISTS = java.util.Set.of(MESSAGES, NAMES.indexOf("users"),
                NAMES.indexOf("channels"));

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
                f.values[at] = t == JsonToken.START_ARRAY && LISTS.contains(at) ? list(p) : value(p, t);
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
                } else if (t == JsonToken.VALUE_STRING) {
                    items.add(p.getText());
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

        /** The fields read, by name, each with its first token and its value (for tests and debugging). */
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] != null) {
                    b.append(b.length() > 1 ? ", " : "").append(NAMES.get(i)).append('=').append(tokens[i])
                            .append(' ').append(values[i]);
                }
            }
            return b.append('}').toString();
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
        return message(read(body, "publication", PUBLICATION));
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

    // ---------------------------------------------------------------- shapes and writing

    /**
     * A shape of the protocol: its fields in the order they are written, as in docs/PROTOCOL.md's
     * examples. {@link #write} writes one through Jackson's generator; {@link #readPlain} reads the
     * usual ones before Jackson's parser is asked.
     *
     * <p>The plain form is a shape's JSON with its fields in the shape's order (some may be left
     * out), its strings plain (printable ASCII without a quote or backslash, see {@link
     * PlainStrings}) and its numbers whole, of at most 18 digits: what the writer gives, and what
     * a client that follows the protocol's examples sends, with or without white space (as
     * pyzmq's {@code json.dumps} writes). Those bytes are read by hand, without a parser made per
     * frame. Anything else (an escape, another byte, order or field) goes to Jackson's parser,
     * which gives the same fields for what both read, and the errors.
     *
     * <p>Why this fast path stays: every subscriber reads every publication (K per post), the
     * server every post, the poster every acknowledgement. In quick runs at K=10 alternated with
     * the build before this codec (which read and wrote these shapes by hand), Parley ZeroMQ / raw
     * JeroMQ was, as a median of each run's ratio over its neighbour's, 0.54 with Jackson alone
     * (13 pairs), 0.87 with this reader and Jackson's writer, 0.85 with a hand writer besides (24
     * pairs each): the writer did not pay and was not kept.
     *
     * <p>Thread safety: immutable.
     */
    static final class Shape {
        private static final byte[] TRUE = ascii("true");
        private static final byte[] FALSE = ascii("false");

        private final String[] names;
        /** Each field's index in {@link Fields}. */
        private final int[] slots;
        /** Each field's name as it is written: {@code "name"}. */
        private final byte[][] keys;

        Shape(String... names) {
            this.names = names;
            this.slots = new int[names.length];
            this.keys = new byte[names.length][];
            for (int k = 0; k < names.length; k++) {
                slots[k] = Fields.index(names[k]);
                keys[k] = ascii("\"" + names[k] + "\"");
            }
        }

        /**
         * The fields of {@code b} if it is this shape in the plain form, some fields left out,
         * else null. Such bytes are ASCII without NUL, so strict UTF-8; each field comes once, in
         * order, so none is repeated; the fields are those Jackson reads from them.
         */
        Fields readPlain(byte[] b) {
            int n = b.length;
            int i = space(b, 0);
            i = i < n && b[i] == '{' ? space(b, i + 1) : n;
            if (i == n) {
                return null;
            }
            Fields f = new Fields(); // from here on, i < n
            boolean first = true;
            for (int k = 0; k < keys.length; k++) {
                int at = first ? i : b[i] == ',' ? space(b, i + 1) : n; // after a field, a comma
                int end = at + keys[k].length;
                if (end > n || !Arrays.equals(b, at, end, keys[k], 0, keys[k].length)) {
                    continue; // left out
                }
                int colon = space(b, end);
                i = colon < n && b[colon] == ':' ? space(b, colon + 1) : n;
                if (i == n) {
                    return null;
                }
                int slot = slots[k];
                byte c = b[i];
                if (c == '"') {
                    int close = PlainStrings.closingQuote(b, i + 1, n);
                    if (close < 0) {
                        return null;
                    }
                    f.tokens[slot] = JsonToken.VALUE_STRING;
                    f.values[slot] = new String(b, i + 1, close - i - 1, StandardCharsets.ISO_8859_1); // ASCII: one copy
                    i = close + 1;
                } else if (c >= '0' && c <= '9') {
                    int from = i;
                    long v = 0;
                    while (i < n && b[i] >= '0' && b[i] <= '9' && i - from < 19) {
                        v = v * 10 + (b[i++] - '0');
                    }
                    if (i - from > 18 || (c == '0' && i - from > 1)) {
                        return null; // it may not fit in a long; a leading zero is not JSON
                    }
                    f.tokens[slot] = JsonToken.VALUE_NUMBER_INT;
                    f.values[slot] = v;
                } else if (Arrays.equals(b, i, Math.min(i + 4, n), TRUE, 0, 4)) {
                    f.tokens[slot] = JsonToken.VALUE_TRUE;
                    i += 4;
                } else if (Arrays.equals(b, i, Math.min(i + 5, n), FALSE, 0, 5)) {
                    f.tokens[slot] = JsonToken.VALUE_FALSE;
                    i += 5;
                } else {
                    return null;
                }
                i = space(b, i);
                if (i == n) {
                    return null;
                }
                first = false;
            }
            // A number or a literal ends at a comma or at the brace: "1.5" or "truex" is not read.
            return b[i] == '}' && space(b, i + 1) == n ? f : null;
        }

        /** The index of the first byte from {@code i} on that is not JSON white space. */
        private static int space(byte[] b, int i) {
            while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
                i++;
            }
            return i;
        }

        /**
         * One object of this shape, compact: each value a String, a Long or Integer, a Boolean or
         * an empty List (written as {@code []}), in the shape's order; a null value is left out.
         */
        byte[] write(Object... values) {
            ByteArrayBuilder out = new ByteArrayBuilder(256);
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                g.writeStartObject();
                for (int k = 0; k < values.length; k++) {
                    Object v = values[k];
                    if (v == null) {
                        continue;
                    }
                    g.writeFieldName(names[k]);
                    if (v instanceof String s) {
                        g.writeString(s);
                    } else if (v instanceof Boolean bool) {
                        g.writeBoolean(bool);
                    } else if (v instanceof List) {
                        g.writeStartArray();
                        g.writeEndArray();
                    } else {
                        g.writeNumber(((Number) v).longValue());
                    }
                }
                g.writeEndObject();
            } catch (IOException e) {
                // Strings and numbers into memory always serialise; reaching here is a bug.
                throw new IllegalStateException("cannot encode an object", e);
            }
            return out.toByteArray();
        }

        private static byte[] ascii(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }
    }

    static final Shape PUBLICATION = new Shape("channel", "seq", "user", "time", "text");
    static final Shape POST = new Shape("type", "user", "channel", "text", "time", "ref", "id");
    private static final Shape HISTORY = new Shape("type", "channel", "last", "after", "limit", "ref");
    private static final Shape PRESENCE = new Shape("type", "user", "channel", "ref");
    private static final Shape CHANNELS = new Shape("type", "ref");
    static final Shape OK = new Shape("ok", "channel", "seq", "time", "ref", EPOCH);
    private static final Shape PAGE = new Shape("ok", "channel", "first", "last", "messages", "ref", EPOCH);
    private static final Shape ERROR = new Shape("ok", "error", "ref");

    /** A publication's body, and each item of a history reply's list. */
    static byte[] encodeMessage(ChatMessage m) {
        return PUBLICATION.write(m.channel(), m.seq(), m.user(), ChatTime.format(m.time()), m.text());
    }

    /** A post request; {@code id} (the post's own, the same each time it is sent) may be null. */
    static byte[] postRequest(String ref, String user, String channel, String text, Instant time, String id) {
        return POST.write(TYPE_POST, user, channel, text, ChatTime.format(time), ref, id);
    }

    /** A history request: {@code after} mode, or {@code last} mode when {@code last >= 0}. */
    static byte[] historyRequest(String ref, String channel, long after, int limit, int last) {
        boolean newest = last >= 0;
        return HISTORY.write(TYPE_HISTORY, channel, newest ? last : null, newest ? null : after, newest ? null : limit, ref);
    }

    static byte[] postReply(ChatMessage m, String ref, String epoch) {
        return OK.write(true, m.channel(), m.seq(), ChatTime.format(m.time()), ref, epoch);
    }

    /** A presence request: {@code user} is in {@code channel}; null {@code user} only asks who is. */
    static byte[] presenceRequest(String ref, String channel, String user) {
        return PRESENCE.write(TYPE_PRESENCE, user, channel, ref);
    }

    static byte[] channelsRequest(String ref) {
        return CHANNELS.write(TYPE_CHANNELS, ref);
    }

    /**
     * {@code {"ok":true,"channel":...,"users":[...],"ref":...,"epoch":...}}: as many of the users
     * as fit in {@code maxBytes} (a user name is at most 32 characters, 128 bytes of UTF-8, plus
     * its quotes and comma), the first in their order.
     */
    static byte[] presenceReply(String channel, List<String> all, String ref, String epoch, int maxBytes) {
        List<String> users = all.subList(0, Math.max(0, Math.min(all.size(), (maxBytes - 512) / 132)));
        return written(g -> {
            g.writeBooleanField("ok", true);
            g.writeStringField("channel", channel);
            g.writeArrayFieldStart("users");
            for (String u : users) {
                g.writeString(u);
            }
            g.writeEndArray();
            optional(g, "ref", ref);
            optional(g, EPOCH, epoch);
        });
    }

    /** One channel of a channels reply: its name, its newest {@code seq}, how many are in it. */
    record ChannelInfo(String channel, long last, int users) {
    }

    /** {@code {"ok":true,"channels":[{"channel":...,"last":...,"users":...}...],"ref":...,"epoch":...}}. */
    static byte[] channelsReply(List<ChannelInfo> channels, String ref, String epoch) {
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
            optional(g, EPOCH, epoch);
        });
    }

    /** The users of a presence reply. */
    static List<String> users(Fields reply) throws ProtocolException {
        List<String> users = new ArrayList<>();
        if (!(reply.values[Fields.index("users")] instanceof List<?> items)) {
            throw new ProtocolException("bad reply: \"users\" is not a list");
        }
        for (Object item : items) {
            if (!(item instanceof String user)) {
                throw new ProtocolException("bad reply: a user must be a string");
            }
            users.add(user);
        }
        return users;
    }

    /** The channels of a channels reply, by name, each with how many are in it. */
    static java.util.Map<String, Integer> channels(Fields reply) throws ProtocolException {
        java.util.Map<String, Integer> channels = new java.util.TreeMap<>();
        if (!(reply.values[Fields.index("channels")] instanceof List<?> items)) {
            throw new ProtocolException("bad reply: \"channels\" is not a list");
        }
        for (Object item : items) {
            if (!(item instanceof Fields c)) {
                throw new ProtocolException("bad reply: a channel must be a JSON object");
            }
            channels.put(c.required("channel"), (int) Math.min(Integer.MAX_VALUE, c.count("users", 0)));
        }
        return channels;
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /** An object whose fields {@code body} writes. */
    private static byte[] written(Body body) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an object", e); // into memory: a bug
        }
        return out.toByteArray();
    }

    private static void optional(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    static byte[] errorReply(String error, String ref) {
        return ERROR.write(false, error, ref);
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
        byte[] envelope = PAGE.write(true, page.channel(), page.first(), page.last(), List.of(), ref, epoch);
        int at = new String(envelope, StandardCharsets.ISO_8859_1).indexOf(MESSAGES_OPEN) + MESSAGES_OPEN.length();

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

    private static final String MESSAGES_OPEN = ",\"messages\":[";

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
