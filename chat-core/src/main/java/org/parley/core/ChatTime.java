package org.parley.core;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.Year;
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

    /**
     * The last time formatted and the last parsed, one each for all threads. At a high rate
     * most messages share their millisecond with the one before, and every message's time is
     * formatted and parsed several times between posting and delivery. The holders are
     * immutable, so a thread that reads another's holder sees it whole; a race only costs a
     * miss.
     */
    private static Formatted lastFormatted = new Formatted(Long.MIN_VALUE, 0, null);
    private static Parsed lastParsed = new Parsed("", null);

    private record Formatted(long second, int millis, String text) {
    }

    private record Parsed(String text, Instant instant) {
    }

    private ChatTime() {
    }

    /** {@code time} truncated to the millisecond, the precision of the wire. */
    public static Instant truncate(Instant time) {
        return time.truncatedTo(ChronoUnit.MILLIS);
    }

    /** The wire form: {@code 2026-11-21T22:50:51.123Z}. */
    public static String format(Instant time) {
        long second = time.getEpochSecond();
        int millis = time.getNano() / 1_000_000;
        Formatted last = lastFormatted;
        if (last.second() == second && last.millis() == millis) {
            return last.text();
        }
        String text = formatNew(time);
        lastFormatted = new Formatted(second, millis, text);
        return text;
    }

    private static String formatNew(Instant time) {
        // Every message is stamped and read back: written by hand for years 0..9999, which is
        // several times cheaper than the formatter and gives the same text; others go to it.
        LocalDateTime t = LocalDateTime.ofEpochSecond(time.getEpochSecond(), time.getNano(), ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 0 || year > 9999) {
            return WIRE.format(time);
        }
        char[] c = new char[24];
        digits(c, 0, year, 4);
        c[4] = '-';
        digits(c, 5, t.getMonthValue(), 2);
        c[7] = '-';
        digits(c, 8, t.getDayOfMonth(), 2);
        c[10] = 'T';
        digits(c, 11, t.getHour(), 2);
        c[13] = ':';
        digits(c, 14, t.getMinute(), 2);
        c[16] = ':';
        digits(c, 17, t.getSecond(), 2);
        c[19] = '.';
        digits(c, 20, t.getNano() / 1_000_000, 3);
        c[23] = 'Z';
        return new String(c);
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** Parses any ISO-8601 instant ({@code ...Z}); the result is truncated to milliseconds. */
    public static Instant parse(String text) throws ProtocolException {
        if (text == null) {
            throw new ProtocolException("time is missing");
        }
        Parsed last = lastParsed;
        if (last.text().equals(text)) {
            return last.instant();
        }
        Instant plain = parseWireForm(text);
        if (plain != null) {
            lastParsed = new Parsed(text, plain);
            return plain;
        }
        try {
            return truncate(Instant.parse(text));
        } catch (DateTimeException e) {
            throw new ProtocolException("time " + Names.quote(text)
                    + " is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z");
        }
    }

    /**
     * The instant of {@code text} if it is exactly the wire form with ordinary field values
     * ({@code 2026-11-21T22:50:51.123Z}), else null, and {@link Instant#parse} decides. The same
     * instant as {@link Instant#parse} gives, without its cost on every message.
     */
    private static Instant parseWireForm(String s) {
        if (s.length() != 24 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != '.' || s.charAt(23) != 'Z') {
            return null;
        }
        int year = number(s, 0, 4);
        int month = number(s, 5, 2);
        int day = number(s, 8, 2);
        int hour = number(s, 11, 2);
        int minute = number(s, 14, 2);
        int second = number(s, 17, 2);
        int millis = number(s, 20, 3);
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59 || millis < 0 || day > Month.of(month).length(Year.isLeap(year))) {
            return null; // leap seconds, 24:00, bad dates: Instant.parse gives the answer
        }
        return LocalDateTime.of(year, month, day, hour, minute, second, millis * 1_000_000).toInstant(ZoneOffset.UTC);
    }

    /** The decimal number of {@code width} ASCII digits at {@code at}, or -1. */
    private static int number(String s, int at, int width) {
        int v = 0;
        for (int i = at; i < at + width; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
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
