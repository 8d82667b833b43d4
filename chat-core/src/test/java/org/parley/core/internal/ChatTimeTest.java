package org.parley.core.internal;

import org.parley.core.ProtocolException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class ChatTimeTest {
    @Test
    void wireFormAlwaysHasThreeFractionDigits() {
        assertEquals("2026-11-21T22:50:51.000Z", ChatTime.format(Instant.parse("2026-11-21T22:50:51Z")));
        assertEquals("2026-11-21T22:50:51.123Z",
                ChatTime.format(Instant.parse("2026-11-21T22:50:51.123456789Z")));
    }

    @Test
    void parseAcceptsAnyPrecisionAndTruncatesToMillis() throws Exception {
        assertEquals(Instant.parse("2026-11-21T22:50:51.123Z"), ChatTime.parse("2026-11-21T22:50:51.123999Z"));
        assertEquals(Instant.parse("2026-11-21T22:50:51Z"), ChatTime.parse("2026-11-21T22:50:51Z"));
    }

    @Test
    void handWrittenWireFormMatchesTheFormatterAndInstantParseEverywhere() throws Exception {
        // format and parse take a short cut for the usual form; it must agree with the library.
        java.time.format.DateTimeFormatter wire = java.time.format.DateTimeFormatter
                .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
        java.util.Random random = new java.util.Random(42);
        java.util.List<Instant> instants = new java.util.ArrayList<>(java.util.List.of(Instant.EPOCH,
                Instant.parse("2024-02-29T23:59:59.999Z"), Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("-0001-12-31T23:59:59Z"), Instant.ofEpochSecond(-1, 999_999_999)));
        for (int i = 0; i < 2000; i++) {
            instants.add(Instant.ofEpochSecond(random.nextLong(-62_167_219_200L, 253_402_300_800L),
                    random.nextInt(1_000_000_000)));
        }
        for (Instant t : instants) {
            String text = ChatTime.format(t);
            assertEquals(wire.format(t), text, t.toString());
            Instant truncated = ChatTime.truncate(Instant.parse(text));
            if (truncated.isBefore(ChatTime.EARLIEST) || truncated.isAfter(ChatTime.LATEST)) {
                assertThrows(ProtocolException.class, () -> ChatTime.parse(text), text);
            } else {
                assertEquals(truncated, ChatTime.parse(text), text);
            }
        }
        for (String odd : java.util.List.of("2026-11-21T23:59:60.000Z", "2026-02-29T10:00:00.000Z",
                "2024-02-30T10:00:00.000Z", "2026-11-21T24:00:00.000Z", "2026-13-01T00:00:00.000Z",
                "2026-11-21T22:50:51.12xZ", "2026-11-21T22:50:51.123+", "2026-00-10T00:00:00.000Z")) {
            Object expected;
            try {
                expected = ChatTime.truncate(Instant.parse(odd));
            } catch (java.time.DateTimeException e) {
                expected = "rejected";
            }
            Object actual;
            try {
                actual = ChatTime.parse(odd);
            } catch (ProtocolException e) {
                actual = "rejected";
            }
            assertEquals(expected, actual, odd);
        }
    }

    @Test
    void everyDayOfYearsZeroTo9999IsTheCalendarsDay() {
        long first = java.time.LocalDate.of(0, 1, 1).toEpochDay();
        long last = java.time.LocalDate.of(9999, 12, 31).toEpochDay();
        for (long day = first; day <= last; day++) {
            java.time.LocalDate d = java.time.LocalDate.ofEpochDay(day);
            long packed = (long) d.getYear() << 16 | d.getMonthValue() << 8 | d.getDayOfMonth();
            long civil = ChatTime.civilFromDays(day);
            if (civil != packed) {
                assertEquals(packed, civil, "the date of epoch day " + day + ", " + d);
            }
            long back = ChatTime.daysFromCivil(d.getYear(), d.getMonthValue(), d.getDayOfMonth());
            if (back != day) {
                assertEquals(day, back, "the epoch day of " + d);
            }
        }
        assertEquals(-1, ChatTime.civilFromDays(first - 1), "before year 0 is left to the formatter");
    }

    @Test
    void parseRejectsWhatIsNotAnInstant() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> ChatTime.parse("yesterday"));
        assertEquals("time \"yesterday\" is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z",
                e.getMessage());
    }

    @Test
    void timesOutsideTheYears1970To9999AreBadInput() throws Exception {
        assertEquals(Instant.EPOCH, ChatTime.parse("1970-01-01T00:00:00.000Z"));
        assertEquals(ChatTime.LATEST, ChatTime.parse("9999-12-31T23:59:59.999Z"));
        for (String far : java.util.List.of("+1000000000-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z",
                "+10000-01-01T00:00:00.000Z", "-0001-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> ChatTime.parse(far), far);
            assertTrue(e.getMessage().contains("outside the years 1970 to 9999"), e.getMessage());
        }
    }

    @Test
    void clockShowsLocalHoursMinutesSeconds() {
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        assertEquals("22:50:51", ChatTime.clock(t, ZoneId.of("UTC")));
        assertEquals("23:50:51", ChatTime.clock(t, ZoneId.of("Europe/Paris")));
    }
}
