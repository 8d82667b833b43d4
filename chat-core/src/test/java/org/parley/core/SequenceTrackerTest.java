package org.parley.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SequenceTrackerTest {
    private static ChatMessage m(String channel, long seq) {
        return new ChatMessage(channel, seq, "kyle", Instant.EPOCH, "x");
    }

    @Test
    void firstMessageOfAChannelIsNext() {
        SequenceTracker t = new SequenceTracker();
        assertEquals(SequenceTracker.Verdict.NEXT, t.check(m("a", 17)));
    }

    @Test
    void tellsNextDuplicateAndGapPerChannel() {
        SequenceTracker t = new SequenceTracker();
        t.accept(m("a", 1));
        assertEquals(SequenceTracker.Verdict.NEXT, t.check(m("a", 2)));
        assertEquals(SequenceTracker.Verdict.DUPLICATE, t.check(m("a", 1)));
        assertEquals(SequenceTracker.Verdict.GAP, t.check(m("a", 4)));
        assertEquals(SequenceTracker.Verdict.NEXT, t.check(m("b", 9)));
        assertEquals(1, t.last("a"));
    }

    @Test
    void advanceToSetsABaselineFromHistory() {
        SequenceTracker t = new SequenceTracker();
        t.advanceTo("a", 10);
        assertEquals(SequenceTracker.Verdict.DUPLICATE, t.check(m("a", 10)));
        assertEquals(SequenceTracker.Verdict.NEXT, t.check(m("a", 11)));
        t.advanceTo("a", 5);
        assertEquals(10, t.last("a"));
    }
}
