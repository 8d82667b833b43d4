package org.parley.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
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
    void afterARestartEveryChannelCountsFromZero() {
        SequenceTracker t = new SequenceTracker();
        t.accept(m("a", 10));
        t.restart();
        assertEquals(0, t.last("a"));
        assertEquals(SequenceTracker.Verdict.NEXT, t.check(m("a", 1)));
        assertEquals(SequenceTracker.Verdict.GAP, t.check(m("a", 3)));
        assertEquals(SequenceTracker.Verdict.GAP, t.check(m("b", 2)), "a channel new since the restart too");
    }

    /** A log holding seq {@code from..to} of channel a, serving pages of at most {@code pageSize}. */
    private static SequenceTracker.HistorySource log(long from, long to, int pageSize, List<Long> asked) {
        return (channel, after, limit) -> {
            asked.add(after);
            List<ChatMessage> page = LongStream.rangeClosed(Math.max(from, after + 1), to)
                    .limit(Math.min(limit, pageSize)).mapToObj(seq -> m(channel, seq)).toList();
            return new HistoryPage(channel, from, to, page);
        };
    }

    @Test
    void fillDeliversTheMissingOnesInOrderPageByPage() throws IOException {
        SequenceTracker t = new SequenceTracker();
        t.accept(m("a", 2));
        List<Long> asked = new ArrayList<>();
        List<Long> got = new ArrayList<>();
        t.fill("a", 9, log(1, 20, 3, asked), x -> got.add(x.seq()));
        assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L), got);
        assertEquals(List.of(2L, 5L, 8L), asked);
        assertEquals(9, t.last("a"));
    }

    @Test
    void fillStopsWhenTheLogNoLongerHoldsThemOrStopsAdvancing() throws IOException {
        SequenceTracker t = new SequenceTracker();
        t.accept(m("a", 2));
        List<Long> got = new ArrayList<>();
        t.fill("a", 9, (ch, after, limit) -> new HistoryPage(ch, 0, 0, List.of()), x -> got.add(x.seq()));
        // A source that keeps answering with old messages must not loop forever.
        t.fill("a", 9, (ch, after, limit) -> new HistoryPage(ch, 1, 2, List.of(m(ch, 1), m(ch, 2))),
                x -> got.add(x.seq()));
        assertEquals(List.of(), got);
    }

    @Test
    void fillSkipsWhatTheLogLostAndPassesOnTheSourcesFailure() {
        SequenceTracker t = new SequenceTracker();
        t.accept(m("a", 1));
        List<Long> got = new ArrayList<>();
        try {
            t.fill("a", 9, log(5, 9, 100, new ArrayList<>()), x -> got.add(x.seq()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), got);
        assertThrows(IOException.class, () -> t.fill("a", 12, (ch, after, limit) -> {
            throw new IOException("no reply");
        }, x -> got.add(x.seq())));
    }
}
