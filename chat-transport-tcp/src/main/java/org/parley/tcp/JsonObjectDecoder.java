package org.parley.tcp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.parley.core.ChatLimits;
import org.parley.core.Names;
import org.parley.core.ProtocolException;
import org.parley.core.internal.StrictUtf8;

/**
 * Cuts a byte stream into top-level JSON objects and checks each before anyone reads it:
 * {@link JsonFramer} finds where each object ends (and keeps at most one unfinished object's
 * raw bytes), then the whole object's bytes must be strict UTF-8 ({@link StrictUtf8}) before
 * they reach the {@link Sink}, which reads them with Jackson's parser over just those bytes
 * ({@link #parser} and {@link #tree} refuse duplicate keys; {@link #readerParser} leaves that to
 * its reader).
 *
 * <p>Ahead of the framer, a {@link Shortcut} may read objects straight from the bytes at an
 * object boundary; the bytes it takes never reach the framer or the parser.
 *
 * <p>After the first {@link ProtocolException} the decoder is spent: the stream cannot be
 * resynchronised, and the connection is closed.
 *
 * <p>Thread safety: not thread-safe; one decoder per connection, used by its selector thread.
 * The static methods are safe from any thread.
 */
final class JsonObjectDecoder {
    /**
     * Receives each complete object's bytes, lent for the call (read them with
     * {@link #parser} or {@link #tree}); may throw to stop decoding.
     */
    @FunctionalInterface
    interface Sink {
        void accept(JsonBytes object) throws ProtocolException;
    }

    /**
     * Reads some objects straight from the bytes, ahead of the framer (see {@link PlainChatScanner}).
     * It is asked only at an object boundary, with no white space ahead.
     */
    @FunctionalInterface
    interface Shortcut {
        /**
         * If {@code bytes[from..end)} begin with one complete object of at most
         * {@code maxObjectBytes} bytes that this shortcut reads itself, reads it (handing it on)
         * and returns the index just past it; else returns -1 and has done nothing. What it
         * takes must be printable ASCII, which the UTF-8 check would pass as it stands.
         */
        int take(byte[] bytes, int from, int end, int maxObjectBytes) throws ProtocolException;
    }

    /**
     * Jackson for whole objects: duplicate keys refused (a reader that kept the first and one
     * that kept the last would see two different messages), numbers and nesting bounded. The
     * framer has bounded the object's size already, and with it every key and string in it:
     * Jackson's own bounds on those are lifted, so that the frame limit is the only size rule
     * (its default of 50,000 characters for a key would otherwise refuse a key that fits).
     */
    private static final JsonFactory FACTORY = factory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);
    /**
     * The same, without Jackson's duplicate check (a set of the keys of each object, per object
     * read), for a reader that gives up on a key it has seen and leaves the object to
     * {@link #tree}, which refuses the repeat: see {@link #readerParser}.
     */
    private static final JsonFactory READER_FACTORY = factory().build();

    private static JsonFactoryBuilder factory() {
        return new JsonFactoryBuilder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNumberLength(ChatLimits.MAX_JSON_NUMBER_DIGITS)
                        .maxNestingDepth(ChatLimits.MAX_JSON_NESTING)
                        .maxNameLength(Integer.MAX_VALUE)
                        .maxStringLength(Integer.MAX_VALUE)
                        .build());
    }

    private final int maxObjectBytes;
    private final JsonFramer framer;
    /** An object has been read: from the second on, the shortcut is asked first. */
    private boolean started;
    private boolean failed;

    JsonObjectDecoder(int maxObjectBytes) {
        this.maxObjectBytes = maxObjectBytes;
        this.framer = new JsonFramer(maxObjectBytes, ChatLimits.MAX_JSON_NESTING);
    }

    /**
     * Feeds {@code length} bytes; every object they complete goes to {@code sink}, in order.
     * The array is read during this call only. Returns the number of objects completed.
     *
     * @throws ProtocolException at the first object that is too large, not JSON, not UTF-8 or
     *                           not an object; objects before it have been delivered
     */
    int feed(byte[] bytes, int offset, int length, Sink sink) throws ProtocolException {
        return feed(bytes, offset, length, null, sink);
    }

    /**
     * As {@link #feed(byte[], int, int, Sink)}, but at each object boundary the object is first
     * offered to {@code shortcut}; what it does not take goes to the framer, and from there to
     * {@code sink} once whole. Objects reach their sinks in order; the size limit and the errors
     * are those of the framer and the parser alone.
     *
     * <p>The shortcut is asked from the second object of the stream on: on a topic server the
     * first is the registration, which it never takes. An object it declines (one it does not
     * read, or one cut by the end of the bytes) is read by the framer to its end.
     */
    int feed(byte[] bytes, int offset, int length, Shortcut shortcut, Sink sink) throws ProtocolException {
        if (failed) {
            throw new IllegalStateException("decoder failed earlier");
        }
        int objects = 0;
        try {
            int end = offset + length;
            int pos = offset;
            // Stops once released: a handler may close the connection while this read is handled,
            // and what is left of the bytes must not be kept for a connection that is gone.
            while (pos < end && !failed) {
                if (shortcut != null && started && !framer.inObject()) {
                    pos = JsonFramer.skipWhiteSpace(bytes, pos, end);
                    int next = pos < end ? shortcut.take(bytes, pos, end, maxObjectBytes) : -1;
                    if (next >= 0) {
                        pos = next;
                        objects++;
                        continue;
                    }
                    if (pos == end) {
                        break;
                    }
                }
                int next = framer.next(bytes, pos, end);
                if (next < 0) {
                    break; // the rest is white space or the start of an object, kept
                }
                pos = next;
                objects++;
                started = true;
                deliver(framer.take(), sink);
            }
        } catch (ProtocolException e) {
            failed = true;
            throw e;
        }
        return objects;
    }

    /** The one decode step of an object the framer completed: strict UTF-8, then the sink. */
    private static void deliver(JsonBytes object, Sink sink) throws ProtocolException {
        StrictUtf8.check(object.array(), object.from(), object.to(), "message");
        sink.accept(object);
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
     * Called during {@link #feed}, it ends that call after the object being handed over.
     */
    void release() {
        failed = true;
        framer.release();
    }

    /** The stream ended. Throws if it ended inside an object. */
    void endOfInput(Sink sink) throws ProtocolException {
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

    /**
     * A parser positioned before the object's first token, which refuses a repeated key. Read
     * errors from it with {@link #notJson}.
     */
    static JsonParser parser(JsonBytes object) {
        return parser(FACTORY, object);
    }

    /**
     * As {@link #parser}, but a repeated key is not refused: only for a reader that returns
     * "not mine" on any key it has seen in the same object, and then hands the object to
     * {@link #tree} (as {@link WireCodec#decode(JsonBytes)} does), so that a repeat is refused
     * all the same, once.
     */
    static JsonParser readerParser(JsonBytes object) {
        return parser(READER_FACTORY, object);
    }

    private static JsonParser parser(JsonFactory factory, JsonBytes object) {
        try {
            return factory.createParser(object.array(), object.from(), object.length());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a JSON parser", e); // over memory: never
        }
    }

    /** The object as a tree. */
    static ObjectNode tree(JsonBytes object) throws ProtocolException {
        try (JsonParser p = parser(object)) {
            JsonNode tree = MAPPER.readTree(p);
            if (!(tree instanceof ObjectNode node) || p.nextToken() != null) {
                throw new IllegalStateException("the framer handed over something other than one object");
            }
            return node;
        } catch (IOException e) {
            throw notJson(e);
        }
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
}
