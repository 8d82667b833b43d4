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
}
