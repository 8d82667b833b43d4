package org.parley.tcp;

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
 * <p>The addresses and topic of the last message are kept and reused when the next one has the
 * same bytes (a subscriber hears the same few senders on the same topic), which saves three
 * strings and two addresses per message. One scanner serves every connection of a
 * {@link NioLoop}, so connections carry no state of it.
 *
 * <p>Thread safety: not thread-safe; one per selector thread.
 */
final class PlainChatScanner {
    private static final byte[] SOURCE = ascii("{\"source\":");
    private static final byte[] DESTINATION = ascii(",\"destination\":");
    private static final byte[] MESSAGE_TOPIC = ascii(",\"message\":{\"topic\":\"");
    private static final byte[] TEXT = ascii(",\"text\":\"");
    private static final byte[] USER = ascii(",\"user\":\"");
    private static final byte[] IP = ascii("{\"ip\":\"");
    private static final byte[] PORT = ascii(",\"port\":\"");

    private final AddressCache sourceCache = new AddressCache();
    private final AddressCache destinationCache = new AddressCache();
    private byte[] topicBytes = new byte[0];
    private String topic;
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
        if (!literal(bytes, limit, SOURCE)) {
            return -1;
        }
        TcpAddress source = address(bytes, limit, sourceCache);
        if (source == null) {
            return -1;
        }
        TcpAddress destination = null;
        if (pos < limit && bytes[pos] == ',' && pos + 1 < limit && bytes[pos + 1] == '"'
                && pos + 2 < limit && bytes[pos + 2] == 'd') {
            if (!literal(bytes, limit, DESTINATION) || (destination = address(bytes, limit, destinationCache)) == null) {
                return -1;
            }
        }
        if (!literal(bytes, limit, MESSAGE_TOPIC)) {
            return -1;
        }
        int topicStart = pos;
        int topicEnd = string(bytes, limit);
        if (topicEnd < 0 || !literal(bytes, limit, TEXT)) {
            return -1;
        }
        int textStart = pos;
        int textEnd = string(bytes, limit);
        if (textEnd < 0 || pos >= limit) {
            return -1;
        }
        int userStart = -1;
        int userEnd = -1;
        if (bytes[pos] == ',') {
            if (!literal(bytes, limit, USER)) {
                return -1;
            }
            userStart = pos;
            userEnd = string(bytes, limit);
            if (userEnd < 0) {
                return -1;
            }
        }
        if (pos + 1 >= limit || bytes[pos] != '}' || bytes[pos + 1] != '}') {
            return -1;
        }
        message = new TcpMessage(source, destination, topic(bytes, topicStart, topicEnd),
                latin1(bytes, textStart, textEnd), userStart < 0 ? null : latin1(bytes, userStart, userEnd));
        return pos + 2;
    }

    /** The message the last successful {@link #scan} read. */
    TcpMessage message() {
        return message;
    }

    /** Matches {@code expected} at the scan position and moves past it. */
    private boolean literal(byte[] bytes, int limit, byte[] expected) {
        int p = pos;
        if (limit - p < expected.length) {
            return false;
        }
        for (byte b : expected) {
            if (bytes[p++] != b) {
                return false;
            }
        }
        pos = p;
        return true;
    }

    /**
     * Scans the rest of a string whose opening quote is behind the scan position: printable
     * ASCII up to the closing quote, which it moves past. Returns the index of the closing
     * quote, or -1 for anything else (a backslash, a control or non-ASCII byte, the limit).
     */
    private int string(byte[] bytes, int limit) {
        for (int p = pos; p < limit; p++) {
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

    /** {@code {"ip":"…","port":"…"}} at the scan position, else null. */
    private TcpAddress address(byte[] bytes, int limit, AddressCache cache) {
        int start = pos;
        if (!literal(bytes, limit, IP) || string(bytes, limit) < 0 || !literal(bytes, limit, PORT)) {
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
        return cache.get(bytes, start, pos, port);
    }

    private String topic(byte[] bytes, int start, int end) {
        if (topic == null || !Arrays.equals(topicBytes, 0, topicBytes.length, bytes, start, end)) {
            topicBytes = Arrays.copyOfRange(bytes, start, end);
            topic = latin1(bytes, start, end);
        }
        return topic;
    }

    private static String latin1(byte[] bytes, int start, int end) {
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1); // ASCII: one byte a char
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The last address read at one place, by its bytes. */
    private static final class AddressCache {
        private byte[] bytes = new byte[0];
        private TcpAddress address;

        TcpAddress get(byte[] source, int start, int end, int port) {
            if (address == null || !Arrays.equals(bytes, 0, bytes.length, source, start, end)) {
                bytes = Arrays.copyOfRange(source, start, end);
                // The ip string sits between {"ip":" and ","port":"
                int ipEnd = start + IP.length;
                while (source[ipEnd] != '"') {
                    ipEnd++;
                }
                address = new TcpAddress(latin1(source, start + IP.length, ipEnd), port);
            }
            return address;
        }
    }
}
