package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A line over the text limit, cut into messages that fit. */
class TextPartsTest {

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void aTextWithinTheLimitIsOnePart() {
        assertEquals(List.of("hello"), TextParts.split("hello", 16));
        assertEquals(List.of("x".repeat(16_384)), TextParts.split("x".repeat(16_384), TextParts.LIMIT));
    }

    @Test
    void aLongWordIsCutAtTheLimit() {
        assertEquals(List.of("x".repeat(16_384), "x".repeat(16_384), "x".repeat(16_384), "x".repeat(16_384)),
                TextParts.split("x".repeat(65_536), TextParts.LIMIT));
        assertEquals(List.of("abcd", "efgh", "i"), TextParts.split("abcdefghi", 4));
    }

    @Test
    void aCutIsNeverInsideACharacterNorASurrogatePair() {
        // é is 2 bytes, 日 3, 🙂 4 (two chars in Java): no part may end inside one.
        String text = "é".repeat(5) + "日".repeat(5) + "🙂".repeat(5);
        List<String> parts = TextParts.split(text, 7);
        assertEquals(text, String.join("", parts));
        for (String p : parts) {
            assertTrue(bytes(p) <= 7, p + " is " + bytes(p) + " bytes");
            assertTrue(!Character.isHighSurrogate(p.charAt(p.length() - 1)) && !Character.isLowSurrogate(p.charAt(0)), p);
        }
        assertEquals(List.of("ééé", "éé日", "日日", "日日", "🙂", "🙂", "🙂", "🙂", "🙂"), parts);
    }

    @Test
    void aCutFallsAfterALineBreakOrASpaceInTheSecondHalfOfAPart() {
        assertEquals(List.of("one two ", "three"), TextParts.split("one two three", 10));
        assertEquals(List.of("one two\n", "three four"), TextParts.split("one two\nthree four", 12));
        // A space in the first half is too early: the part would be short; cut at the limit.
        assertEquals(List.of("a bcdefghij", "k"), TextParts.split("a bcdefghijk", 11));
    }

    @Test
    void partsOfWhiteSpaceAloneAreLeftOutTheRestJoinToTheText() {
        String text = "start" + " ".repeat(40) + "end";
        List<String> parts = TextParts.split(text, 10);
        assertTrue(parts.stream().noneMatch(String::isBlank), parts.toString());
        assertEquals(text.replace(" ", ""), String.join("", parts).replace(" ", ""));
        assertTrue(parts.stream().allMatch(p -> bytes(p) <= 10), parts.toString());
    }

    @Test
    void theNoticeNamesThePartsAndTheLimit() {
        assertEquals("sent in 4 parts: the text limit is 16384 bytes", TextParts.notice(4));
    }
}
