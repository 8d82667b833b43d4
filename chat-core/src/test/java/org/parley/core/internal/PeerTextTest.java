package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PeerTextTest {
    @Test
    void anExcerptEscapesWhatCouldForgeALineOrReorderIt() {
        assertEquals("\"a\\u000a2026 INFO forged \\u202e \\\"q\\\" \\\\\"",
                PeerText.excerpt("a\n2026 INFO forged \u202e \"q\" \\"));
        assertEquals("(missing)", PeerText.excerpt(null));
    }

    @Test
    void anExcerptIsShortWhateverThePeerSent() {
        String excerpt = PeerText.excerpt("x".repeat(1_000_000));
        assertEquals("\"" + "x".repeat(PeerText.MAX_SHOWN) + "\"...(1000000 chars)", excerpt);
        assertEquals("\"" + "x".repeat(200) + "\"...(1000 chars)", PeerText.excerpt("x".repeat(1000), 200));
    }

    @Test
    void aThrottleLetsTheFirstLineThroughAndCountsTheRest() {
        LogThrottle throttle = new LogThrottle(1, TimeUnit.HOURS);
        assertEquals(0, throttle.admit());
        for (int i = 0; i < 1000; i++) {
            assertEquals(-1, throttle.admit());
        }
        LogThrottle open = new LogThrottle(0, TimeUnit.NANOSECONDS);
        assertEquals(0, open.admit());
        assertTrue(open.admit() >= 0, "with no interval every line is let through");
    }
}
