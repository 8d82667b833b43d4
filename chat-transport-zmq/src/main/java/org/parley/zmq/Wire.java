package org.parley.zmq;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.parley.core.internal.ChatLimits;
import org.parley.core.ChatMessage;
import org.parley.core.internal.ChatTime;
import org.parley.core.HistoryPage;
import org.parley.core.ProtocolException;
import org.parley.core.internal.PlainStrings;
import org.parley.core.internal.StrictUtf8;

/**
 * The JSON of the ZeroMQ protocol: requests, replies and published messages, as in
 * docs/PROTOCOL.md. Field order on the wire follows the protocol's examples.
 *
 * <p>Thread safety: stateless apart from the shared, thread-safe mapper.
 */
final class Wire {
    static final String TYPE_POST = "post";
    static final String TYPE_HISTORY = "history";
    static final int DEFAULT_HISTORY_LIMIT = 100;
    /** The extension field naming the server's seq space (its hub's epoch) in ok replies. */
    static final String EPOCH = "epoch";

    // Frames are bounded before they are parsed; these bound what parsing one may cost.
    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(ChatLimits.MAX_JSON_NESTING)
            .maxNumberLength(ChatLimits.MAX_JSON_NUMBER_DIGITS)
            .build();

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(LIMITS)
                    .build())
            // {"a":1} garbage and {"a":1,"a":2} are malformed requests, not something to guess at.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /**
     * For the readers of the usual shapes, which find repeated fields themselves (and then leave
     * the object to {@link #MAPPER}): without the parser's duplicate detection, which kept a
     * hash set of the field names of every object and showed in every thread's profile.
     */
    private static final JsonFactory PLAIN = JsonFactory.builder()
            .streamReadConstraints(LIMITS)
            .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Wire() {
    }

    /**
     * Refuses a frame that is not strict UTF-8 ({@link StrictUtf8}: no overlong forms, no
     * encoded surrogates, no NUL, so no UTF-16 either), before any parser sees it. JSON is
     * UTF-8, so such a frame is not JSON either, and the error says both.
     */
    static void requireUtf8(byte[] frame, String what) throws ProtocolException {
        try {
            StrictUtf8.check(frame, what);
        } catch (ProtocolException e) {
            String why = e.getMessage();
            String prefix = what + " is ";
            throw new ProtocolException(what + " is not valid JSON: "
                    + (why.startsWith(prefix) ? why.substring(prefix.length()) : why));
        }
    }

    /** Parses one frame as a JSON object. */
    static ObjectNode parseObject(byte[] frame, String what) throws ProtocolException {
        JsonNode node;
        try {
            node = MAPPER.readTree(frame);
        } catch (JsonProcessingException e) {
            throw new ProtocolException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ProtocolException(what + " is not valid JSON: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            throw new ProtocolException(what + " is empty; expected a JSON object");
        }
        if (!node.isObject()) {
            throw new ProtocolException(what + " is a JSON " + kind(node) + ", not an object");
        }
        return (ObjectNode) node;
    }

    /** A string field; {@code null} when absent or JSON null. */
    static String optionalString(ObjectNode o, String field) throws ProtocolException {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new ProtocolException("\"" + field + "\" must be a string, not a " + kind(n));
        }
        return n.textValue();
    }

    static String requiredString(ObjectNode o, String field) throws ProtocolException {
        String s = optionalString(o, field);
        if (s == null) {
            throw new ProtocolException("\"" + field + "\" is missing");
        }
        return s;
    }

    /** A whole, non-negative number field; {@code fallback} when absent or JSON null. */
    static long optionalCount(ObjectNode o, String field, long fallback) throws ProtocolException {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new ProtocolException("\"" + field + "\" must be a whole number, not "
                    + (n.isNumber() ? n.asText() : "a " + kind(n)));
        }
        long v = n.longValue();
        if (v < 0) {
            throw new ProtocolException("\"" + field + "\" must be 0 or more, not " + v);
        }
        return v;
    }

    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "array";
            case BOOLEAN -> "boolean";
            case NUMBER -> "number";
            case STRING -> "string";
            case NULL -> "null";
            case OBJECT -> "object";
            default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    // ---- messages

    static ObjectNode messageNode(ChatMessage m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("channel", m.channel());
        o.put("seq", m.seq());
        o.put("user", m.user());
        o.put("time", ChatTime.format(m.time()));
        o.put("text", m.text());
        return o;
    }

    /** A publication's body: the bytes of {@link #messageNode}, streamed (no tree per message). */
    static byte[] encodeMessage(ChatMessage m) {
        String time = ChatTime.format(m.time());
        return object(w -> w.string("channel", m.channel()) && w.number("seq", m.seq())
                && w.string("user", m.user()) && w.string("time", time) && w.string("text", m.text()));
    }

    /**
     * A publication's message. The usual shape (the five fields, each once and of the right
     * type, nothing else) is read straight from the parser; anything else goes through
     * {@link #parseObject} and {@link #decodeMessage}, which name what is wrong. Building a tree
     * per message led every subscriber's profile.
     */
    static ChatMessage decodePublication(byte[] body) throws ProtocolException {
        ChatMessage plain = plainMessage(body);
        return plain != null ? plain : decodeMessage(parseObject(body, "publication"));
    }

    private static final List<String> MESSAGE_FIELDS = List.of("channel", "seq", "user", "time", "text");

    private static ChatMessage plainMessage(byte[] body) throws ProtocolException {
        Object[] v = flatFields(body, MESSAGE_FIELDS);
        if (v == null || !(v[0] instanceof String channel) || !(v[1] instanceof Long seq)
                || !(v[2] instanceof String user) || !(v[3] instanceof String time) || !(v[4] instanceof String text)) {
            return null;
        }
        Instant when = ChatTime.parse(time);
        try {
            return new ChatMessage(channel, seq, user, when, text);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("bad message: " + e.getMessage());
        }
    }

    /**
     * The fields of a flat object, each at the index of its name in {@code names}: a String, a
     * Long (a whole number of 0 or more) or Boolean.TRUE; absent fields are null. Null if the
     * body is not one such object: a field not among {@code names} or given twice, a value of
     * another kind, trailing tokens, not JSON. The readers of the usual shapes use it and leave
     * everything else to the tree, which names what is wrong.
     */
    private static Object[] flatFields(byte[] body, List<String> names) {
        Object[] values = AsciiReader.read(body, names);
        return values != null ? values : jacksonFlatFields(body, names);
    }

    /** {@link #flatFields} through Jackson's parser: for what {@link AsciiReader} leaves, such as escapes. */
    static Object[] jacksonFlatFields(byte[] body, List<String> names) {
        Object[] values = new Object[names.size()];
        try (JsonParser p = PLAIN.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                int i = names.indexOf(p.currentName());
                if (i < 0 || values[i] != null) {
                    return null;
                }
                switch (p.nextToken()) {
                    case VALUE_STRING -> values[i] = p.getText();
                    case VALUE_TRUE -> values[i] = Boolean.TRUE;
                    case VALUE_NUMBER_INT -> {
                        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                            return null;
                        }
                        values[i] = p.getLongValue();
                    }
                    default -> {
                        return null;
                    }
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
        } catch (IOException e) {
            return null; // not JSON, trailing tokens: the tree path says which
        }
        return values;
    }

    /**
     * Reads a flat object by hand when it is plain: every name and string printable ASCII
     * without escapes, numbers whole and non-negative with at most 18 digits, no leading zero.
     * It returns exactly what {@link #jacksonFlatFields} would for such a body; for anything
     * else (an escape, a non-ASCII byte, another kind of value, malformed JSON) it returns null
     * and the caller asks Jackson, so the two never disagree on what is accepted. Creating a
     * Jackson parser per frame (its buffer recycler, its context) led the profile of every
     * subscriber, which reads each publication, and of the server, which reads each post.
     */
    static final class AsciiReader {
        private static final int MAX_DIGITS = 18; // any 18 digits fit in a long

        private final byte[] b;
        private int i;

        private AsciiReader(byte[] body) {
            this.b = body;
        }

        static Object[] read(byte[] body, List<String> names) {
            return new AsciiReader(body).object(names);
        }

        private Object[] object(List<String> names) {
            Object[] values = new Object[names.size()];
            if (next() != '{') {
                return null;
            }
            int c = next();
            if (c == '}') {
                return end() ? values : null;
            }
            for (int field = 0; ; field++) {
                if (c != '"') {
                    return null;
                }
                int index = name(names, field);
                if (index < 0 || values[index] != null || next() != ':') {
                    return null;
                }
                Object v = value(next());
                if (v == null) {
                    return null;
                }
                values[index] = v;
                c = next();
                if (c == '}') {
                    return end() ? values : null;
                }
                if (c != ',') {
                    return null;
                }
                c = next();
            }
        }

        /** The next byte that is not JSON whitespace, or -1 at the end. */
        private int next() {
            while (i < b.length) {
                byte c = b[i++];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return c & 0xff; // a non-ASCII byte is not -1, the end
                }
            }
            return -1;
        }

        private boolean end() {
            return next() == -1;
        }

        /** After an opening quote: the plain string's end (at its closing quote), or -1. */
        private int stringEnd() {
            return PlainStrings.closingQuote(b, i, b.length);
        }

        /**
         * After an opening quote: the index of the field's name in {@code names}, or -1. The
         * name at {@code expected} is tried first: writers keep to one order.
         */
        private int name(List<String> names, int expected) {
            int end = stringEnd();
            if (end < 0) {
                return -1;
            }
            int start = i;
            i = end + 1;
            if (expected < names.size() && matches(names.get(expected), start, end)) {
                return expected;
            }
            for (int n = 0; n < names.size(); n++) {
                if (matches(names.get(n), start, end)) {
                    return n;
                }
            }
            return -1;
        }

        private boolean matches(String name, int start, int end) {
            if (name.length() != end - start) {
                return false;
            }
            for (int k = 0; k < name.length(); k++) {
                if (b[start + k] != name.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        /** A value starting with {@code c}: a String, a Long or Boolean.TRUE; null if not plain. */
        private Object value(int c) {
            if (c == '"') {
                int end = stringEnd();
                if (end < 0) {
                    return null;
                }
                String s = new String(b, i, end - i, StandardCharsets.ISO_8859_1); // ASCII: one copy
                i = end + 1;
                return s;
            }
            if (c == 't') {
                if (i + 3 <= b.length && b[i] == 'r' && b[i + 1] == 'u' && b[i + 2] == 'e') {
                    i += 3;
                    return delimited() ? Boolean.TRUE : null;
                }
                return null;
            }
            if (c >= '0' && c <= '9') {
                int start = i - 1;
                long v = c - '0';
                while (i < b.length && b[i] >= '0' && b[i] <= '9') {
                    v = v * 10 + (b[i++] - '0');
                }
                int digits = i - start;
                if (digits > MAX_DIGITS || (c == '0' && digits > 1) || !delimited()) {
                    return null;
                }
                return v;
            }
            return null;
        }

        /** Whether a number or literal ends here, as JSON needs (not "12.5", "1e3", "truex"). */
        private boolean delimited() {
            if (i == b.length) {
                return true;
            }
            byte c = b[i];
            return c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
        }
    }

    /** An ok reply to a post of the usual shape; {@code ref} and {@code epoch} may be null. */
    record PlainAck(String channel, long seq, String time, String ref, String epoch) {
    }

    /**
     * The ok reply to a post in {@code body} if it has the usual shape: {@code "ok":true}, the
     * strings channel and time, the number seq (0 or more), optionally the strings ref and
     * epoch, each once, nothing else. Otherwise null, and the caller reads the tree, which
     * names what is wrong. The tree per reply led each posting client's profile.
     */
    static PlainAck plainAck(byte[] body) {
        Object[] v = flatFields(body, ACK_FIELDS);
        if (v == null || v[0] != Boolean.TRUE || !(v[1] instanceof String channel) || !(v[2] instanceof Long seq)
                || !(v[3] instanceof String time) || !(v[4] == null || v[4] instanceof String)
                || !(v[5] == null || v[5] instanceof String)) {
            return null;
        }
        return new PlainAck(channel, seq, time, (String) v[4], (String) v[5]);
    }

    private static final List<String> ACK_FIELDS = List.of("ok", "channel", "seq", "time", "ref", EPOCH);

    /** A post request of the usual shape; {@code channel}, {@code time} and {@code ref} may be null. */
    record PlainPost(String user, String channel, String text, String time, String ref) {
    }

    /**
     * The post request in {@code body} if it has the usual shape: string fields among type
     * ({@code "post"}), user, channel, text, time and ref, each once, user and text present,
     * nothing else. Otherwise null, and the caller reads the tree, which names what is wrong.
     */
    static PlainPost plainPost(byte[] body) {
        Object[] v = flatFields(body, POST_FIELDS);
        if (v == null) {
            return null;
        }
        for (Object value : v) {
            if (value != null && !(value instanceof String)) {
                return null;
            }
        }
        if ((v[0] != null && !v[0].equals(TYPE_POST)) || v[1] == null || v[3] == null) {
            return null;
        }
        return new PlainPost((String) v[1], (String) v[2], (String) v[3], (String) v[4], (String) v[5]);
    }

    private static final List<String> POST_FIELDS = List.of("type", "user", "channel", "text", "time", "ref");

    /** Where an object's fields are written: each call false if this writer cannot take the value. */
    private interface FieldWriter {
        boolean string(String name, String value);

        boolean number(String name, long value);

        boolean bool(String name, boolean value);
    }

    /** The fields of one object, in order, written once for both writers; false if one refused. */
    @FunctionalInterface
    private interface Fields {
        boolean write(FieldWriter w);
    }

    /**
     * One JSON object written by hand, for the common case where every string is printable
     * ASCII without a quote or a backslash: Jackson writes such a string byte for byte, so these
     * are its bytes. Any other string makes {@link #string} return false and the caller streams
     * the object through Jackson, which escapes. Creating a Jackson generator per message (its
     * buffer recycler, its context) and its escaping loop were a third of the server's profile.
     */
    private static final class AsciiObject implements FieldWriter {
        private byte[] buf = new byte[256];
        private int len = 1;

        AsciiObject() {
            buf[0] = '{';
        }

        private void room(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        /** Writes {@code ,"name":} (names are constants of this class's callers: plain ASCII). */
        private void name(String name) {
            room(name.length() + 4);
            if (len > 1) {
                buf[len++] = ',';
            }
            buf[len++] = '"';
            for (int i = 0; i < name.length(); i++) {
                buf[len++] = (byte) name.charAt(i);
            }
            buf[len++] = '"';
            buf[len++] = ':';
        }

        @Override
        public boolean string(String name, String value) {
            name(name);
            // As UTF-8, a string is as many bytes as chars only if every char is ASCII; the JDK
            // copies such a string in one go, and a loop over bytes then checks the rest. A loop
            // of charAt over each text led the server's profile.
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            int n = bytes.length;
            if (n != value.length()) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                byte c = bytes[i]; // ASCII: n is the string's length
                if (!PlainStrings.isPlain(c)) {
                    return false;
                }
                if (c == '?' && value.charAt(i) != '?') {
                    return false; // a lone surrogate, which the encoder replaced
                }
            }
            room(n + 2);
            buf[len++] = '"';
            System.arraycopy(bytes, 0, buf, len, n);
            len += n;
            buf[len++] = '"';
            return true;
        }

        @Override
        public boolean number(String name, long value) {
            name(name);
            String digits = Long.toString(value);
            room(digits.length());
            for (int i = 0; i < digits.length(); i++) {
                buf[len++] = (byte) digits.charAt(i);
            }
            return true;
        }

        @Override
        public boolean bool(String name, boolean value) {
            name(name);
            String word = value ? "true" : "false";
            room(word.length());
            for (int i = 0; i < word.length(); i++) {
                buf[len++] = (byte) word.charAt(i);
            }
            return true;
        }

        byte[] finish() {
            room(1);
            buf[len++] = '}';
            return Arrays.copyOf(buf, len);
        }
    }

    /**
     * One JSON object: the same bytes a tree with these fields serialises to. Written by hand
     * when every string is plain ASCII, else streamed through Jackson, which escapes.
     */
    private static byte[] object(Fields fields) {
        AsciiObject ascii = new AsciiObject();
        if (fields.write(ascii)) {
            return ascii.finish();
        }
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            fields.write(new JacksonFields(g));
            g.writeEndObject();
        } catch (IOException | UncheckedIOException e) {
            // Strings and numbers into memory always serialise; reaching here is a bug.
            throw new IllegalStateException("cannot encode an object", e);
        }
        return out.toByteArray();
    }

    /** A {@link FieldWriter} over a Jackson generator: takes every value. */
    private record JacksonFields(JsonGenerator g) implements FieldWriter {
        @Override
        public boolean string(String name, String value) {
            return write(() -> g.writeStringField(name, value));
        }

        @Override
        public boolean number(String name, long value) {
            return write(() -> g.writeNumberField(name, value));
        }

        @Override
        public boolean bool(String name, boolean value) {
            return write(() -> g.writeBooleanField(name, value));
        }

        private static boolean write(IoAction action) {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return true;
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

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

    static ChatMessage decodeMessage(JsonNode node) throws ProtocolException {
        if (node == null || !node.isObject()) {
            throw new ProtocolException("a message must be a JSON object");
        }
        ObjectNode o = (ObjectNode) node;
        String channel = requiredString(o, "channel");
        long seq = optionalCount(o, "seq", 0);
        String user = requiredString(o, "user");
        Instant time = ChatTime.parse(requiredString(o, "time"));
        String text = requiredString(o, "text");
        try {
            return new ChatMessage(channel, seq, user, time, text);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("bad message: " + e.getMessage());
        }
    }

    // ---- requests (client side)

    static byte[] postRequest(String ref, String user, String channel, String text, Instant time) {
        String stamp = ChatTime.format(time);
        return object(w -> w.string("type", TYPE_POST) && w.string("user", user) && w.string("channel", channel)
                && w.string("text", text) && w.string("time", stamp) && w.string("ref", ref));
    }

    /** A history request: {@code after} mode, or {@code last} mode when {@code last >= 0}. */
    static byte[] historyRequest(String ref, String channel, long after, int limit, int last) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", TYPE_HISTORY);
        o.put("channel", channel);
        if (last >= 0) {
            o.put("last", last);
        } else {
            o.put("after", after);
            o.put("limit", limit);
        }
        o.put("ref", ref);
        return bytes(o);
    }

    // ---- replies (server side)

    static byte[] postReply(ChatMessage m, String ref, String epoch) {
        String time = ChatTime.format(m.time());
        return object(w -> w.bool("ok", true) && w.string("channel", m.channel()) && w.number("seq", m.seq())
                && w.string("time", time) && (ref == null || w.string("ref", ref)) && w.string(EPOCH, epoch));
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
        ObjectNode o = MAPPER.createObjectNode();
        o.put("ok", true);
        o.put("channel", page.channel());
        o.put("first", page.first());
        o.put("last", page.last());
        o.putArray("messages");
        putRef(o, ref);
        o.put(EPOCH, epoch);
        byte[] envelope = bytes(o);
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

    static byte[] errorReply(String error, String ref) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("ok", false);
        o.put("error", error);
        putRef(o, ref);
        return bytes(o);
    }

    private static void putRef(ObjectNode o, String ref) {
        if (ref != null) {
            o.put("ref", ref);
        }
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            // A tree of strings and numbers always serialises; reaching here is a bug.
            throw new IllegalStateException("cannot encode " + node.getNodeType(), e);
        }
    }
}
