package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Who sends which message of a round, and when a paced one is meant to go. */
class PacingTest {
    @Test
    void theSharesAddUpAndDifferByOneAtMost() {
        for (long messages : new long[] {0, 1, 3, 4, 5, 100, 1_001}) {
            for (int p : new int[] {1, 2, 4, 7}) {
                long sum = 0;
                long min = Long.MAX_VALUE;
                long max = 0;
                for (int i = 0; i < p; i++) {
                    long share = Pacing.share(messages, p, i);
                    sum += share;
                    min = Math.min(min, share);
                    max = Math.max(max, share);
                }
                assertEquals(messages, sum, messages + " messages over " + p);
                assertTrue(max - min <= 1, messages + " messages over " + p);
            }
        }
        assertEquals(2, Pacing.share(5, 4, 0), "the first clients take the remainder");
        assertEquals(1, Pacing.share(5, 4, 3));
    }

    @Test
    void pacedClientsTakeTurnsAndTogetherOfferExactlyTheRate() {
        long start = 1_000_000_000L;
        int p = 4;
        double rate = 1_000; // one message a millisecond, in all
        assertEquals(start + 9_000_000, Pacing.intendedNanos(start, 2, p, 1, rate), "client 1's third is message 9");
        TreeSet<Long> times = new TreeSet<>();
        long messages = 10;
        for (int i = 0; i < p; i++) {
            for (long j = 0; j < Pacing.share(messages, p, i); j++) {
                times.add(Pacing.intendedNanos(start, j, p, i, rate));
            }
        }
        assertEquals(messages, times.size(), "no two messages at one time");
        long n = 0;
        for (long t : times) {
            assertEquals(start + n++ * 1_000_000, t, "messages 1 ms apart from the start");
        }
        assertEquals(start + 10_000, Pacing.intendedNanos(start, 1, 1, 0, 100_000), "10 µs apart at 100,000 msgs/s");
        assertEquals(start, Pacing.intendedNanos(start, 99, p, 3, 0), "unpaced: as soon as may be");
    }

    @Test
    void aFixedRatesRoundLastsItsSecondsAndGivesEveryClientAMessage() {
        BenchPlan.FixedRates rates = new BenchPlan.FixedRates(List.of(100, 1_000, 10_000), List.of(10), 1.0);
        assertEquals(100, rates.messagesPerRound(100, 4));
        assertEquals(10_000, rates.messagesPerRound(10_000, 4));
        BenchPlan.FixedRates brief = new BenchPlan.FixedRates(List.of(100), List.of(10), 0.01);
        assertEquals(4, brief.messagesPerRound(100, 4), "one message each, not one in all");
        assertThrows(IllegalArgumentException.class, () -> new BenchPlan.FixedRates(List.of(0), List.of(10), 1.0));
        assertThrows(IllegalArgumentException.class, () -> new BenchPlan.FixedRates(List.of(100), List.of(10), 0));
    }
}
