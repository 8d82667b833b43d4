package org.parley.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.parley.core.internal.ChatTime;

/**
 * The exact bytes of the post requests Parley's ZeroMQ client sends (docs/PROTOCOL.md, "Parley's
 * client"), made without its machinery, for the light posting clients:
 *
 * <pre>
 * {"type":"post","user":"post0","channel":"bench","text":"...","time":"2026-11-21T22:50:51.123Z","ref":"1","id":"3k2jd9x0q1bz.1"}
 * </pre>
 *
 * <p>The fields in the order of the protocol's examples; {@code ref} a counter in base 36,
 * {@code id} a random prefix of the client's own, a dot and the same counter (a client that
 * only posts numbers its requests and its posts alike); {@code time} the client's clock when
 * the post is made. The text is written as it is: a benchmark payload is printable ASCII with no
 * quote or backslash ({@link Payload}), which JSON takes unescaped.
 *
 * <p>Thread safety: not thread-safe; one per posting client.
 */
final class PostRequests {
    private static final byte[] TIME = ascii("\",\"time\":\"");
    private static final byte[] REF = ascii("\",\"ref\":\"");
    private static final byte[] ID = ascii("\",\"id\":\"");
    private static final byte[] END = ascii("\"}");

    private final byte[] head;
    private final byte[] idPrefix;
    private long count;

    /** Requests of {@code user} to {@code channel}, with post ids of a random prefix of 16 base-36 digits. */
    PostRequests(String user, String channel) {
        this(user, channel, Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36));
    }

    /** Requests with post ids {@code <idPrefix>.<n>}; names and prefix plain ASCII, as the protocol's rules make them. */
    PostRequests(String user, String channel, String idPrefix) {
        this.head = ascii("{\"type\":\"post\",\"user\":\"" + user + "\",\"channel\":\"" + channel + "\",\"text\":\"");
        this.idPrefix = ascii(idPrefix + ".");
    }

    /** The next request: {@code text} posted now. */
    byte[] next(byte[] text) {
        return next(text, Instant.now());
    }

    /** The next request: {@code text} (plain ASCII, see the class comment) posted at {@code time}. */
    byte[] next(byte[] text, Instant time) {
        byte[] at = ascii(ChatTime.format(time));
        byte[] n = ascii(Long.toString(++count, 36));
        byte[] b = new byte[head.length + text.length + TIME.length + at.length + REF.length + n.length + ID.length
                + idPrefix.length + n.length + END.length];
        int i = put(b, 0, head);
        i = put(b, i, text);
        i = put(b, i, TIME);
        i = put(b, i, at);
        i = put(b, i, REF);
        i = put(b, i, n);
        i = put(b, i, ID);
        i = put(b, i, idPrefix);
        i = put(b, i, n);
        put(b, i, END);
        return b;
    }

    private static int put(byte[] into, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, into, at, bytes.length);
        return at + bytes.length;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
