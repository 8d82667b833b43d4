package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.parley.core.ProtocolException;

class SignedTokensTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final Instant NOW = Instant.parse("2026-12-07T04:00:00Z");

    @Test
    void aTokenNamesItsUserUntilItExpires() throws Exception {
        SignedTokens tokens = new SignedTokens(SECRET);
        String token = tokens.sign("alice", NOW.plus(Duration.ofMinutes(5)));
        assertEquals("alice", tokens.verify(token, NOW));
        assertEquals("alice", tokens.verify(token, NOW.plus(Duration.ofMinutes(5)).minusSeconds(1)));
        assertEquals("the token expired at 2026-12-07T04:05:00Z",
                assertThrows(ProtocolException.class, () -> tokens.verify(token, NOW.plus(Duration.ofMinutes(5))))
                        .getMessage());
        assertEquals("ünïcödé", tokens.verify(tokens.sign("ünïcödé", NOW.plusSeconds(1)), NOW));
    }

    @Test
    void aTokenOfAnotherSecretOrChangedInAnyPartIsRefused() {
        SignedTokens tokens = new SignedTokens(SECRET);
        String token = tokens.sign("alice", NOW.plusSeconds(60));
        String[] parts = token.split("\\.");
        SignedTokens other = new SignedTokens("another secret of thirty-two bytes".getBytes(StandardCharsets.US_ASCII));
        assertEquals("the token's signature is not this server's",
                assertThrows(ProtocolException.class, () -> other.verify(token, NOW)).getMessage());
        String bob = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("bob".getBytes(StandardCharsets.UTF_8));
        assertThrows(ProtocolException.class, () -> tokens.verify(bob + "." + parts[1] + "." + parts[2], NOW));
        assertThrows(ProtocolException.class, () -> tokens.verify(parts[0] + "." + (Long.parseLong(parts[1]) + 3600)
                + "." + parts[2], NOW), "a later expiry under the same signature");
        for (String bad : new String[] {"", "alice", "a.b", "a.b.c.d", "!!.1.x", "YWxpY2U.soon.x", null}) {
            assertThrows(ProtocolException.class, () -> tokens.verify(bad, NOW), String.valueOf(bad));
        }
        assertThrows(IllegalArgumentException.class, () -> new SignedTokens(new byte[31]));
    }
}
