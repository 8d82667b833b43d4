package org.parley.core.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.parley.core.ChatMessage;
import org.parley.core.ProtocolException;

/**
 * The ids of a store's newest posts, so that a post sent again (a client that did not see its
 * acknowledgement retries) is recorded once: the repeat gets the first post's message.
 *
 * <p>An id belongs to its user: two users may use the same one. The newest {@code capacity}
 * ids are kept, oldest forgotten first, each with the first post's channel, seq and time and
 * its text's length and hash (about 150 bytes), not its text; a repeat comes within a client's
 * post timeout (30 s by default), so ids are kept long enough while fewer than {@code capacity}
 * posts come in that time. A repeat whose channel or text differs from the first post's is a
 * client's mistake, refused by name.
 *
 * <p>Thread safety: safe from any thread; one lock guards the table, never held while a post is
 * stored.
 */
public final class PostIds {
    /** What is kept of a post: enough to answer a repeat, whose own text completes the message. */
    private record Stored(String channel, long seq, java.time.Instant time, int textHash, int textLength) {
        static Stored of(ChatMessage m) {
            return new Stored(m.channel(), m.seq(), m.time(), m.text().hashCode(), m.text().length());
        }

        boolean sameAs(String channel, String text) {
            return this.channel.equals(channel) && textLength == text.length() && textHash == text.hashCode();
        }
    }

    /** A post's id and its user: a record, not a joined string, so no text is copied per post. */
    private record Key(String user, String id) {
    }

    private final Map<Key, CompletableFuture<Stored>> ids;

    public PostIds(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity < 1: " + capacity);
        }
        this.ids = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<Stored>> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * The stored message of the post {@code id} of {@code user}: the first post's, if the id was
     * seen, else what {@code store} stores. A first post that failed is forgotten, so that a
     * retry may store it. {@code id == null} stores without looking.
     */
    public CompletableFuture<ChatMessage> once(String user, String id, String channel, String text,
            Supplier<CompletableFuture<ChatMessage>> store) {
        if (id == null) {
            return store.get();
        }
        Key key = new Key(user, id);
        CompletableFuture<Stored> mine = new CompletableFuture<>();
        CompletableFuture<Stored> first;
        synchronized (ids) {
            first = ids.putIfAbsent(key, mine);
        }
        if (first != null) {
            return first.thenCompose(m -> m.sameAs(channel, text)
                    ? CompletableFuture.completedFuture(new ChatMessage(m.channel(), m.seq(), user, m.time(), text))
                    : CompletableFuture.failedFuture(reused(id)));
        }
        CompletableFuture<ChatMessage> stored;
        try {
            stored = Objects.requireNonNull(store.get(), "store gave no future");
        } catch (RuntimeException e) {
            forget(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
        if (stored.isDone() && !stored.isCompletedExceptionally()) {
            mine.complete(Stored.of(stored.join())); // the in-memory store: no callback to chain
            return stored;
        }
        stored.whenComplete((m, failure) -> {
            if (failure != null) {
                forget(key, mine);
                mine.completeExceptionally(failure);
            } else {
                mine.complete(Stored.of(m));
            }
        });
        return stored;
    }

    /** What a repeat of post {@code id} with another channel or text gets, from any store. */
    public static ProtocolException reused(String id) {
        return new ProtocolException("post id " + Names.quote(id)
                + " was used before for another post; each post needs an id of its own");
    }

    private void forget(Key key, CompletableFuture<Stored> mine) {
        synchronized (ids) {
            ids.remove(key, mine);
        }
    }
}
