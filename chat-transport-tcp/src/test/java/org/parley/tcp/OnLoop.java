package org.parley.tcp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Asks a selector loop something that only its own thread may look at. */
final class OnLoop {
    private OnLoop() {
    }

    /** What {@code query} returns on {@code loop}'s thread; fails after five seconds. */
    static <T> T ask(NioLoop loop, Supplier<T> query) throws Exception {
        CompletableFuture<T> answer = new CompletableFuture<>();
        assertTrue(loop.execute(() -> answer.complete(query.get())), "the loop has stopped");
        return answer.get(5, TimeUnit.SECONDS);
    }
}
