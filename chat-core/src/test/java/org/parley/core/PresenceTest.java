package org.parley.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PresenceTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final Presence presence = new Presence();

    @Test
    void aUserIsInAChannelUntilSilentForTheExpiry() {
        presence.touch("dev", "zoe", 0);
        presence.touch("dev", "alice", 10 * SECOND);
        presence.touch("ops", "zoe", 10 * SECOND);
        assertEquals(List.of("alice", "zoe"), presence.who("dev", 15 * SECOND));
        assertEquals(List.of("alice"), presence.who("dev", 16 * SECOND), "zoe last spoke in dev at 0");
        assertEquals(List.of("dev", "ops"), presence.channels(16 * SECOND));
        presence.touch("dev", "alice", 20 * SECOND); // a refresh keeps her
        assertEquals(List.of("alice"), presence.who("dev", 34 * SECOND));
        assertEquals(List.of("dev"), presence.channels(34 * SECOND), "ops is empty, so gone");
    }

    @Test
    void pastItsBoundTheLongestSilentIsForgotten() {
        for (int i = 0; i <= Presence.MAX_ENTRIES; i++) {
            presence.touch("c" + (i % 10), "u" + i, i);
        }
        List<String> c0 = presence.who("c0", Presence.MAX_ENTRIES);
        assertEquals(Presence.MAX_ENTRIES / 10, c0.size(), "u0 went first");
        assertEquals(false, c0.contains("u0"));
    }

    @Test
    void theHubChecksNamesAndListsChannelsInUse() throws Exception {
        try (ChatHub hub = ChatHub.create()) {
            hub.post("news", "bot", "hello", null, null);
            assertEquals(List.of("alice"), hub.presence("dev", "alice"));
            assertEquals(List.of("alice", "bob"), hub.presence("dev", "bob"));
            assertEquals(List.of("alice", "bob"), hub.presence("dev", null));
            assertEquals(List.of("carol"), hub.presence("ALL", "carol"));
            assertEquals(List.of("dev", "news"), hub.channels(), "ALL is not a channel in use");
            assertEquals("user name \"ALL\" is reserved: ALL is the channel that sees every channel",
                    org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                            () -> hub.presence("dev", "ALL")).getMessage());
            assertEquals("channel \"no way\" breaks the rule [\\p{L}\\p{N}_.-]{1,64}",
                    org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                            () -> hub.presence("no way", "alice")).getMessage());
        }
    }
}
