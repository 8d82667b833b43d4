package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatMessage;
import org.parley.core.ProtocolException;

class PostIdsTest {
    private final AtomicInteger stored = new AtomicInteger();

    /** A store that numbers what it is given, counting the calls. */
    private Supplier<CompletableFuture<ChatMessage>> store(String channel, String text) {
        return () -> CompletableFuture.completedFuture(
                new ChatMessage(channel, stored.incrementAndGet(), "kyle", Instant.EPOCH, text));
    }

    @Test
    void aRepeatedIdGetsTheFirstPostsMessageAndStoresNothing() {
        PostIds ids = new PostIds(10);
        ChatMessage first = ids.once("kyle", "p1", "dev", "hi", store("dev", "hi")).join();
        ChatMessage again = ids.once("kyle", "p1", "dev", "hi", store("dev", "hi")).join();
        assertEquals(first, again);
        assertEquals(1, stored.get());
    }

    @Test
    void idsBelongToTheirUserAndNullMeansNone() {
        PostIds ids = new PostIds(10);
        ids.once("kyle", "p1", "dev", "hi", store("dev", "hi")).join();
        ids.once("zoe", "p1", "dev", "hi", store("dev", "hi")).join();
        ids.once("kyle", null, "dev", "hi", store("dev", "hi")).join();
        ids.once("kyle", null, "dev", "hi", store("dev", "hi")).join();
        assertEquals(4, stored.get());
    }

    @Test
    void aRepeatWithOtherTextIsRefusedByName() {
        PostIds ids = new PostIds(10);
        ids.once("kyle", "p1", "dev", "hi", store("dev", "hi")).join();
        CompletionException e = assertThrows(CompletionException.class,
                () -> ids.once("kyle", "p1", "dev", "bye", store("dev", "bye")).join());
        assertInstanceOf(ProtocolException.class, e.getCause());
        assertEquals("post id \"p1\" was used before for another post; each post needs an id of its own",
                e.getCause().getMessage());
        assertEquals(1, stored.get());
    }

    @Test
    void aFailedPostMayBeSentAgainAndTheOldestIdsAreForgotten() {
        PostIds ids = new PostIds(2);
        assertThrows(CompletionException.class, () -> ids.once("kyle", "p1", "dev", "hi",
                () -> CompletableFuture.failedFuture(new ProtocolException("disk full"))).join());
        ids.once("kyle", "p1", "dev", "hi", store("dev", "hi")).join();
        assertEquals(1, stored.get(), "the retry of a failed post is stored");
        ids.once("kyle", "p2", "dev", "hi", store("dev", "hi")).join();
        ids.once("kyle", "p3", "dev", "hi", store("dev", "hi")).join();
        ids.once("kyle", "p1", "dev", "hi", store("dev", "hi")).join();
        assertEquals(4, stored.get(), "p1 was the oldest of three, past the capacity of two");
    }

    @Test
    void theNewestIdsAreKeptExactlyWhileManyComeAndGo() {
        int capacity = 1000;
        PostIds ids = new PostIds(capacity);
        int posts = 7 * capacity + 123;
        for (int i = 0; i < posts; i++) {
            String user = "u" + (i % 7); // ids repeat across users: each user's own
            ids.once(user, "p" + (i / 7), "dev", "t" + i, store("dev", "t" + i)).join();
        }
        assertEquals(posts, stored.get());
        // The newest capacity are repeats (the first post's seq, nothing stored); every older one is new again.
        for (int i = posts - 1; i >= 0; i--) {
            String user = "u" + (i % 7);
            ChatMessage m = ids.once(user, "p" + (i / 7), "dev", "t" + i, store("dev", "t" + i)).join();
            if (i >= posts - capacity) {
                assertEquals(i + 1, m.seq(), "post " + i + " should be a repeat");
            } else {
                assertEquals(posts + (posts - capacity - i), m.seq(), "post " + i + " should be stored again");
                break; // storing it anew forgets the oldest kept: look no further
            }
        }
    }

    @Test
    void sipHashGivesTheReferenceVectors() {
        long k0 = 0x0706050403020100L; // the key 00 01 .. 0f, little-endian halves
        long k1 = 0x0f0e0d0c0b0a0908L;
        assertEquals(0x726fdb47dd0e0e31L, PostIds.sipHash24(k0, k1, new byte[0]));
        byte[] fifteen = new byte[15];
        for (int i = 0; i < fifteen.length; i++) {
            fifteen[i] = (byte) i;
        }
        assertEquals(0xa129ca6149be45e5L, PostIds.sipHash24(k0, k1, fifteen));
    }

    @Test
    void aCapacityWhoseTableCannotBeMadeIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PostIds(PostIds.MAX_CAPACITY + 1));
        assertEquals("capacity must be 1 to 268435456: 268435457", e.getMessage());
    }

    @Test
    void shortAndLongIdsAreToldApartExactly() {
        PostIds ids = new PostIds(100);
        // Packed ids (up to 18 characters) that share a start or differ only in length, and
        // ids too long to pack, each its own post.
        String[] all = {"a", "aa", "ab", "b", "abcdefghi", "abcdefghij", "abcdefghi.", "x".repeat(18),
                "x".repeat(17), "x".repeat(19), "x".repeat(64), "q8z.1", "q8z.2"};
        for (String id : all) {
            ids.once("kyle", id, "dev", id, store("dev", id)).join();
        }
        assertEquals(all.length, stored.get());
        for (int i = 0; i < all.length; i++) {
            ChatMessage again = ids.once("kyle", all[i], "dev", all[i], store("dev", all[i])).join();
            assertEquals(i + 1, again.seq(), all[i]);
        }
        assertEquals(all.length, stored.get(), "a repeat was stored");
    }
}
