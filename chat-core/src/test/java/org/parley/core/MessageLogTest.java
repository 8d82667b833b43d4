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
        return add(log, channel, text);
    }

    private static ChatMessage add(MessageLog log, String channel, String text) throws ProtocolException {
        return log.append(channel, "kyle", Instant.EPOCH, text, null, null).join();
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
    void aNewChannelPastTheLimitMakesRoomByForgettingTheOldestMessagesOfAll() throws Exception {
        add("a", "x");
        add("b", "x");
        add("a", "y");
        add("c", "x");
        // a's first message is the oldest of all: it goes, but a keeps its second; then b's,
        // which empties b, so b is forgotten and d takes its place.
        assertEquals(1, add("d", "x").seq());
        assertEquals(List.of("a", "c", "d"), List.copyOf(log.channels()));
        assertEquals(List.of(2L), seqs(log.after("a", 0, 10)));
        assertEquals(List.of(), seqs(log.after("b", 0, 10)), "b's history is forgotten");
        assertEquals(1, log.lastSeq("b"), "but not its numbering");
        assertEquals(2, add("b", "again").seq(), "a forgotten channel goes on from its last seq");
    }

    @Test
    void aSeqIsNeverGivenTwiceHoweverOftenChannelsAreForgotten() throws Exception {
        MessageLog small = new MessageLog(5, 2);
        java.util.Map<String, Long> last = new java.util.HashMap<>();
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 200_000; i++) {
            String channel = i % 3 == 0 ? "dev" : "junk-" + random.nextInt(100_000);
            ChatMessage m = add(small, channel, "x");
            Long before = last.put(channel, m.seq());
            if (before != null && m.seq() <= before) {
                throw new AssertionError(channel + " gave seq " + m.seq() + " after " + before);
            }
        }
        assertTrue(small.channels().size() <= 2);
    }

    @Test
    void aListenerThatPostsToAnotherChannelWhileTheLogMakesRoomDoesNotDeadlock() throws Exception {
        MessageLog small = new MessageLog(5, 2);
        // A sink that posts again, as a listener that answers would.
        small.start((m, origin) -> {
            if (m.channel().startsWith("t")) {
                small.append("echo-" + m.channel().charAt(1) + "-" + (m.seq() % 5), "bot", Instant.EPOCH, "y", null, null);
            }
        });
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        String channel = "t" + thread + "-" + (i % 7);
                        small.append(channel, "kyle", Instant.EPOCH, "x", null, null);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theLogIsBoundedByBytesAndForgetsTheOldestOfAllChannelsFirst() throws Exception {
        String text = "t".repeat(1000);
        long perMessage = MessageLog.cost(new ChatMessage("c0", 1, "kyle", Instant.EPOCH, text));
        long budget = 20 * perMessage + 50 * MessageLog.channelCost(MessageLog.FIRST_RING_CAPACITY);
        MessageLog bounded = new MessageLog(1000, 1000, budget);
        for (int i = 0; i < 200; i++) {
            add(bounded, "c" + (i % 50), text);
            assertTrue(bounded.bytes() <= budget, "after post " + i + ": " + bounded.bytes());
        }
        // The newest posts are kept, in arrival order; the oldest went first, whatever their channel.
        List<ChatMessage> kept = bounded.latestOfAll(1000).messages();
        assertTrue(kept.size() >= 15 && kept.size() <= 70, "kept " + kept.size());
        assertEquals("c49", kept.get(kept.size() - 1).channel());
        assertEquals(4, kept.get(kept.size() - 1).seq());
        assertTrue(bounded.channels().size() <= kept.size(), "channels left empty are forgotten: " + bounded.channels());
        assertEquals(4, add(bounded, "c49", text).seq() - 1, "numbering goes on");
        assertEquals(4, bounded.lastSeq("c0"), "forgotten channels keep their last seq");
    }

    @Test
    void latestOfAllReadsItsOwnIndexAndSkipsWhatTheLogForgot() throws Exception {
        MessageLog wide = new MessageLog(1000, 2000, 1 << 30);
        for (int i = 0; i < 3000; i++) {
            add(wide, "c" + (i % 1500), "m" + i);
        }
        List<String> texts = wide.latestOfAll(3).messages().stream().map(ChatMessage::text).toList();
        assertEquals(List.of("m2997", "m2998", "m2999"), texts);
        assertEquals(1000, wide.latestOfAll(5000).messages().size(), "at most the history limit");
        MessageLog tiny = new MessageLog(2, 10, 1 << 20);
        for (int i = 0; i < 5; i++) {
            add(tiny, "a", "a" + i);
            add(tiny, "b", "b" + i);
        }
        assertEquals(List.of("a3", "b3", "a4", "b4"),
                tiny.latestOfAll(10).messages().stream().map(ChatMessage::text).toList(),
                "what each ring no longer holds is absent from ALL too");
    }
}
