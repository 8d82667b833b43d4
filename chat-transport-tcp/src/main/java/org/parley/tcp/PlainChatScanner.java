package org.parley.tcp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.parley.core.internal.PlainStrings;

/**
 * The codec's one fast path: reads a chat message straight from its bytes when it has exactly
 * the shape {@link WireCodec#encodeChat} writes:
 * {@code {"source":{"ip":"…","port":"…"},"destination":{…},"message":{"topic":"…","text":"…","user":"…"}}},
 * {@code destination} and {@code user} optional, no white space, every string printable ASCII
 * without a backslash, every port one to five digits up to 65535. Anything else (an escape, other
 * characters, another order, white space, a partial object, another kind of object) is left to
 * the framer and Jackson, which name what is wrong: this scanner only says yes or "not mine",
 * never an error. Its shape has one place for each key, so an object that repeats a key is never
 * taken here and Jackson refuses it; and what it takes is printable ASCII, which the strict UTF-8
 * check every other object meets would pass as it stands.
 *
 * <p>Why it stays: framing, the UTF-8 check and Jackson's parser take about 1 µs for a 250-byte
 * message, this scanner about 60 ns, and at K=10 every message is read ten times. Without it,
 * Parley TCP / raw NIO at K=10 fell from 0.34, 0.84 and 0.38 to 0.13, 0.12 and 0.10 in quick
 * runs alternated with the build that had it (CPU per million deliveries from 1.1-1.3 s to
 * 3.6-4.4 s). The bytes it accepts are a subset of what the Jackson path reads as a chat
 * message, and give the same {@link TcpMessage} (tested at every split against that path).
 *
 * <p>The addresses, topic and user of the last message are kept with their bytes, and reused
 * without a second look when the next message has the same bytes there (a connection hears the
 * same few senders on the same topic): only the text is read byte by byte, eight at a time.
 *
 * <p>Thread safety: not thread-safe; one per connection's {@link WireCodec.Reader}.
 */
final class PlainChatScanner {
    private final Seen<TcpAddress> sourceSeen = new Seen<>();
    private final Seen<TcpAddress> destinationSeen = new Seen<>();
    private final Seen<String> topicSeen = new Seen<>();
    private final Seen<String> userSeen = new Seen<>();
    private final Seen<Head> headSeen = new Seen<>(); // from a message's start to its text's opening quote
    private final Seen<String> tailSeen = new Seen<>(); // from its text's closing quote to its end: the user
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
        Head head;
        if (headSeen.at(bytes, from, limit)) {
            // The same addresses and topic as the last message, up to its text's opening quote.
            pos = from + headSeen.bytes.length;
            head = headSeen.value;
        } else {
            TcpAddress source;
            if (!literal(bytes, limit, SOURCE) || (source = address(bytes, limit, sourceSeen)) == null) {
                return -1;
            }
            TcpAddress destination = null;
            if (pos + 2 < limit && bytes[pos] == ',' && bytes[pos + 1] == '"' && bytes[pos + 2] == 'd') {
                if (!literal(bytes, limit, DESTINATION) || (destination = address(bytes, limit, destinationSeen)) == null) {
                    return -1;
                }
            }
            String topic;
            if (!literal(bytes, limit, MESSAGE_TOPIC) || (topic = seenString(bytes, limit, topicSeen)) == null
                    || !literal(bytes, limit, TEXT)) {
                return -1;
            }
            head = headSeen.keep(bytes, from, pos, new Head(source, destination, topic));
        }
        int textStart = pos;
        int textEnd = string(bytes, limit);
        if (textEnd < 0 || pos >= limit) {
            return -1;
        }
        String user;
        if (tailSeen.at(bytes, textEnd, limit)) {
            // The same user (or none) as the last message, and the closing braces.
            pos = textEnd + tailSeen.bytes.length;
            user = tailSeen.value;
        } else {
            user = null;
            if (bytes[pos] == ',' && (!literal(bytes, limit, USER) || (user = seenString(bytes, limit, userSeen)) == null)) {
                return -1;
            }
            if (pos + 1 >= limit || bytes[pos] != '}' || bytes[pos + 1] != '}') {
                return -1;
            }
            pos += 2;
            tailSeen.keep(bytes, textEnd, pos, user);
        }
        message = new TcpMessage(head.source(), head.destination(), head.topic(), latin1(bytes, textStart, textEnd), user);
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
        int end = PlainStrings.closingQuote(bytes, pos, limit);
        if (end >= 0) {
            pos = end + 1;
        }
        return end;
    }

    /**
     * The string at the scan position (its opening quote behind) and past its closing quote:
     * the one seen last if the bytes are the same, else read and kept. Null if not plain.
     */
    private String seenString(byte[] bytes, int limit, Seen<String> seen) {
        int p = pos;
        int n = seen.bytes.length;
        if (seen.at(bytes, p, limit) && limit - p > n && bytes[p + n] == '"') {
            pos = p + n + 1; // the kept bytes hold no quote: the string ends where they do
            return seen.value;
        }
        int end = string(bytes, limit);
        return end < 0 ? null : seen.keep(bytes, p, end, latin1(bytes, p, end));
    }

    /**
     * {@code {"ip":"…","port":"…"}} at the scan position, else null: the address seen last if the
     * bytes are the same as last time (they were checked then), else read and kept.
     */
    private TcpAddress address(byte[] bytes, int limit, Seen<TcpAddress> seen) {
        int start = pos;
        if (seen.at(bytes, start, limit)) {
            pos = start + seen.bytes.length; // the kept bytes end with the address's closing brace
            return seen.value;
        }
        if (!literal(bytes, limit, IP)) {
            return null;
        }
        int ipStart = pos;
        int ipEnd = string(bytes, limit);
        if (ipEnd < 0 || !literal(bytes, limit, PORT)) {
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
        return seen.keep(bytes, start, pos, new TcpAddress(latin1(bytes, ipStart, ipEnd), port));
    }

    // The pieces of a chat message around its values, as the encoder writes them. A piece after a
    // string value starts after its closing quote.
    private static final byte[] SOURCE = ascii("{\"source\":");
    private static final byte[] DESTINATION = ascii(",\"destination\":");
    private static final byte[] MESSAGE_TOPIC = ascii(",\"message\":{\"topic\":\"");
    private static final byte[] TEXT = ascii(",\"text\":\"");
    private static final byte[] USER = ascii(",\"user\":\"");
    private static final byte[] IP = ascii("{\"ip\":\"");
    private static final byte[] PORT = ascii(",\"port\":\"");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String latin1(byte[] bytes, int start, int end) {
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1); // ASCII: one byte a char
    }

    /** What a message's bytes up to its text's opening quote say. */
    private record Head(TcpAddress source, TcpAddress destination, String topic) {
    }

    /**
     * The bytes last read at one place of a message and what they said: a subscriber hears the
     * same few senders on the same topic, so the next message mostly has the same bytes there.
     */
    private static final class Seen<T> {
        byte[] bytes = new byte[0]; // none before the first: matches nothing
        T value;

        /** Whether {@code b[at..limit)} begins with the bytes seen last. */
        boolean at(byte[] b, int at, int limit) {
            int n = bytes.length;
            return n > 0 && limit - at >= n && Arrays.equals(b, at, at + n, bytes, 0, n);
        }

        /**
         * Keeps {@code b[start..end)} and what they say; returns {@code value}. Keeps nothing past
         * {@value #MAX_KEPT} bytes: a usual field is short, and a connection gone quiet after one
         * long one must not hold a copy of it (between objects a connection holds no buffer).
         */
        T keep(byte[] b, int start, int end, T value) {
            boolean small = end - start <= MAX_KEPT;
            this.bytes = small ? Arrays.copyOfRange(b, start, end) : new byte[0];
            this.value = small ? value : null;
            return value;
        }

        static final int MAX_KEPT = 256;
    }
}
