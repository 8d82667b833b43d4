package org.parley.tcp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a chat message straight from its bytes when it has exactly the shape our encoder
 * writes ({@link WireCodec#encodeChat}):
 * {@code {"source":{"ip":"…","port":"…"},"destination":{…},"message":{"topic":"…","text":"…","user":"…"}}},
 * {@code destination} and {@code user} optional, no white space, every string printable ASCII
 * without a backslash, every port one to five digits up to 65535. Anything else (an escape, other
 * characters, another order, white space, a partial object, another kind of object) is left to
 * Jackson, which names what is wrong: this scanner only says yes or "not mine", never an error.
 *
 * <p>Why: decoding every object with Jackson's non-blocking parser into a token buffer was two
 * thirds of what a subscriber spent. The bytes accepted here are a subset of what the Jackson path
 * reads as a plain chat message, and give the same {@link TcpMessage}.
 *
 * <p>The addresses, topic and user of the last message are kept with their bytes, and reused
 * without a second look when the next message has the same bytes there (a subscriber hears the
 * same few senders on the same topic): only the text is read byte by byte, eight at a time. One scanner serves every connection of a
 * {@link NioLoop}, so connections carry no state of it.
 *
 * <p>Thread safety: not thread-safe; one per selector thread.
 */
final class PlainChatScanner {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final AddressCache sourceCache = new AddressCache();
    private final AddressCache destinationCache = new AddressCache();
    private final StringCache topicCache = new StringCache();
    private final StringCache userCache = new StringCache();
    private final HeadCache head = new HeadCache();
    private final TailCache tail = new TailCache();
    private TcpMessage message;
    private int pos; // the scan position while scanning

    /**
     * If {@code bytes[from..end)} begin with one complete plain chat message of at most
     * {@code maxObjectBytes} bytes, reads it (see {@link #message()}) and returns the index just
     * past its closing brace; else returns -1 and leaves everything to the caller's parser.
     */
    int scan(byte[] bytes, int from, int end, int maxObjectBytes) {
        int limit = (int) Math.min(end, (long) from + maxObjectBytes); // an object ends by here or is not ours
        pos = from;
        TcpAddress source;
        TcpAddress destination;
        String topic;
        if (head.matches(bytes, from, limit)) {
            // The same addresses and topic as the last message, up to its text's opening quote.
            pos = from + head.bytes.length;
            source = head.source;
            destination = head.destination;
            topic = head.topic;
        } else {
            if (!literal(bytes, limit, WireCodec.SOURCE) || (source = address(bytes, limit, sourceCache)) == null) {
                return -1;
            }
            destination = null;
            if (pos + 2 < limit && bytes[pos] == ',' && bytes[pos + 1] == '"' && bytes[pos + 2] == 'd') {
                if (!literal(bytes, limit, WireCodec.DESTINATION) || (destination = address(bytes, limit, destinationCache)) == null) {
                    return -1;
                }
            }
            if (!literal(bytes, limit, WireCodec.MESSAGE_TOPIC) || (topic = cachedString(bytes, limit, topicCache)) == null
                    || !literal(bytes, limit, WireCodec.TEXT)) {
                return -1;
            }
            head.remember(bytes, from, pos, source, destination, topic);
        }
        int textStart = pos;
        int textEnd = string(bytes, limit);
        if (textEnd < 0 || pos >= limit) {
            return -1;
        }
        String user;
        if (tail.matches(bytes, textEnd, limit)) {
            // The same user (or none) as the last message, and the closing braces.
            pos = textEnd + tail.bytes.length;
            user = tail.user;
        } else {
            user = null;
            if (bytes[pos] == ',' && (!literal(bytes, limit, WireCodec.USER) || (user = cachedString(bytes, limit, userCache)) == null)) {
                return -1;
            }
            if (pos + 1 >= limit || bytes[pos] != '}' || bytes[pos + 1] != '}') {
                return -1;
            }
            pos += 2;
            tail.remember(bytes, textEnd, pos, user);
        }
        message = new TcpMessage(source, destination, topic, latin1(bytes, textStart, textEnd), user);
        return pos;
    }

    /** The message the last successful {@link #scan} read. */
    TcpMessage message() {
        return message;
    }

    /** Matches {@code expected} at the scan position and moves past it. */
    private boolean literal(byte[] bytes, int limit, byte[] expected) {
        int p = pos;
        if (limit - p < expected.length || !Arrays.equals(bytes, p, p + expected.length, expected, 0, expected.length)) {
            return false;
        }
        pos = p + expected.length;
        return true;
    }

    /**
     * Scans the rest of a string whose opening quote is behind the scan position: printable
     * ASCII up to the closing quote, which it moves past. Returns the index of the closing
     * quote, or -1 for anything else (a backslash, a control or non-ASCII byte, the limit).
     */
    private int string(byte[] bytes, int limit) {
        int p = pos;
        // Eight bytes at a time while none of them needs a look (a chat text is mostly such bytes).
        while (limit - p >= 8 && !anyNotPlain(word(bytes, p))) {
            p += 8;
        }
        for (; p < limit; p++) {
            byte b = bytes[p];
            if (b == '"') {
                pos = p + 1;
                return p;
            }
            if (b < 0x20 || b > 0x7e || b == '\\') {
                return -1;
            }
        }
        return -1;
    }

    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * Whether any of the eight bytes in {@code x} is not a plain string byte: not ASCII, below a
     * space, DEL, a quote or a backslash. Exact for "none", which is all the loop needs.
     */
    static boolean anyNotPlain(long x) {
        long below = (x - 0x20 * ONES) & ~x; // a byte below 0x20 (exact when no byte has its high bit)
        return ((x | below | zeroByte(x ^ ('"' * ONES)) | zeroByte(x ^ ('\\' * ONES)) | zeroByte(x ^ (0x7f * ONES)))
                & HIGHS) != 0;
    }

    /** The eight bytes of {@code b} from {@code at}, the first the lowest. */
    private static long word(byte[] b, int at) {
        return (long) LONGS.get(b, at);
    }

    /** Has the high bit of some byte set if and only if {@code x} has a zero byte. */
    private static long zeroByte(long x) {
        return (x - ONES) & ~x;
    }

    /**
     * The string at the scan position (its opening quote behind) and past its closing quote:
     * the cached one if the bytes are the same, else read and cached. Null if not plain.
     */
    private String cachedString(byte[] bytes, int limit, StringCache cache) {
        int p = pos;
        byte[] known = cache.bytes;
        int n = known.length;
        if (cache.value != null && limit - p > n && bytes[p + n] == '"'
                && Arrays.equals(bytes, p, p + n, known, 0, n)) {
            pos = p + n + 1; // the cached bytes hold no quote: the string ends where they do
            return cache.value;
        }
        int end = string(bytes, limit);
        if (end < 0) {
            return null;
        }
        cache.bytes = Arrays.copyOfRange(bytes, p, end);
        cache.value = latin1(bytes, p, end);
        return cache.value;
    }

    /**
     * {@code {"ip":"…","port":"…"}} at the scan position, else null: the cached address if the
     * bytes are the same as last time (they were checked then), else read and cached.
     */
    private TcpAddress address(byte[] bytes, int limit, AddressCache cache) {
        int start = pos;
        byte[] known = cache.bytes;
        int n = known.length;
        if (cache.address != null && limit - start >= n && Arrays.equals(bytes, start, start + n, known, 0, n)) {
            pos = start + n; // the cached bytes end with the address's closing brace
            return cache.address;
        }
        if (!literal(bytes, limit, WireCodec.IP)) {
            return null;
        }
        int ipStart = pos;
        int ipEnd = string(bytes, limit);
        if (ipEnd < 0 || !literal(bytes, limit, WireCodec.PORT)) {
            return null;
        }
        int port = 0;
        int digits = 0;
        int p = pos;
        while (p < limit && bytes[p] >= '0' && bytes[p] <= '9') {
            port = port * 10 + (bytes[p++] - '0');
            if (++digits > 5) {
                return null;
            }
        }
        if (digits == 0 || port > 65535 || p + 1 >= limit || bytes[p] != '"' || bytes[p + 1] != '}') {
            return null;
        }
        pos = p + 2;
        cache.bytes = Arrays.copyOfRange(bytes, start, pos);
        cache.address = new TcpAddress(latin1(bytes, ipStart, ipEnd), port);
        return cache.address;
    }

    private static String latin1(byte[] bytes, int start, int end) {
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1); // ASCII: one byte a char
    }

    /** Whether {@code bytes[at..limit)} begin with {@code known} (empty: never). */
    private static boolean startsWith(byte[] bytes, int at, int limit, byte[] known) {
        int n = known.length;
        return n > 0 && limit - at >= n && Arrays.equals(bytes, at, at + n, known, 0, n);
    }

    /**
     * The last message's bytes from its start to its text's opening quote, and what they say:
     * one comparison instead of one per field when the next message has them too.
     */
    private static final class HeadCache {
        byte[] bytes = new byte[0];
        TcpAddress source;
        TcpAddress destination;
        String topic;

        boolean matches(byte[] b, int at, int limit) {
            return startsWith(b, at, limit, bytes);
        }

        void remember(byte[] b, int start, int end, TcpAddress source, TcpAddress destination, String topic) {
            this.bytes = Arrays.copyOfRange(b, start, end);
            this.source = source;
            this.destination = destination;
            this.topic = topic;
        }
    }

    /** The last message's bytes from its text's closing quote to its end, and its user (or none). */
    private static final class TailCache {
        byte[] bytes = new byte[0];
        String user;

        boolean matches(byte[] b, int at, int limit) {
            return startsWith(b, at, limit, bytes);
        }

        void remember(byte[] b, int start, int end, String user) {
            this.bytes = Arrays.copyOfRange(b, start, end);
            this.user = user;
        }
    }

    /** The last address read at one place, and its bytes. */
    private static final class AddressCache {
        byte[] bytes = new byte[0];
        TcpAddress address;
    }

    /** The last string read at one place, and its bytes. */
    private static final class StringCache {
        byte[] bytes = new byte[0];
        String value;
    }
}
