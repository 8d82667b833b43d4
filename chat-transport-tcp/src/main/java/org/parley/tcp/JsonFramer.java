package org.parley.tcp;

import java.util.Arrays;
import org.parley.core.ProtocolException;

/**
 * Finds where each top-level JSON object of a byte stream begins and ends, however the bytes
 * arrive: split anywhere (in the middle of a UTF-8 character too), many objects in one read,
 * objects separated by a newline, other white space or nothing at all. It looks only at the
 * bytes that shape JSON (quotes, backslashes inside strings, braces and brackets outside them):
 * whether the object is valid JSON is for the parser that reads it once it is whole.
 *
 * <p>An object that lies whole within the bytes given is handed over where it lies, without a
 * copy. Only an object cut by the end of the bytes is kept, as raw bytes, in a buffer that
 * grows as the object does (doubling, never past the frame limit) and is let go as soon as the
 * object is complete: a connection holds at most the frame limit in bytes for an unfinished
 * object, and nothing between objects. (Keeping parsed tokens instead cost some 17 bytes of
 * heap per byte sent: an attacker's unfinished objects then took gigabytes.)
 *
 * <p>Refused, with a {@link ProtocolException}: an object over the limit (with its size when it
 * ends within the bytes given, else as soon as it passes the limit), nesting deeper than the
 * limit, and anything but white space where an object should begin. A UTF-8 byte order mark
 * may open the stream. After the first refusal the framer is spent.
 *
 * <p>Thread safety: not thread-safe; one framer per connection, used by its selector thread.
 */
final class JsonFramer {
    /** The first capacity of the buffer of an unfinished object; it doubles as needed. */
    static final int FIRST_BUFFER_BYTES = 256;
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final int maxObjectBytes;
    private final int maxNesting;
    /** The unfinished object's bytes so far, or null when none is kept. */
    private byte[] buffer;
    private int buffered;
    /** Open braces and brackets of the current object; 0 between objects. */
    private int depth;
    private boolean inString;
    private boolean escaped;
    /** Bytes of a byte order mark seen at the start of the stream; -1 once past the start. */
    private int bomSeen;
    /** The object the last {@link #next} completed, until {@link #take()}. */
    private JsonBytes object;

    JsonFramer(int maxObjectBytes, int maxNesting) {
        if (maxObjectBytes < 2) {
            throw new IllegalArgumentException("maxObjectBytes < 2: " + maxObjectBytes);
        }
        this.maxObjectBytes = maxObjectBytes;
        this.maxNesting = maxNesting;
    }

    /**
     * Reads {@code bytes[from..to)} up to the end of the next object. Returns the index just
     * past its closing brace ({@link #take()} hands it over), or -1 if the bytes ran out first:
     * they are all taken then, and a part of an object among them is kept for the next call.
     *
     * @throws ProtocolException if the bytes break a rule (see the class comment)
     */
    int next(byte[] bytes, int from, int to) throws ProtocolException {
        int p = from;
        int start = from; // where the current object's bytes in this call begin
        if (depth == 0) {
            if (bomSeen >= 0) {
                p = byteOrderMark(bytes, p, to);
                if (p < 0) {
                    return -1;
                }
            }
            p = skipWhiteSpace(bytes, p, to);
            if (p == to) {
                return -1;
            }
            byte b = bytes[p];
            if (b != '{') {
                throw notAnObject(b);
            }
            start = p;
            depth = 1;
            p++;
        }
        boolean s = inString; // in locals while scanning: the loop runs once per byte
        boolean e = escaped;
        int d = depth;
        for (; p < to; p++) {
            byte b = bytes[p];
            if (s) {
                if (e) {
                    e = false;
                } else if (b == '\\') {
                    e = true;
                } else if (b == '"') {
                    s = false;
                }
            } else if (b == '"') {
                s = true;
            } else if (b == '{' || b == '[') {
                if (++d > maxNesting) {
                    throw new ProtocolException("message nests deeper than " + maxNesting + " levels");
                }
            } else if ((b == '}' || b == ']') && --d == 0) {
                p++;
                break;
            }
        }
        inString = s;
        escaped = e;
        depth = d;
        long size = (long) buffered + (p - start);
        if (d > 0) {
            if (size > maxObjectBytes) {
                throw tooLarge("more than " + maxObjectBytes);
            }
            keep(bytes, start, p);
            return -1;
        }
        if (size > maxObjectBytes) {
            throw tooLarge(Long.toString(size));
        }
        if (buffer == null) {
            object = new JsonBytes(bytes, start, p);
        } else {
            keep(bytes, start, p);
            object = new JsonBytes(buffer, 0, buffered);
            buffer = null; // the object's bytes are its reader's now: nothing stays behind
            buffered = 0;
        }
        return p;
    }

    /** The object the last {@link #next} completed; its bytes are valid until the next call. */
    JsonBytes take() {
        JsonBytes done = object;
        object = null;
        return done;
    }

    /** Whether a part of an object is kept, waiting for the rest. */
    boolean inObject() {
        return depth > 0;
    }

    /** The capacity of the buffer of the unfinished object (0 when none is kept). */
    int bufferCapacity() {
        return buffer == null ? 0 : buffer.length;
    }

    /** Lets go of a kept part of an object: the stream will not be read any further. */
    void release() {
        buffer = null;
        buffered = 0;
        object = null;
    }

    /** The stream ended: throws if it ended inside an object. */
    void endOfInput() throws ProtocolException {
        if (bomSeen > 0) {
            throw new ProtocolException("the stream ended inside a byte order mark");
        }
        if (depth > 0) {
            throw new ProtocolException("the stream ended inside a message");
        }
    }

    /** The first index of {@code bytes[from..to)} that is not JSON white space, or {@code to}. */
    static int skipWhiteSpace(byte[] bytes, int from, int to) {
        int p = from;
        while (p < to && isWhiteSpace(bytes[p])) {
            p++;
        }
        return p;
    }

    /** What JSON allows between values. */
    static boolean isWhiteSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /**
     * At the start of the stream: skips a byte order mark, even one cut between reads. Returns
     * the index after what it took, or -1 if the bytes ended inside the mark.
     */
    private int byteOrderMark(byte[] bytes, int from, int to) throws ProtocolException {
        int p = from;
        while (p < to && bomSeen < BOM.length && bytes[p] == BOM[bomSeen]) {
            bomSeen++;
            p++;
        }
        if (bomSeen == BOM.length || (bomSeen == 0 && p < to)) {
            bomSeen = -1; // past the start: a mark from here on is a stray byte
            return p;
        }
        if (p == to) {
            return -1; // nothing, or a part of the mark: wait for more
        }
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < bomSeen; i++) {
            seen.append(i == 0 ? "" : " ").append(String.format("%02X", BOM[i] & 0xff));
        }
        throw new ProtocolException("not JSON: an incomplete byte order mark (" + seen + ") before " + shown(bytes[p]));
    }

    /** Appends {@code bytes[from..to)} to the kept object, growing the buffer as needed. */
    private void keep(byte[] bytes, int from, int to) {
        int needed = buffered + (to - from);
        if (buffer == null || buffer.length < needed) {
            int capacity = buffer == null ? FIRST_BUFFER_BYTES : buffer.length;
            while (capacity < needed) {
                capacity = capacity > maxObjectBytes / 2 ? maxObjectBytes : capacity * 2;
            }
            capacity = Math.min(capacity, maxObjectBytes); // needed <= maxObjectBytes: checked by the caller
            buffer = buffer == null ? new byte[capacity] : Arrays.copyOf(buffer, capacity);
        }
        System.arraycopy(bytes, from, buffer, buffered, to - from);
        buffered = needed;
    }

    private ProtocolException tooLarge(String size) {
        return new ProtocolException("message of " + size + " bytes exceeds the limit of " + maxObjectBytes);
    }

    /** What stands where an object should begin, named as JSON would. */
    private static ProtocolException notAnObject(byte b) {
        String got = switch (b) {
            case '[' -> "an array";
            case '"' -> "a string";
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> "a number";
            default -> null;
        };
        if (got != null) {
            return new ProtocolException("expected a JSON object, got " + got);
        }
        return new ProtocolException("not JSON: " + shown(b) + " where an object should begin");
    }

    /** A byte as an error names it: the character if printable ASCII, else its value. */
    private static String shown(byte b) {
        return b >= 0x21 && b <= 0x7e ? "'" + (char) b + "'" : String.format("byte 0x%02x", b & 0xff);
    }
}
