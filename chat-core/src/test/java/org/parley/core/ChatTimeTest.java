package org.parley.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    void parseRejectsWhatIsNotAnInstant() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> ChatTime.parse("yesterday"));
        assertEquals("time \"yesterday\" is not an ISO-8601 UTC instant like 2026-11-21T22:50:51.123Z",
                e.getMessage());
    }

    @Test
    void clockShowsLocalHoursMinutesSeconds() {
        Instant t = Instant.parse("2026-11-21T22:50:51.123Z");
        assertEquals("22:50:51", ChatTime.clock(t, ZoneId.of("UTC")));
        assertEquals("23:50:51", ChatTime.clock(t, ZoneId.of("Europe/Paris")));
    }
}
