package org.parley.core.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The books of a soak test of the delivery guarantee: what each poster's posts came to
 * (acknowledged or failed) and what each subscriber received, as {@code <poster>/post <n>}; and
 * the checks: every subscriber ends with every acknowledged post exactly once, in order per
 * poster, and nothing that was not acknowledged.
 *
 * <p>Thread safety: safe from any thread.
 */
public final class SoakLedger {
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final Set<String> failed = ConcurrentHashMap.newKeySet();
    private final AtomicInteger done = new AtomicInteger();
    private final List<List<String>> received = new ArrayList<>();

    /** The key of post {@code n} of {@code poster}. */
    public static String key(String poster, int n) {
        return poster + "/post " + n;
    }

    /** A new subscriber's book: add each message it receives as {@link #key}. */
    public synchronized List<String> subscriber() {
        List<String> got = Collections.synchronizedList(new ArrayList<>());
        received.add(got);
        return got;
    }

    /** The outcome of one post: acknowledged when {@code error} is null. */
    public void outcome(String key, Throwable error) {
        (error == null ? acknowledged : failed).add(key);
        done.incrementAndGet();
    }

    public Set<String> acknowledged() {
        return acknowledged;
    }

    /** Posts with an outcome so far. */
    public int done() {
        return done.get();
    }

    /** Waits until {@code count} posts have an outcome. */
    public void awaitDone(int count, Duration atMost) {
        await().atMost(atMost).until(() -> done.get() >= count);
    }

    /** Waits until every subscriber has the posts acknowledged by now, saying which it lacks if one does not. */
    public void awaitCaughtUp(Duration atMost) {
        Set<String> now = Set.copyOf(acknowledged);
        List<List<String>> books;
        synchronized (this) {
            books = List.copyOf(received);
        }
        for (int s = 0; s < books.size(); s++) {
            List<String> got = books.get(s);
            try {
                await().atMost(atMost).until(() -> missing(got, now).isEmpty());
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("subscriber " + s + " has " + got.size() + " posts, lacks "
                        + missing(got, now) + " of " + now.size() + " acknowledged", e);
            }
        }
    }

    /** The acknowledged posts {@code got} lacks, a few of them, for the message of a failure. */
    private static List<String> missing(List<String> got, Set<String> wanted) {
        Set<String> have;
        synchronized (got) {
            have = new HashSet<>(got);
        }
        return wanted.stream().filter(k -> !have.contains(k)).sorted().limit(20).toList();
    }

    /**
     * Checks the end: all {@code posts} have an outcome, at least nine in ten acknowledged; each
     * subscriber, once caught up, holds every acknowledged post once, in order per poster, and
     * nothing else.
     */
    public void assertEveryAcknowledgedPostOnceInOrder(int posts, Duration atMost) {
        assertEquals(posts, acknowledged.size() + failed.size());
        assertTrue(acknowledged.size() > posts * 9 / 10, "acknowledged only " + acknowledged.size()
                + " of " + posts + "; failed: " + failed.size());
        awaitCaughtUp(atMost);
        List<List<String>> books;
        synchronized (this) {
            books = List.copyOf(received);
        }
        for (int s = 0; s < books.size(); s++) {
            List<String> got;
            synchronized (books.get(s)) {
                got = List.copyOf(books.get(s));
            }
            assertEquals(got.size(), new HashSet<>(got).size(), "subscriber " + s + " got a post twice");
            Set<String> unacknowledged = new HashSet<>(got);
            unacknowledged.removeAll(acknowledged);
            assertEquals(Set.of(), unacknowledged, "subscriber " + s + " got posts that were not acknowledged");
            java.util.Map<String, Integer> last = new java.util.HashMap<>();
            for (String m : got) {
                String poster = m.substring(0, m.indexOf('/'));
                int n = Integer.parseInt(m.substring(m.lastIndexOf(' ') + 1));
                int before = last.getOrDefault(poster, -1);
                assertTrue(n > before, "subscriber " + s + ": " + poster + "'s post " + n + " after " + before);
                last.put(poster, n);
            }
        }
    }
}
