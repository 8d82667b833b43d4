package org.parley.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageLogTest {
    private final MessageLog log = new MessageLog(5, 3);

    private ChatMessage add(String channel, String text) throws ProtocolException {
        MessageLog.ChannelLog c = log.lockFor(channel);
        synchronized (c) {
            return log.append(c, "kyle", Instant.EPOCH, text);
        }
    }

    private static List<Long> seqs(HistoryPage page) {
        return page.messages().stream().map(ChatMessage::seq).toList();
    }

    @Test
    void sequenceNumbersStartAtOnePerChannel() throws Exception {
        assertEquals(1, add("a", "x").seq());
        assertEquals(2, add("a", "x").seq());
        assertEquals(1, add("b", "x").seq());
        assertEquals(2, log.lastSeq("a"));
        assertEquals(0, log.lastSeq("nothing"));
    }

    @Test
    void ringForgetsTheOldestPastItsCapacity() throws Exception {
        for (int i = 0; i < 8; i++) {
            add("a", "m" + i);
        }
        HistoryPage page = log.after("a", 0, 100);
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(page));
        assertEquals(4, page.first());
        assertEquals(8, page.last());
    }

    @Test
    void afterReturnsOldestFirstUpToTheLimit() throws Exception {
        for (int i = 0; i < 5; i++) {
            add("a", "m" + i);
        }
        assertEquals(List.of(3L, 4L), seqs(log.after("a", 2, 2)));
        assertEquals(List.of(), seqs(log.after("a", 5, 10)));
        assertEquals(List.of(), seqs(log.after("a", 99, 10)));
        assertEquals(List.of(), seqs(log.after("missing", 0, 10)));
    }

    @Test
    void latestReturnsTheNewestOldestFirst() throws Exception {
        for (int i = 0; i < 5; i++) {
            add("a", "m" + i);
        }
        assertEquals(List.of(4L, 5L), seqs(log.latest("a", 2)));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(log.latest("a", 50)));
    }

    @Test
    void latestOfAllMergesChannelsInArrivalOrder() throws Exception {
        add("a", "1");
        add("b", "2");
        add("a", "3");
        add("c", "4");
        List<String> texts = log.latestOfAll(3).messages().stream().map(ChatMessage::text).toList();
        assertEquals(List.of("2", "3", "4"), texts);
    }

    @Test
    void channelCountIsBounded() throws Exception {
        add("a", "x");
        add("b", "x");
        add("c", "x");
        ProtocolException e = assertThrows(ProtocolException.class, () -> add("d", "x"));
        assertEquals("channel \"d\" would exceed the limit of 3 channels", e.getMessage());
        assertTrue(log.channels().containsAll(List.of("a", "b", "c")));
    }
}
