package org.parley.tcp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.Names;
import org.parley.core.ProtocolException;
import org.parley.core.internal.PlainStrings;
import org.parley.core.internal.StrictUtf8;

/**
 * The TCP transport's codec: the one reader and the one writer of its JSON objects (chat
 * messages, registrations, errors), both on Jackson's streaming API over one shared factory.
 * The reader takes one whole object's bytes, as {@link JsonFramer} cuts them; the writer gives
 * compact JSON plus {@code \n}. No socket here.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
final class WireCodec {
    /**
     * Shared by every reader and writer. Duplicate keys are refused (a reader that kept the first
     * and one that kept the last would see two different messages); numbers and nesting are held
     * to the protocol's limits. The framer has bounded the object's size already, and with it
     * every key and string in it: Jackson's own bounds on those are lifted, so that the frame
     * limit is the only size rule (its default of 50,000 characters for a key would otherwise
     * refuse a key that fits).
     */
    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNumberLength(ChatLimits.MAX_JSON_NUMBER_DIGITS)
                    .maxNestingDepth(ChatLimits.MAX_JSON_NESTING)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .build();

    private WireCodec() {
    }

    /** What one received object means. */
    sealed interface Frame permits Chat, Registration, Error, Ack, Registered, Presence, Auth {
    }

    /**
     * Extension: who a client is, on a server that authenticates, before anything else:
     * {@code {"auth":{"user":..,"token":..}}}.
     */
    record Auth(String user, String token) implements Frame {
        @Override
        public String toString() {
            return "Auth[" + user + "]"; // never the token
        }
    }

    /**
     * A chat message; {@code user} is {@code null} when absent. The extension's fields
     * (docs/PROTOCOL.md, "Extension: acknowledgements and resume"): {@code id} and {@code time}
     * from a sender, {@code seq} (0 when absent) and {@code time} to a client that resumes.
     */
    record Chat(TcpMessage message, String id, String time, long seq) implements Frame {
        Chat(TcpMessage message) {
            this(message, null, null, 0);
        }

        @Override
        public String toString() { // the seed's form reads as before
            return id == null && time == null && seq == 0 ? "Chat[message=" + message + "]"
                    : "Chat[message=" + message + ", id=" + id + ", time=" + time + ", seq=" + seq + "]";
        }
    }

    /** A topic registration: the complete new set of topics; {@code resume} null when not asked for. */
    record Registration(TcpAddress source, List<String> topics, Resume resume) implements Frame {
        Registration(TcpAddress source, List<String> topics) {
            this(source, topics, null);
        }

        @Override
        public String toString() { // the seed's form reads as before
            return "Registration[source=" + source + ", topics=" + topics + (resume == null ? "" : ", resume=" + resume) + "]";
        }
    }

    /** What a resuming client has: the epoch it counted under (null: none yet) and the last seq per topic. */
    record Resume(String epoch, java.util.Map<String, Long> after) {
    }

    /** The server stored a message with an id: {@code {"ack":{"id":..,"topic":..,"seq":..,"epoch":..}}}. */
    record Ack(String id, String topic, long seq, String epoch) implements Frame {
    }

    /**
     * Presence (extension): a client says {@code user} is in {@code topic} and asks who is
     * ({@code users} null; {@code user} null only asks), or the server answers who is
     * ({@code users}, sorted): {@code {"presence":{"topic":..,"user":..}}}, {@code {"presence":{"topic":..,"users":[..]}}}.
     */
    record Presence(String topic, String user, List<String> users) implements Frame {
    }

    /** The server's answer to a registration with {@code resume}: {@code {"registered":{"epoch":..}}}. */
    record Registered(String epoch) implements Frame {
    }

    /** An error reported by the other side. */
    record Error(String error) implements Frame {
    }

    // ---------------------------------------------------------------- reading

    /** Receives each frame a {@link Reader} completes; may throw to stop reading. */
    @FunctionalInterface
    interface Sink {
        void accept(Frame frame) throws ProtocolException;
    }

    /**
     * Reads one connection's byte stream, however it is cut into reads: {@link JsonFramer} finds
     * where each object ends (keeping at most one unfinished object's raw bytes), the whole
     * object's bytes must be strict UTF-8, then {@link #decode} reads it and the frame goes to
     * the sink. After the first {@link ProtocolException} the reader is spent: the stream cannot
     * be resynchronised, and the connection is closed.
     *
     * <p>Thread safety: not thread-safe; one reader per connection, used by its selector thread.
     */
    static final class Reader {
        private final int maxObjectBytes;
        private final JsonFramer framer;
        /** The fast path for chat messages of the plain shape, or null (for tests). */
        private final PlainChatScanner scanner;
        /** An object has been read: from the second on, the scanner is asked first. */
        private boolean started;
        private boolean failed;
        private long scanned; // objects the scanner took (for tests)

        Reader(int maxObjectBytes) {
            this(maxObjectBytes, true);
        }

        /** With {@code fastPath} false, every object goes through the framer and Jackson (for tests). */
        Reader(int maxObjectBytes, boolean fastPath) {
            this.maxObjectBytes = maxObjectBytes;
            this.framer = new JsonFramer(maxObjectBytes, ChatLimits.MAX_JSON_NESTING);
            this.scanner = fastPath ? new PlainChatScanner() : null;
        }

        /**
         * Feeds {@code length} bytes; every frame they complete goes to {@code sink}, in order.
         * The array is read during this call only. Returns the number of objects completed.
         *
         * <p>At each object boundary, from the second object of the stream on (on a topic server
         * the first is the registration, and a byte order mark is the framer's), the object is
         * first offered to the {@link PlainChatScanner}; what it does not take (another shape,
         * or one cut by the end of the bytes) is read by the framer to its end, then by Jackson.
         * The size limit and the errors are those of the framer and Jackson alone.
         *
         * @throws ProtocolException at the first object that is too large, not JSON, not UTF-8,
         *                           not an object or not a frame; frames before it have been delivered
         */
        int feed(byte[] bytes, int offset, int length, Sink sink) throws ProtocolException {
            if (failed) {
                throw new IllegalStateException("reader failed earlier");
            }
            int objects = 0;
            try {
                int end = offset + length;
                int pos = offset;
                // Stops once released: a handler may close the connection while this read is handled,
                // and what is left of the bytes must not be kept for a connection that is gone.
                while (pos < end && !failed) {
                    if (scanner != null && started && !framer.inObject()) {
                        pos = JsonFramer.skipWhiteSpace(bytes, pos, end);
                        if (pos == end) {
                            break;
                        }
                        int next = scanner.scan(bytes, pos, end, maxObjectBytes);
                        if (next >= 0) {
                            pos = next;
                            objects++;
                            scanned++;
                            sink.accept(new Chat(scanner.message()));
                            continue;
                        }
                    }
                    int next = framer.next(bytes, pos, end);
                    if (next < 0) {
                        break; // the rest is white space or the start of an object, kept
                    }
                    pos = next;
                    objects++;
                    started = true;
                    JsonBytes object = framer.take();
                    StrictUtf8.check(object.array(), object.from(), object.to(), "message");
                    sink.accept(decode(object.array(), object.from(), object.to()));
                }
            } catch (ProtocolException e) {
                failed = true;
                throw e;
            }
            return objects;
        }

        /** Objects the fast path has read (for tests). */
        long scanned() {
            return scanned;
        }

        /** Whether the stream stopped inside an object, whose bytes so far are kept. */
        boolean inObject() {
            return framer.inObject();
        }

        /** The capacity of the buffer kept for an unfinished object (0 when none). */
        int bufferCapacity() {
            return framer.bufferCapacity();
        }

        /**
         * Lets go of what is kept, and reads nothing more: the connection is closing or closed.
         * Called during {@link #feed}, it ends that call after the frame being handed over.
         */
        void release() {
            failed = true;
            framer.release();
        }

        /** The stream ended. Throws if it ended inside an object. */
        void endOfInput() throws ProtocolException {
            if (failed) {
                return;
            }
            try {
                framer.endOfInput();
            } catch (ProtocolException e) {
                failed = true;
                throw e;
            }
        }
    }


    /**
     * Reads one whole object, {@code bytes[from..to)} from its opening brace to its closing one.
     * The object is read to its end first, so bytes that are not JSON or repeat a key are refused
     * as such wherever they are; then its fields are checked in a fixed order ({@code error},
     * then {@code topics}, then {@code message}), and the first that is missing or of the wrong
     * type is named.
     */
    static Frame decode(byte[] bytes, int from, int to) throws ProtocolException {
        Fields fields = new Fields();
        try (JsonParser p = FACTORY.createParser(bytes, from, to - from)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalStateException("the framer handed over something other than an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "error" -> fields.error = Value.read(p, t);
                    case "topics" -> fields.topics = Topics.read(p, t);
                    case "source" -> fields.source = Address.read(p, t);
                    case "destination" -> fields.destination = Address.read(p, t);
                    case "message" -> fields.message = Message.read(p, t);
                    case "resume" -> fields.resume = Extension.read(p, t);
                    case "ack" -> fields.ack = Extension.read(p, t);
                    case "registered" -> fields.registered = Extension.read(p, t);
                    case "presence" -> fields.presence = Extension.read(p, t);
                    case "auth" -> fields.auth = Extension.read(p, t);
                    default -> p.skipChildren(); // read all the same: a repeat or bad JSON in it is refused
                }
            }
            if (p.nextToken() != null) {
                throw new IllegalStateException("the framer handed over more than one object");
            }
        } catch (IOException e) {
            throw notJson(e);
        }
        return fields.frame();
    }

    /** What a parser's failure on an object says to the peer that sent it. */
    static ProtocolException notJson(IOException e) {
        String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        if (e instanceof StreamConstraintsException) {
            // Jackson names the bound it applied by the getter it read it from.
            String bound = String.valueOf(reason);
            if (bound.contains("getMaxNestingDepth")) {
                return new ProtocolException("message nests deeper than " + ChatLimits.MAX_JSON_NESTING + " levels");
            }
            if (bound.contains("getMaxNumberLength")) {
                return new ProtocolException("a number in the message exceeds the limit of "
                        + ChatLimits.MAX_JSON_NUMBER_DIGITS + " digits");
            }
            return new ProtocolException("message exceeds a bound of the JSON parser: " + firstLine(reason));
        }
        if (reason != null && reason.startsWith(DUPLICATE) && reason.endsWith("'")) {
            return new ProtocolException("duplicate key "
                    + Names.quote(reason.substring(DUPLICATE.length(), reason.length() - 1)));
        }
        return new ProtocolException("not JSON: " + firstLine(reason));
    }

    /** How Jackson's duplicate detection begins its message, before the key's name. */
    private static final String DUPLICATE = "Duplicate field '";

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable input";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    /**
     * The top-level fields the rules look at, as read; null when absent. A field given as
     * {@code null} is present, and reported as missing where a value is needed.
     */
    private static final class Fields {
        Value error;
        Topics topics;
        Address source;
        Address destination;
        Message message;
        Extension resume;
        Extension ack;
        Extension registered;
        Extension presence;
        Extension auth;

        Frame frame() throws ProtocolException {
            if (error != null) {
                return new Error(error.string("error"));
            }
            if (topics != null) {
                return new Registration(Address.require(source, "source"), topics.list(),
                        resume != null ? resume.resume() : null);
            }
            if (message != null) {
                TcpAddress from = Address.require(source, "source");
                TcpAddress to = destination != null ? Address.require(destination, "destination") : null;
                return message.chat(from, to);
            }
            if (ack != null) {
                return ack.ack();
            }
            if (registered != null) {
                return new Registered(registered.string("epoch", "registered"));
            }
            if (presence != null) {
                return presence.presence();
            }
            if (auth != null) {
                return new Auth(auth.string("user", "auth"), auth.string("token", "auth"));
            }
            throw new ProtocolException(
                    "object is neither a chat message (no \"message\") nor a registration (no \"topics\")");
        }
    }

    /** A value as far as the rules look at it: its first token, a string's text, an int's value. */
    private record Value(JsonToken token, String text, boolean isInt, int intValue, long longValue) {
        Value(JsonToken token, String text, boolean isInt, int intValue) {
            this(token, text, isInt, intValue, intValue);
        }

        /** A value that may be a whole number up to a long's range (a seq). */
        static Value readLong(JsonParser p, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                long v = p.getLongValue();
                return new Value(t, null, false, 0, v);
            }
            return read(p, t);
        }

        /** The whole number of 0 or more this value must be, at {@code path}. */
        long whole(String path) throws ProtocolException {
            if (token != JsonToken.VALUE_NUMBER_INT || longValue < 0) {
                throw new ProtocolException(path + " must be a whole number of 0 or more, not "
                        + (token == JsonToken.VALUE_NUMBER_INT ? Long.toString(longValue) : type()));
            }
            return longValue;
        }

        /** Reads the value whose first token {@code t} is current, to its end. */
        static Value read(JsonParser p, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_STRING) {
                return new Value(t, p.getText(), false, 0);
            }
            if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
                return new Value(t, null, true, p.getIntValue());
            }
            p.skipChildren();
            return new Value(t, null, false, 0);
        }

        /** The string this value must be, at {@code path}; null or absent is missing. */
        static String string(Value v, String path) throws ProtocolException {
            if (v == null || v.token == JsonToken.VALUE_NULL) {
                throw new ProtocolException(path + " is missing");
            }
            if (v.token != JsonToken.VALUE_STRING) {
                throw new ProtocolException(path + " must be a string, not " + v.type());
            }
            return v.text;
        }

        String string(String path) throws ProtocolException {
            return string(this, path);
        }

        String type() {
            return type(token);
        }

        static String type(JsonToken token) {
            return switch (token) {
                case START_ARRAY -> "an array";
                case START_OBJECT -> "an object";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_STRING -> "a string";
                case VALUE_NULL -> "null";
                default -> token.name().toLowerCase(java.util.Locale.ROOT);
            };
        }
    }

    /** {@code {"ip":...,"port":...}} as read, or the token of what stood there instead. */
    private record Address(JsonToken token, Value ip, Value port) {
        static Address read(JsonParser p, JsonToken t) throws IOException {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                return new Address(t, null, null);
            }
            Value ip = null;
            Value port = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "ip" -> ip = Value.read(p, v);
                    case "port" -> port = Value.read(p, v);
                    default -> p.skipChildren();
                }
            }
            return new Address(t, ip, port);
        }

        /** The address at {@code field}: an object with an ip string and a port (string or number, 0..65535). */
        static TcpAddress require(Address a, String field) throws ProtocolException {
            if (a == null || a.token == JsonToken.VALUE_NULL) {
                throw new ProtocolException(field + " is missing");
            }
            if (a.token != JsonToken.START_OBJECT) {
                throw new ProtocolException(field + " must be an object with ip and port, not " + Value.type(a.token));
            }
            String ip = Value.string(a.ip, field + ".ip");
            Value port = a.port;
            int value;
            if (port == null || port.token == JsonToken.VALUE_NULL) {
                throw new ProtocolException(field + ".port is missing");
            } else if (port.isInt) {
                value = port.intValue;
            } else if (port.token == JsonToken.VALUE_STRING && isPortDigits(port.text)) {
                value = Integer.parseInt(port.text);
            } else {
                throw new ProtocolException(field + ".port must be a port number (string or number), not "
                        + (port.token == JsonToken.VALUE_STRING ? Names.quote(port.text) : port.type()));
            }
            if (value < 0 || value > 65535) {
                throw new ProtocolException(field + ".port " + value + " is outside 0..65535");
            }
            return new TcpAddress(ip, value);
        }
    }

    /** {@code "message":{"topic":...,"text":...,"user":...,"id":...,"time":...,"seq":...}} as read. */
    private record Message(JsonToken token, Value topic, Value text, Value user, Value id, Value time, Value seq) {
        static Message read(JsonParser p, JsonToken t) throws IOException {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                return new Message(t, null, null, null, null, null, null);
            }
            Value topic = null;
            Value text = null;
            Value user = null;
            Value id = null;
            Value time = null;
            Value seq = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "topic" -> topic = Value.read(p, v);
                    case "text" -> text = Value.read(p, v);
                    case "user" -> user = Value.read(p, v);
                    case "id" -> id = Value.read(p, v);
                    case "time" -> time = Value.read(p, v);
                    case "seq" -> seq = Value.readLong(p, v);
                    default -> p.skipChildren();
                }
            }
            return new Message(t, topic, text, user, id, time, seq);
        }

        Chat chat(TcpAddress source, TcpAddress destination) throws ProtocolException {
            TcpMessage m = message(source, destination);
            String idValue = id != null ? Value.string(id, "message.id") : null;
            String timeValue = time != null ? Value.string(time, "message.time") : null;
            long seqValue = seq != null ? seq.whole("message.seq") : 0;
            return new Chat(m, idValue, timeValue, seqValue);
        }

        TcpMessage message(TcpAddress source, TcpAddress destination) throws ProtocolException {
            if (token != JsonToken.START_OBJECT) {
                throw new ProtocolException("message must be an object, not " + Value.type(token));
            }
            String topicValue = Value.string(topic, "message.topic");
            String textValue = Value.string(text, "message.text");
            String userValue = user != null ? Value.string(user, "message.user") : null;
            return new TcpMessage(source, destination, topicValue, textValue, userValue);
        }
    }

    /**
     * An object of the extension ({@code resume}, {@code ack}, {@code registered}) as read: its
     * string and number fields, and the {@code after} object of a resume (topic to seq). At most
     * {@link #MAX_AFTER} entries of {@code after} are kept; more is an error.
     */
    private record Extension(JsonToken token, java.util.Map<String, Value> fields, java.util.Map<String, Value> after,
            JsonToken afterToken, List<String> users, JsonToken usersToken) {
        static final int MAX_AFTER = 1024;
        /** Users of a presence answer kept; a frame of 64 KiB holds fewer. */
        static final int MAX_USERS = 10_000;

        static Extension read(JsonParser p, JsonToken t) throws IOException {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                return new Extension(t, java.util.Map.of(), null, null, null, null);
            }
            java.util.Map<String, Value> fields = new java.util.HashMap<>();
            java.util.Map<String, Value> after = null;
            JsonToken afterToken = null;
            List<String> users = null;
            JsonToken usersToken = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("users")) {
                    usersToken = v;
                    if (v == JsonToken.START_ARRAY) {
                        users = new ArrayList<>();
                        for (JsonToken item; (item = p.nextToken()) != JsonToken.END_ARRAY; ) {
                            if (item != JsonToken.VALUE_STRING) {
                                p.skipChildren();
                                usersToken = item; // the first that is not a string: named in the error
                                users = null;
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    p.skipChildren();
                                }
                                break;
                            }
                            if (users.size() < MAX_USERS) {
                                users.add(p.getText());
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                } else if (name.equals("after")) {
                    afterToken = v;
                    if (v == JsonToken.START_OBJECT) {
                        after = new java.util.LinkedHashMap<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String topic = p.currentName();
                            Value seq = Value.readLong(p, p.nextToken());
                            if (after.size() <= MAX_AFTER) {
                                after.put(topic, seq);
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                } else if (name.equals("id") || name.equals("topic") || name.equals("epoch") || name.equals("seq")
                        || name.equals("user") || name.equals("token")) {
                    fields.put(name, Value.readLong(p, v));
                } else {
                    p.skipChildren();
                }
            }
            return new Extension(t, fields, after, afterToken, users, usersToken);
        }

        private void requireObject(String field) throws ProtocolException {
            if (token != JsonToken.START_OBJECT) {
                throw new ProtocolException(field + " must be an object, not " + Value.type(token));
            }
        }

        String string(String name, String field) throws ProtocolException {
            requireObject(field);
            return Value.string(fields.get(name), field + "." + name);
        }

        Resume resume() throws ProtocolException {
            requireObject("resume");
            Value epoch = fields.get("epoch");
            String epochValue = epoch == null || epoch.token() == JsonToken.VALUE_NULL ? null
                    : Value.string(epoch, "resume.epoch");
            java.util.Map<String, Long> seqs = new java.util.LinkedHashMap<>();
            if (afterToken != null && afterToken != JsonToken.VALUE_NULL) {
                if (after == null) {
                    throw new ProtocolException("resume.after must be an object of topic to seq, not " + Value.type(afterToken));
                }
                if (after.size() > MAX_AFTER) {
                    throw new ProtocolException("resume.after holds more than " + MAX_AFTER + " topics");
                }
                for (java.util.Map.Entry<String, Value> e : after.entrySet()) {
                    seqs.put(e.getKey(), e.getValue().whole("resume.after." + (e.getKey().length() > 64 ? e.getKey().substring(0, 64) + "..." : e.getKey())));
                }
            }
            return new Resume(epochValue, seqs);
        }

        Presence presence() throws ProtocolException {
            requireObject("presence");
            String topic = string("topic", "presence");
            Value user = fields.get("user");
            String userValue = user == null || user.token() == JsonToken.VALUE_NULL ? null
                    : Value.string(user, "presence.user");
            if (usersToken == null || usersToken == JsonToken.VALUE_NULL) {
                return new Presence(topic, userValue, null);
            }
            if (users == null) {
                throw new ProtocolException("presence.users must be a list of strings, not "
                        + (usersToken == JsonToken.START_ARRAY ? "a list of something else" : Value.type(usersToken)));
            }
            return new Presence(topic, userValue, users);
        }

        Ack ack() throws ProtocolException {
            requireObject("ack");
            Value seq = fields.get("seq");
            if (seq == null) {
                throw new ProtocolException("ack.seq is missing");
            }
            return new Ack(string("id", "ack"), string("topic", "ack"), seq.whole("ack.seq"), string("epoch", "ack"));
        }
    }

    /** {@code "topics"} as read: the strings, and the type of the first item that is not one. */
    private record Topics(JsonToken token, List<String> strings, JsonToken firstNotString) {
        static Topics read(JsonParser p, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_STRING) {
                return new Topics(t, List.of(p.getText()), null);
            }
            if (t != JsonToken.START_ARRAY) {
                p.skipChildren();
                return new Topics(t, null, null);
            }
            List<String> strings = new ArrayList<>();
            JsonToken firstNotString = null;
            JsonToken item;
            while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
                if (item == JsonToken.VALUE_STRING) {
                    strings.add(p.getText());
                } else {
                    firstNotString = firstNotString != null ? firstNotString : item;
                    p.skipChildren();
                }
            }
            return new Topics(t, strings, firstNotString);
        }

        List<String> list() throws ProtocolException {
            if (token != JsonToken.VALUE_STRING && token != JsonToken.START_ARRAY) {
                throw new ProtocolException("topics must be a list of strings or a string, not " + Value.type(token));
            }
            if (firstNotString != null) {
                throw new ProtocolException("topics must hold strings, not " + Value.type(firstNotString));
            }
            return List.copyOf(strings);
        }
    }

    /** One to five ASCII digits; by hand, since a regular expression per message costs more than the rest of decoding. */
    private static boolean isPortDigits(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- writing

    /**
     * A chat message, encoded once: compact JSON and a newline, ports as strings,
     * {@code destination} and {@code user} only when given. The buffer is read-only, so that
     * one encoding may be queued to many connections.
     *
     * <p>When every string is printable ASCII without a quote or backslash (what Jackson writes
     * as it is) the bytes are put together by hand, else Jackson's generator writes them; the
     * same bytes either way (tested against Jackson's trees). Why the hand path stays: Jackson's
     * generator took about 450 ns for a 100-character text, this path about 90 ns, and the
     * server's one selector thread encodes every message. Without it (the scanner kept),
     * Parley TCP / raw NIO at K=10 fell from 0.39, 0.51 and 0.52 to 0.18, 0.29 and 0.49 in quick
     * runs alternated with the build that had it, CPU per million deliveries from 1.3-1.6 s to
     * 1.9-2.1 s.
     */
    static ByteBuffer encodeChat(TcpAddress source, TcpAddress destination, String topic, String text, String user) {
        if (isVerbatim(source.ip()) && (destination == null || isVerbatim(destination.ip())) && isVerbatim(topic)
                && isVerbatim(text) && (user == null || isVerbatim(user))) {
            Ascii out = new Ascii(100 + source.ip().length() + topic.length() + text.length()
                    + (destination != null ? 48 + destination.ip().length() : 0) + (user != null ? 12 + user.length() : 0));
            out.put(SOURCE).address(source);
            if (destination != null) {
                out.put(DESTINATION).address(destination);
            }
            out.put(MESSAGE_TOPIC).put(topic).put(TEXT).put(text);
            if (user != null) {
                out.put(USER).put(user);
            }
            out.put(END);
            return ByteBuffer.wrap(out.bytes, 0, out.length).asReadOnlyBuffer();
        }
        return encodeChat(source, destination, topic, text, user, null, null, 0); // the same fields, by Jackson
    }

    // The pieces of a chat message around its strings, as Jackson writes them.
    private static final byte[] SOURCE = ascii("{\"source\":");
    private static final byte[] DESTINATION = ascii(",\"destination\":");
    private static final byte[] MESSAGE_TOPIC = ascii(",\"message\":{\"topic\":\"");
    private static final byte[] TEXT = ascii("\",\"text\":\"");
    private static final byte[] USER = ascii("\",\"user\":\"");
    private static final byte[] END = ascii("\"}}\n");
    private static final byte[] IP = ascii("{\"ip\":\"");
    private static final byte[] PORT = ascii("\",\"port\":\"");
    private static final byte[] ADDRESS_END = ascii("\"}");

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Whether Jackson writes {@code s} as it is: printable ASCII, no quote, no backslash. */
    static boolean isVerbatim(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (!PlainStrings.isPlain(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** An ASCII byte array being filled; large enough for what is put in it. */
    private static final class Ascii {
        final byte[] bytes;
        int length;

        Ascii(int size) {
            bytes = new byte[size];
        }

        Ascii put(byte[] b) {
            System.arraycopy(b, 0, bytes, length, b.length);
            length += b.length;
            return this;
        }

        @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): ASCII only, the exact and cheapest copy
        Ascii put(String s) {
            s.getBytes(0, s.length(), bytes, length);
            length += s.length();
            return this;
        }

        void address(TcpAddress a) {
            put(IP).put(a.ip()).put(PORT).digits(a.port()).put(ADDRESS_END);
        }

        /** A port's decimal digits, without a string in between. */
        Ascii digits(int port) {
            int n = port < 10 ? 1 : port < 100 ? 2 : port < 1000 ? 3 : port < 10000 ? 4 : 5;
            for (int i = length + n - 1, v = port; i >= length; i--, v /= 10) {
                bytes[i] = (byte) ('0' + v % 10);
            }
            length += n;
            return this;
        }
    }

    /** A registration: {@code {"source":{...},"topics":[...]}} and a newline. */
    static ByteBuffer encodeRegistration(TcpAddress source, Collection<String> topics) {
        return line(64 + 16 * topics.size(), g -> {
            g.writeStartObject();
            writeAddress(g, "source", source);
            g.writeArrayFieldStart("topics");
            for (String topic : topics) {
                g.writeString(topic);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /**
     * A chat message for a client that resumes: as {@link #encodeChat}, then (extension)
     * {@code seq} and {@code time} in {@code message}; {@code id} and {@code time} from a sender
     * when {@code seq} is 0 and {@code id} is given. Jackson's generator: this is not the seed's path.
     */
    static ByteBuffer encodeChat(TcpAddress source, TcpAddress destination, String topic, String text, String user,
            String id, String time, long seq) {
        return line(200 + text.length(), g -> {
            g.writeStartObject();
            writeAddress(g, "source", source);
            if (destination != null) {
                writeAddress(g, "destination", destination);
            }
            g.writeObjectFieldStart("message");
            g.writeStringField("topic", topic);
            g.writeStringField("text", text);
            if (user != null) {
                g.writeStringField("user", user);
            }
            if (id != null) {
                g.writeStringField("id", id);
            }
            if (time != null) {
                g.writeStringField("time", time);
            }
            if (seq > 0) {
                g.writeNumberField("seq", seq);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** A registration that asks to resume: {@code "resume":{"epoch":..,"after":{topic:seq,...}}} after the topics. */
    static ByteBuffer encodeRegistration(TcpAddress source, Collection<String> topics, String epoch,
            java.util.Map<String, Long> after) {
        return line(96 + 32 * topics.size() + 32 * after.size(), g -> {
            g.writeStartObject();
            writeAddress(g, "source", source);
            g.writeArrayFieldStart("topics");
            for (String topic : topics) {
                g.writeString(topic);
            }
            g.writeEndArray();
            g.writeObjectFieldStart("resume");
            if (epoch != null) {
                g.writeStringField("epoch", epoch);
            }
            g.writeObjectFieldStart("after");
            for (java.util.Map.Entry<String, Long> e : after.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** {@code {"ack":{"id":..,"topic":..,"seq":..,"epoch":..}}} and a newline. */
    static ByteBuffer encodeAck(String id, String topic, long seq, String epoch) {
        return line(96 + id.length() + topic.length(), g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("ack");
            g.writeStringField("id", id);
            g.writeStringField("topic", topic);
            g.writeNumberField("seq", seq);
            g.writeStringField("epoch", epoch);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** A presence request: {@code {"presence":{"topic":..,"user":..}}} ({@code user} may be null: only asks). */
    static ByteBuffer encodePresence(String topic, String user) {
        return line(64 + topic.length() + (user == null ? 0 : user.length()), g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("presence");
            g.writeStringField("topic", topic);
            if (user != null) {
                g.writeStringField("user", user);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /**
     * A presence answer, {@code {"presence":{"topic":..,"users":[..]}}}: as many of the users as
     * fit in {@code maxBytes} (a user name is at most 32 characters, 128 bytes of UTF-8, plus its quotes).
     */
    static ByteBuffer encodePresence(String topic, List<String> users, int maxBytes) {
        int fit = Math.max(0, Math.min(users.size(), (maxBytes - 512) / 132));
        List<String> shown = users.subList(0, fit);
        return line(64 + topic.length() + 40 * shown.size(), g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("presence");
            g.writeStringField("topic", topic);
            g.writeArrayFieldStart("users");
            for (String u : shown) {
                g.writeString(u);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** {@code {"registered":{"epoch":..}}} and a newline. */
    static ByteBuffer encodeRegistered(String epoch) {
        return line(48 + epoch.length(), g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("registered");
            g.writeStringField("epoch", epoch);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** Authentication (extension): {@code {"auth":{"user":..,"token":..}}} and a newline. */
    static ByteBuffer encodeAuth(String user, String token) {
        return line(48 + user.length() + token.length(), g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("auth");
            g.writeStringField("user", user);
            g.writeStringField("token", token);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** An error: {@code {"error":"..."}} and a newline. */
    static ByteBuffer encodeError(String error) {
        return line(16 + error.length(), g -> {
            g.writeStartObject();
            g.writeStringField("error", error);
            g.writeEndObject();
        });
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static ByteBuffer line(int sizeHint, Body body) {
        ByteArrayBuilder out = new ByteArrayBuilder(sizeHint);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            // Strings into memory always serialise; reaching this is a bug.
            throw new IllegalStateException("cannot encode a message", e);
        }
        out.append('\n');
        return ByteBuffer.wrap(out.toByteArray()).asReadOnlyBuffer();
    }

    private static void writeAddress(JsonGenerator g, String field, TcpAddress a) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("ip", a.ip());
        g.writeStringField("port", Integer.toString(a.port())); // ports are written as strings
        g.writeEndObject();
    }
}
