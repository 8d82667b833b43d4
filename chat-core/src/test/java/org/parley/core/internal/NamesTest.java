package org.parley.core.internal;

import org.parley.core.ProtocolException;
import org.parley.core.ChatMessage;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NamesTest {
    private static final ChatLimits LIMITS = ChatLimits.DEFAULT;

    @Test
    void handWrittenRuleAgreesWithTheRegexForEveryCodePoint() {
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
                continue;
            }
            String s = new String(Character.toChars(cp));
            assertEquals(Names.USER_PATTERN.matcher(s).matches(), Names.isValidUser(s),
                    () -> "code point U+" + Integer.toHexString(s.codePointAt(0)));
        }
    }

    @Test
    void userNamesFollowTheRule() {
        assertTrue(Names.isValidUser("kyle"));
        assertTrue(Names.isValidUser("Zoë_3.b-c"));
        assertTrue(Names.isValidUser("名前"));
        assertTrue(Names.isValidUser("x".repeat(32)));
        assertFalse(Names.isValidUser("x".repeat(33)));
        assertTrue(Names.isValidUser("😀".repeat(0) + "𝟘".repeat(32)), "32 supplementary digits count as 32");
        assertFalse(Names.isValidUser(""));
        assertFalse(Names.isValidUser(null));
        assertFalse(Names.isValidUser("two words"));
        assertFalse(Names.isValidUser("semi;colon"));
        assertFalse(Names.isValidUser("tab\t"));
    }

    @Test
    void channelNamesAllowSixtyFourCharacters() {
        assertTrue(Names.isValidChannel("c".repeat(64)));
        assertFalse(Names.isValidChannel("c".repeat(65)));
        assertTrue(Names.isValidChannel("ALL"));
    }

    @Test
    void postToAllIsRejected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Names.requireWritableChannel("ALL"));
        assertEquals("channel ALL is read-only", e.getMessage());
        assertDoesNotThrow(() -> Names.requireWritableChannel("all"), "ALL is case-sensitive");
    }

    @Test
    void badNameErrorsQuoteTheValueAndTheRule() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Names.requireUser("a b"));
        assertEquals("user name \"a b\" breaks the rule [\\p{L}\\p{N}_.-]{1,32}", e.getMessage());
    }

    @Test
    void allIsReservedAsAUserNameExactlyAndCaseSensitively() {
        String error = "user name \"ALL\" is reserved: ALL is the channel that sees every channel";
        assertFalse(Names.isValidUser("ALL"));
        assertEquals(error, assertThrows(ProtocolException.class, () -> Names.requireUser("ALL")).getMessage());
        assertEquals(error, assertThrows(IllegalArgumentException.class, () -> Names.checkUser("ALL")).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ChatMessage("dev", 1, "ALL", java.time.Instant.EPOCH, "hi"));
        for (String ordinary : new String[] {"all", "All", "aLL", "ALL_", "ALLx", "xALL"}) {
            assertTrue(Names.isValidUser(ordinary), ordinary);
            assertDoesNotThrow(() -> Names.requireUser(ordinary), ordinary);
            assertDoesNotThrow(() -> Names.checkUser(ordinary), ordinary);
        }
        assertTrue(Names.isValidChannel("all"), "lowercase all is an ordinary channel");
        assertDoesNotThrow(() -> Names.requireWritableChannel("All"));
    }

    @Test
    void blankTextIsRejected() {
        assertEquals("text is blank", assertThrows(ProtocolException.class,
                () -> Names.requireText(" \t\n ", LIMITS)).getMessage());
        assertThrows(ProtocolException.class, () -> Names.requireText("", LIMITS));
        assertThrows(ProtocolException.class, () -> Names.requireText("\u3000", LIMITS));
    }

    @Test
    void textWithNulIsRejected() {
        assertEquals("text contains a NUL character at index 2",
                assertThrows(ProtocolException.class, () -> Names.requireText("ab\0c", LIMITS)).getMessage());
    }

    @Test
    void unpairedSurrogateIsNotUtf8() {
        assertTrue(assertThrows(ProtocolException.class, () -> Names.requireText("a\uD800b", LIMITS))
                .getMessage().startsWith("text is not valid UTF-8"));
        assertThrows(ProtocolException.class, () -> Names.requireText("a\uDC00", LIMITS));
        assertThrows(ProtocolException.class, () -> Names.requireText("a\uD800", LIMITS));
        assertDoesNotThrow(() -> Names.requireText("emoji 😀", LIMITS));
    }

    @Test
    void textLimitCountsUtf8Bytes() {
        String atLimit = "é".repeat(8192); // 2 bytes each
        assertDoesNotThrow(() -> Names.requireText(atLimit, LIMITS));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Names.requireText(atLimit + "x", LIMITS));
        assertEquals("text of 16385 bytes exceeds the limit of 16384", e.getMessage());
        assertThrows(ProtocolException.class, () -> Names.requireText("😀".repeat(4097), LIMITS));
        assertDoesNotThrow(() -> Names.requireText("😀".repeat(4096), LIMITS));
    }

    @Test
    void theDisplayRuleHidesControlsAndBidirectionalOverridesAndKeepsTheRest() {
        assertEquals("a\uFFFDb\tc\uFFFD[2J", Names.printable("a\nb\tc\u001b[2J"));
        assertEquals("evil \uFFFDtxt.exe", Names.printable("evil \u202Etxt.exe"));
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD", Names.printable("\u2066\u2069\u200E\u061C\u0085"));
        String kept = "family \uD83D\uDC68\u200D\uD83D\uDC69 caf\u00E9 \u00AD";
        assertSame(kept, Names.printable(kept), "format characters other than the bidi controls stay");
    }

    @Test
    void aDisplayLineFollowsTheDisplayRule() {
        ChatMessage m = new ChatMessage("dev", 1, "eve", java.time.Instant.EPOCH, "hi\u202E\r");
        assertTrue(m.displayLine().startsWith("eve: hi\uFFFD\uFFFD ("), m.displayLine());
    }
}
