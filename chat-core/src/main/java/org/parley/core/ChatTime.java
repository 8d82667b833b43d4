package org.parley.core;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Time on the wire and on the screen.
 *
 * <p>On the wire a time is an ISO-8601 UTC instant with exactly three fraction digits,
 * {@code 2026-11-21T22:50:51.123Z}; on the screen it is local {@code HH:mm:ss}.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
public final class ChatTime {
    private static final DateTimeFormatter WIRE =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private ChatTime() {
    }

    /** {@code time} truncated to the millisecond, the precision of the wire. */
    public static Instant truncate(Instant time) {
        return time.truncatedTo(ChronoUnit.MILLIS);
    }

    /** The wire form: {@code 2026-11-21T22:50:51.123Z}. */
    public static String format(Instant time) {
        return WIRE.format(time);
    }

    /** Parses any ISO-8601 instant ({@code ...Z}); the result is truncated to milliseconds. */
    public static Instant parse(String text) throws ProtocolException {
        if (text == null) {
            throw new ProtocolException("time is missing");
        }
        try {
            return truncate(Instant.parse(text));
        } catch (DateTimeException e) {
            throw new ProtocolException("time " + Names.quote(text)
                    + " is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z");
        }
    }

    /** The screen form in the given zone: {@code HH:mm:ss}. */
    public static String clock(Instant time, ZoneId zone) {
        return CLOCK.format(time.atZone(zone));
    }

    /** The screen form in the system's zone. */
    public static String clock(Instant time) {
        return clock(time, ZoneId.systemDefault());
    }
}
