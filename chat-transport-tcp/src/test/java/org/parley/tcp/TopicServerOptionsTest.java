package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TopicServerOptionsTest {
    private static String refused(TopicServerOptions.Builder builder) {
        return assertThrows(IllegalArgumentException.class, builder::build).getMessage();
    }

    @Test
    void aHubThatAuthenticatesNeedsTls(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        java.nio.file.Path users = java.nio.file.Files.writeString(dir.resolve("users"), "alice\n");
        try (org.parley.core.ChatHub hub = org.parley.core.ChatHub.create(
                org.parley.core.HubOptions.builder().usersFile(users).build())) {
            assertEquals("the hub authenticates its users: the TCP topic server needs TLS (tls(context)), over which "
                    + "its clients send their tokens", refused(TopicServerOptions.builder().hub(hub)));
        }
    }

    @Test
    void defaultsAreThoseDocumented() {
        TopicServerOptions o = TopicServerOptions.builder().build();
        assertEquals(256, o.maxConnectionsPerAddress());
        assertEquals(Duration.ofSeconds(10), o.registrationTimeout());
        assertEquals(Duration.ofSeconds(30), o.objectTimeout());
        assertEquals(Duration.ofSeconds(60), o.keepAliveIdle());
        assertEquals(Duration.ofSeconds(10), o.keepAliveInterval());
        assertEquals(3, o.keepAliveProbes());
    }

    @Test
    void limitsOutsideTheirRangeAreRefusedByName() {
        assertEquals("maxConnectionsPerAddress < 1: 0",
                refused(TopicServerOptions.builder().maxConnectionsPerAddress(0)));
        assertEquals("registrationTimeout PT0S is under the minimum of 1 ms",
                refused(TopicServerOptions.builder().registrationTimeout(Duration.ZERO)));
        assertEquals("objectTimeout PT-1S is under the minimum of 1 ms",
                refused(TopicServerOptions.builder().objectTimeout(Duration.ofSeconds(-1))));
        assertEquals("keepAlive idle PT0.5S is not a whole number of seconds in 1..32767",
                refused(TopicServerOptions.builder().keepAlive(Duration.ofMillis(500), Duration.ofSeconds(1), 1)));
        assertEquals("keepAlive interval PT9H6M8S is not a whole number of seconds in 1..32767",
                refused(TopicServerOptions.builder().keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(32_768), 1)));
        assertEquals("keepAlive probes 0 is outside 1..127",
                refused(TopicServerOptions.builder().keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(1), 0)));
        assertThrows(NullPointerException.class, () -> TopicServerOptions.builder().registrationTimeout(null));
    }

    @Test
    void timeoutsPastADayAreRefusedWithTheLimitAndADayIsTaken() {
        assertEquals("registrationTimeout PT2628000H exceeds the limit of PT24H",
                refused(TopicServerOptions.builder().registrationTimeout(Duration.ofDays(300 * 365))));
        assertEquals("objectTimeout PT24H0.001S exceeds the limit of PT24H",
                refused(TopicServerOptions.builder().objectTimeout(Duration.ofDays(1).plusMillis(1))));
        assertEquals("registrationTimeout PT2562047788015215H30M7S exceeds the limit of PT24H",
                refused(TopicServerOptions.builder().registrationTimeout(Duration.ofSeconds(Long.MAX_VALUE))));
        TopicServerOptions day = TopicServerOptions.builder()
                .registrationTimeout(Duration.ofDays(1)).objectTimeout(Duration.ofDays(1)).build();
        assertEquals(Duration.ofDays(1), day.registrationTimeout());
        assertEquals(Duration.ofDays(1), day.objectTimeout());
    }
}
