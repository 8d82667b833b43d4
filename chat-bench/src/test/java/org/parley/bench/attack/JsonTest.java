package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class JsonTest {
    @Test
    void stringsAreQuotedWithTheirEscapes() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", Json.str("a\"b\\c\nd\u0001"));
    }

    @Test
    void fieldsAreReadBackUnescaped() {
        String reply = "{\"ok\":false,\"error\":\"user name \\\"a b\\\" breaks the rule\",\"ref\":\"7\"}";
        assertFalse(Json.ok(reply));
        assertEquals(Optional.of("user name \"a b\" breaks the rule"), Json.field(reply, "error"));
        assertEquals(Optional.of("7"), Json.field(reply, "ref"));
        assertEquals(Optional.empty(), Json.field(reply, "seq"));
        assertTrue(Json.ok("{\"ok\": true,\"seq\":1}"));
    }

    @Test
    void aFieldOfSixtyKilobytesIsReadWithoutOverflowingTheStack() {
        String big = "z".repeat(60_000) + "\\\"" + "z".repeat(10);
        assertEquals(60_011, Json.field("{\"error\":\"" + big + "\"}", "error").orElseThrow().length());
    }

    @Test
    void excerptsAreOneLineAndCut() {
        assertEquals("ab cd…", Json.excerpt("ab\ncdef", 5));
        assertEquals("short", Json.excerpt("short", 5));
    }
}
