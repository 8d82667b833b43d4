package org.parley.tcp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import org.parley.core.ChatLimits;
import org.parley.core.ProtocolException;

/**
 * Cuts a byte stream into top-level JSON objects, however the bytes arrive: split anywhere
 * (in the middle of a UTF-8 character too), many objects in one read, objects separated by a
 * newline, other white space or nothing at all.
 *
 * <p>Jackson's non-blocking parser is fed each read as it comes; the tokens of the current
 * object are kept in a {@link TokenBuffer} and handed over when the object closes. The
 * bytes of the current object are counted (including an object that never ends), so memory
 * stays bounded by the frame limit.
 *
 * <p>Ahead of the parser, a {@link Shortcut} may read objects straight from the bytes while
 * the parser is between objects; the bytes it takes never reach the parser.
 *
 * <p>After the first {@link ProtocolException} the decoder is spent: the stream cannot be
 * resynchronised, and the connection is closed.
 *
 * <p>Thread safety: not thread-safe; one decoder per connection, used by its selector thread.
 */
final class JsonObjectDecoder {
    /**
     * Receives each complete object as its tokens (read them with {@link TokenBuffer#asParser()},
     * or {@link #tree}); may throw to stop decoding. The tokens are the sink's to keep.
     */
    @FunctionalInterface
    interface Sink {
        void accept(TokenBuffer object) throws ProtocolException;
    }

    /**
     * Reads some objects straight from the bytes, ahead of Jackson (see {@link PlainChatScanner}).
     * It is asked only at an object boundary, with no white space ahead.
     */
    @FunctionalInterface
    interface Shortcut {
        /**
         * If {@code bytes[from..end)} begin with one complete object of at most
         * {@code maxObjectBytes} bytes that this shortcut reads itself, reads it (handing it on)
         * and returns the index just past it; else returns -1 and has done nothing.
         */
        int take(byte[] bytes, int from, int end, int maxObjectBytes) throws ProtocolException;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final int maxObjectBytes;
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private TokenBuffer current; // the tokens of the object being read, or null between objects
    // Parser offset of the current object's '{'; between objects, just past the last one's '}'
    // (one field for both keeps a connection's state as small as it was).
    private long objectStart;
    private long fed;            // bytes fed to the parser so far
    /**
     * The parser is between objects with nothing but white space after the last one, so bytes
     * may skip it: they never reach the parser, whose offsets then count only what it was fed.
     * False until the parser has read a first object (it alone deals with a byte order mark).
     */
    private boolean idle;
    private boolean failed;

    JsonObjectDecoder(int maxObjectBytes) {
        this.maxObjectBytes = maxObjectBytes;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength(maxObjectBytes)
                        .maxNumberLength(ChatLimits.MAX_JSON_NUMBER_DIGITS)
                        .maxNameLength(maxObjectBytes)
                        .maxNestingDepth(ChatLimits.MAX_JSON_NESTING)
                        .build())
                .build();
        try {
            this.parser = factory.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a JSON parser", e);
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    /**
     * Feeds {@code length} bytes; every object they complete goes to {@code sink}, in order.
     * The array is read during this call only.
     *
     * @throws ProtocolException at the first object that is too large, not JSON, not UTF-8 or
     *                           not an object; objects before it have been delivered
     */
    void feed(byte[] bytes, int offset, int length, Sink sink) throws ProtocolException {
        feed(bytes, offset, length, null, sink);
    }

    /**
     * As {@link #feed(byte[], int, int, Sink)}, but where the parser is between objects, each
     * object is first offered to {@code shortcut}; what it does not take goes to the parser,
     * which then reads up to the end of that line (or of the bytes) before the shortcut is asked
     * again. White space between objects skips the parser. Objects reach their sinks in order;
     * the size limit and the errors are those of the parser alone.
     */
    void feed(byte[] bytes, int offset, int length, Shortcut shortcut, Sink sink) throws ProtocolException {
        if (failed) {
            throw new IllegalStateException("decoder failed earlier");
        }
        try {
            int end = offset + length;
            int pos = offset;
            while (pos < end) {
                int stop = end;
                if (shortcut != null) {
                    if (idle) {
                        while (pos < end && isWhiteSpace(bytes[pos])) {
                            pos++;
                        }
                        int next = pos < end ? shortcut.take(bytes, pos, end, maxObjectBytes) : -1;
                        if (next >= 0) {
                            pos = next;
                            continue;
                        }
                    }
                    // One line at a time: an object of ours ends its line, so the shortcut can
                    // take over again as soon as the parser has finished what it started.
                    stop = pos;
                    while (stop < end && bytes[stop++] != '\n') {
                        // up to and including the newline
                    }
                }
                if (pos < stop) {
                    parse(bytes, pos, stop, sink);
                }
                pos = stop;
            }
            if (current != null && fed - objectStart > maxObjectBytes) {
                throw tooLarge("more than " + maxObjectBytes);
            }
        } catch (ProtocolException e) {
            failed = true;
            throw e;
        } catch (StreamConstraintsException e) {
            failed = true;
            throw new ProtocolException(e.getMessage().contains("nesting")
                    ? "message nests deeper than " + ChatLimits.MAX_JSON_NESTING + " levels"
                    : tooLarge("more than " + maxObjectBytes).getMessage());
        } catch (IOException e) {
            failed = true;
            String reason = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage();
            throw new ProtocolException("not JSON: " + firstLine(reason));
        }
    }

    /** Feeds {@code bytes[from..to)} to the parser and drains it; then works out {@link #idle}. */
    private void parse(byte[] bytes, int from, int to, Sink sink) throws IOException {
        long before = fed;
        feeder.feedInput(bytes, from, to);
        fed += to - from;
        drain(sink);
        if (current != null) {
            idle = false;
        } else if (objectStart > before) { // an object ended in these bytes, at objectStart
            idle = isWhiteSpace(bytes, from + (int) (objectStart - before), to);
        } else {
            idle = idle && isWhiteSpace(bytes, from, to);
        }
    }

    /** What the parser skips between top-level values. */
    private static boolean isWhiteSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private static boolean isWhiteSpace(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!isWhiteSpace(bytes[i])) {
                return false;
            }
        }
        return true;
    }

    /** The stream ended. Throws if it ended inside an object (or a top-level non-object). */
    void endOfInput(Sink sink) throws ProtocolException {
        if (failed) {
            return;
        }
        feeder.endOfInput();
        try {
            drain(sink);
        } catch (IOException e) {
            failed = true;
            if (current != null) {
                throw new ProtocolException("the stream ended inside a message");
            }
            throw new ProtocolException("not JSON: " + firstLine(e.getMessage()));
        }
        if (current != null) {
            failed = true;
            throw new ProtocolException("the stream ended inside a message");
        }
    }

    private void drain(Sink sink) throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
            if (current == null) {
                if (token != JsonToken.START_OBJECT) {
                    throw new ProtocolException("expected a JSON object, got " + describe(token));
                }
                // The non-blocking parser reports a '{' token at the offset just after it.
                objectStart = parser.currentTokenLocation().getByteOffset() - 1;
                current = new TokenBuffer(parser);
            }
            current.copyCurrentEvent(parser);
            if (token == JsonToken.END_OBJECT && parser.getParsingContext().inRoot()) {
                long end = parser.currentLocation().getByteOffset();
                long size = end - objectStart; // through the closing brace
                if (size > maxObjectBytes) {
                    throw tooLarge(Long.toString(size));
                }
                objectStart = end;
                TokenBuffer done = current;
                current = null;
                // No tree here: the reader of the tokens decides (a plain chat message needs none).
                sink.accept(done);
            }
        }
    }

    /** The object {@code tokens} hold, as a tree. */
    static ObjectNode tree(TokenBuffer tokens) {
        try (JsonParser p = tokens.asParser()) {
            JsonNode tree = MAPPER.readTree(p);
            return (ObjectNode) tree;
        } catch (IOException e) {
            // The tokens came from a parser that accepted them as one object.
            throw new IllegalStateException("buffered tokens are not one object", e);
        }
    }

    private ProtocolException tooLarge(String size) {
        return new ProtocolException("message of " + size + " bytes exceeds the limit of " + maxObjectBytes);
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.asString() == null ? token.name() : token.asString();
        };
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable input";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
