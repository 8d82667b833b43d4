package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;

class OrderedDeliveryTest {
    private final List<Long> asked = new ArrayList<>(); // the after of each page asked for
    private final List<String> got = new ArrayList<>();
    private final AtomicLong epoch = new AtomicLong();

    /** A message of the current epoch: each epoch's posts are other posts (see {@link #sameAs}). */
    private ChatMessage m(String channel, long seq) {
        return new ChatMessage(channel, seq, "kyle", Instant.EPOCH.plusMillis(seq), "x" + seq + "@" + epoch.get());
    }

    /** The post {@code m} again, numbered {@code seq} by a restarted server. */
    private static ChatMessage sameAs(ChatMessage m, long seq) {
        return new ChatMessage(m.channel(), seq, m.user(), m.time(), m.text());
    }

    @Test
    void aMessageOfAnOlderEpochHandedOverLateIsDroppedAndCountsNothingAgain() {
        OrderedDelivery d = over(log(1, 0, 100));
        d.deliver(m("a", 7), 0);
        epoch.set(1);
        d.deliver(m("a", 1), 1);
        d.deliver(m("a", 8), 0); // queued before the restart was known
        d.deliver(m("a", 2), 1);
        assertEquals(List.of("a7", "a1", "a2"), got);
    }

    @Test
    void aPostDeliveredBeforeARestartAndRecordedAgainAfterItIsDeliveredOnce() {
        OrderedDelivery d = over(log(1, 0, 100)); // a log without the old messages
        ChatMessage first = m("a", 7);
        ChatMessage second = m("a", 8);
        d.deliver(first, 0);
        d.deliver(second, 0);
        epoch.set(1);
        // Its author saw no acknowledgement of the second and sent it again to the new server.
        d.deliver(sameAs(second, 1), 1);
        ChatMessage fresh = m("a", 2);
        d.deliver(fresh, 1);
        // The same text at another time is another post.
        d.deliver(new ChatMessage("a", 3, "kyle", second.time().plusMillis(1), second.text()), 1);
        assertEquals(List.of("a7", "a8", "a2", "a3"), got);

        // The new server went too before acknowledging it: a third one records it again.
        epoch.set(2);
        d.deliver(sameAs(second, 1), 2);
        assertEquals(List.of("a7", "a8", "a2", "a3"), got, "skipped under every later epoch");

        // Recorded by the first server, not by the next, then by a third: still once.
        ChatMessage third = m("a", 4);
        d.deliver(third, 2);
        epoch.set(3);
        d.deliver(m("a", 1), 3);
        epoch.set(4);
        d.deliver(sameAs(third, 1), 4);
        assertEquals(List.of("a7", "a8", "a2", "a3", "a4", "a1"), got);
    }

    /** A log holding seq {@code from..to} of every channel, serving pages of at most {@code pageSize}. */
    private OrderedDelivery.HistorySource log(long from, long to, int pageSize) {
        return (channel, after, limit) -> {
            asked.add(after);
            List<ChatMessage> page = LongStream.rangeClosed(Math.max(from, after + 1), to)
                    .limit(Math.min(limit, pageSize)).mapToObj(seq -> m(channel, seq)).toList();
            return new HistoryPage(channel, from, to, page);
        };
    }

    private OrderedDelivery over(OrderedDelivery.HistorySource source) {
        return new OrderedDelivery(source, x -> got.add(x.channel() + x.seq()), epoch::get);
    }

    @Test
    void firstMessageOfAChannelIsDeliveredWithoutAskingHistory() {
        OrderedDelivery d = over(log(1, 20, 100));
        d.deliver(m("a", 17), 0);
        assertEquals(List.of("a17"), got);
        assertEquals(List.of(), asked);
    }

    @Test
    void dropsDuplicatesAndFillsGapsPerChannel() {
        OrderedDelivery d = over(log(1, 20, 100));
        d.deliver(m("a", 1), 0);
        d.deliver(m("a", 2), 0);
        d.deliver(m("a", 1), 0);
        d.deliver(m("a", 2), 0);
        d.deliver(m("a", 4), 0);
        d.deliver(m("b", 9), 0);
        assertEquals(List.of("a1", "a2", "a3", "a4", "b9"), got);
        assertEquals(List.of(2L), asked);
    }

    @Test
    void fillsAGapInOrderPageByPage() {
        OrderedDelivery d = over(log(1, 20, 3));
        d.deliver(m("a", 2), 0);
        d.deliver(m("a", 10), 0);
        assertEquals(List.of("a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10"), got);
        assertEquals(List.of(2L, 5L, 8L), asked);
    }

    @Test
    void afterARestartEveryChannelCountsFromZero() {
        OrderedDelivery d = over(log(1, 20, 100));
        d.deliver(m("a", 10), 0);
        epoch.set(1);
        d.deliver(m("a", 1), 1);
        d.deliver(m("a", 3), 1);
        d.deliver(m("b", 2), 1);
        assertEquals(List.of("a10", "a1", "a2", "a3", "b1", "b2"), got, "a channel new since the restart too");
        assertEquals(List.of(1L, 0L), asked);
    }

    @Test
    void aMessageCountedBeforeTheRestartIsStillDeliveredInItsOrder() {
        OrderedDelivery d = over(log(1, 20, 100));
        d.deliver(m("a", 10), 0);
        epoch.set(1); // learnt while a message of the old numbering was on its way
        d.deliver(m("a", 11), 0);
        d.deliver(m("a", 1), 1);
        assertEquals(List.of("a10", "a11", "a1"), got);
        assertEquals(List.of(), asked);
    }

    @Test
    void aRestartWhileAGapIsFilledDropsThePageAndTheMessage() {
        OrderedDelivery d = over((channel, after, limit) -> {
            epoch.set(1); // the page comes from the new server
            return new HistoryPage(channel, 1, 5, List.of(m(channel, 1), m(channel, 2)));
        });
        d.deliver(m("a", 1), 0);
        d.deliver(m("a", 4), 0);
        assertEquals(List.of("a1"), got);
    }

    @Test
    void aSourceThatStopsShortOrStopsAdvancingEndsTheFill() {
        OrderedDelivery d = over((ch, after, limit) -> new HistoryPage(ch, 0, 0, List.of()));
        // A source that keeps answering with old messages must not loop forever.
        OrderedDelivery stuck = over((ch, after, limit) -> new HistoryPage(ch, 1, 2, List.of(m(ch, 1), m(ch, 2))));
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            d.deliver(m("a", 2), 0);
            d.deliver(m("a", 9), 0);
            stuck.deliver(m("b", 2), 0);
            stuck.deliver(m("b", 9), 0);
        });
        assertEquals(List.of("a2", "a9", "b2", "b9"), got);
    }

    @Test
    void skipsWhatTheLogLostAndDeliversTheMessageWhenTheSourceFails() {
        OrderedDelivery d = over(log(5, 9, 100));
        d.deliver(m("a", 1), 0);
        d.deliver(m("a", 10), 0);
        assertEquals(List.of("a1", "a5", "a6", "a7", "a8", "a9", "a10"), got);
        OrderedDelivery failing = over((ch, after, limit) -> {
            throw new IOException("no reply");
        });
        failing.deliver(m("b", 1), 0);
        failing.deliver(m("b", 12), 0);
        assertEquals(List.of("b1", "b12"), got.subList(7, got.size()));
    }

    @Test
    void catchUpFetchesWhatWasLostUnlessTheEpochChangedSince() {
        OrderedDelivery d = over(log(1, 20, 100));
        d.deliver(m("a", 2), 0);
        d.catchUp("a", 3, 5, 0);
        d.catchUp("a", 4, 4, 0);
        epoch.set(1);
        d.catchUp("a", 6, 9, 0);
        assertEquals(List.of("a2", "a3", "a4", "a5"), got);
        assertEquals(List.of(2L), asked);
        d.catchUp("a", 2, 2, 1);
        assertEquals(List.of("a2", "a3", "a4", "a5", "a1", "a2"), got, "counting from 0 under the new epoch");
    }

    @Test
    void catchUpOfAChannelNotSeenYetStartsAtTheFirstOneLost() {
        OrderedDelivery d = over(log(1, 60, 100));
        d.catchUp("b", 51, 53, 0); // lost before anything of b was delivered: not b's back history
        assertEquals(List.of("b51", "b52", "b53"), got);
        d.deliver(m("b", 54), 0);
        assertEquals(List.of("b51", "b52", "b53", "b54"), got);
    }
}
