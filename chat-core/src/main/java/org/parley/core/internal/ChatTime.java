package org.parley.core.internal;

import org.parley.core.ProtocolException;

import java.time.DateTimeException;
import java.time.Instant;
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

    private ChatTime() {
    }

    /** {@code time} truncated to the millisecond, the precision of the wire. */
    public static Instant truncate(Instant time) {
        return time.truncatedTo(ChronoUnit.MILLIS);
    }

    /** The wire form: {@code 2026-11-21T22:50:51.123Z}. */
    public static String format(Instant time) {
        // Every message is stamped and read back, several times between poster and subscriber:
        // written by hand for years 0..9999, which is several times cheaper than the formatter
        // (and than LocalDateTime) and gives the same text; other years go to the formatter.
        long second = time.getEpochSecond();
        long day = Math.floorDiv(second, SECONDS_PER_DAY);
        long date = civilFromDays(day);
        int year = (int) (date >> 16);
        if (date < 0 || year > 9999) {
            return WIRE.format(time);
        }
        int secondOfDay = (int) Math.floorMod(second, SECONDS_PER_DAY);
        char[] c = new char[24];
        digits(c, 0, year, 4);
        c[4] = '-';
        digits(c, 5, (int) (date >> 8) & 0xff, 2);
        c[7] = '-';
        digits(c, 8, (int) date & 0xff, 2);
        c[10] = 'T';
        digits(c, 11, secondOfDay / 3600, 2);
        c[13] = ':';
        digits(c, 14, secondOfDay / 60 % 60, 2);
        c[16] = ':';
        digits(c, 17, secondOfDay % 60, 2);
        c[19] = '.';
        digits(c, 20, time.getNano() / 1_000_000, 3);
        c[23] = 'Z';
        return new String(c);
    }

    private static final long SECONDS_PER_DAY = 86_400;
    /** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
    private static final long EPOCH_SHIFT = 719_468;

    /**
     * The date of an epoch day as {@code year << 16 | month << 8 | day} (H. Hinnant's
     * civil_from_days), negative for years before 0.
     */
    static long civilFromDays(long epochDay) {
        long z = epochDay + EPOCH_SHIFT;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        long day = dayOfYear - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        return year < 0 ? -1 : year << 16 | month << 8 | day;
    }

    /** The epoch day of a valid date (H. Hinnant's days_from_civil). */
    static long daysFromCivil(long year, int month, int day) {
        long y = year - (month <= 2 ? 1 : 0);
        long era = Math.floorDiv(y, 400);
        long yearOfEra = y - era * 400;
        long dayOfYear = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - EPOCH_SHIFT;
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    /** The earliest time a message may carry: 1970-01-01T00:00:00.000Z. */
    public static final Instant EARLIEST = Instant.EPOCH;
    /** The latest time a message may carry: 9999-12-31T23:59:59.999Z, the last with a four-digit year. */
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

    /**
     * Parses any ISO-8601 instant ({@code ...Z}) from {@link #EARLIEST} to {@link #LATEST}; the
     * result is truncated to milliseconds. A time outside that range is bad input: every
     * client must be able to format and show it.
     */
    public static Instant parse(String text) throws ProtocolException {
        if (text == null) {
            throw new ProtocolException("time is missing");
        }
        Instant plain = parseWireForm(text);
        if (plain == null) {
            try {
                plain = truncate(Instant.parse(text));
            } catch (DateTimeException e) {
                throw new ProtocolException("time " + Names.quote(text)
                        + " is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z");
            }
        }
        return requireInRange(plain);
    }

    /**
     * Returns {@code time} if it lies from {@link #EARLIEST} to {@link #LATEST}.
     *
     * @throws ProtocolException naming the time and the range
     */
    public static Instant requireInRange(Instant time) throws ProtocolException {
        if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
            throw new ProtocolException("time " + time + " is outside the years 1970 to 9999");
        }
        return time;
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
        long seconds = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second;
        return Instant.ofEpochSecond(seconds, millis * 1_000_000L);
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
