package org.parley.core.internal;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
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
 * its text's length and hash, not its text; a repeat comes within a client's post timeout
 * (30 s by default), so ids are kept long enough while fewer than {@code capacity} posts come
 * in that time. A repeat whose channel or text differs from the first post's is a client's
 * mistake, refused by name.
 *
 * <p>The kept ids live in arrays made once (a ring in arrival order, and a table that finds
 * them by a keyed hash, SipHash-2-4 under a random key, so that no poster can choose ids that
 * pile up in one place), not in objects per post: with a map of entries that every post adds
 * to and the oldest leaves, each young collection copied the newest entries and later
 * collected them from the old generation (a map of 1,000 ids instead of 200,000 cut Parley
 * ZeroMQ's CPU per delivery by about a quarter in quick benchmark runs, docs/BENCHMARKS.md).
 * No object stays per post: an id of up to 18 characters is kept as two longs (a longer one as
 * its string), and a user's string once per run of that user's posts. A post its store has not finished waits in a small
 * map, so that a repeat that comes meanwhile gets the first post's outcome.
 *
 * <p>Thread safety: safe from any thread; one lock guards the tables, never held while a post is
 * stored.
 */
public final class PostIds {
    /** A post being stored: its user and id. */
    private record Key(String user, String id) {
    }

    /** A first post's outcome as a repeat needs it. */
    private record Stored(String channel, long seq, Instant time, int textHash, int textLength) {
        static Stored of(ChatMessage m) {
            return new Stored(m.channel(), m.seq(), m.time(), m.text().hashCode(), m.text().length());
        }

        CompletableFuture<ChatMessage> repeat(String user, String id, String channel, String text) {
            return this.channel.equals(channel) && textLength == text.length() && textHash == text.hashCode()
                    ? CompletableFuture.completedFuture(new ChatMessage(this.channel, seq, user, time, text))
                    : CompletableFuture.failedFuture(reused(id));
        }
    }

    private final long k0;
    private final long k1;
    private final int capacity;
    /** Posts whose store has not finished: a repeat waits for the first. Guarded by this. */
    private final Map<Key, CompletableFuture<Stored>> storing = new HashMap<>();
    // The kept posts, a ring in arrival order, grown by doubling up to capacity slots; all
    // guarded by this.
    private String[] users = new String[0];
    /** An id that does not fit in {@link #idHighs} and {@link #idLows}; null when it does. */
    private String[] ids = new String[0];
    private long[] idHighs = new long[0];
    private long[] idLows = new long[0];
    private String[] channels = new String[0];
    private long[] seqs = new long[0];
    private long[] seconds = new long[0];
    private int[] nanos = new int[0];
    private int[] textHashes = new int[0];
    private int[] textLengths = new int[0];
    private long[] hashes = new long[0];
    private int next; // the slot the next post takes, the oldest once all are taken
    private int count;
    /**
     * Linear probing by hash: the low half of a kept post's hash over its ring slot + 1, or 0 for
     * none; its size is a power of two, at least twice the ring's. A probe compares the half in
     * the table and reads the ring only on a match: one cache line for most lookups of a large
     * table, where reading each probed slot's hash from the ring cost a miss each (a fifth of the
     * ZeroMQ server's thread time per post with ids, against the same posts without).
     */
    private long[] table = new long[0];
    /** The most ids that may be kept: the table's size must stay an int. */
    static final int MAX_CAPACITY = 1 << 28;

    public PostIds(int capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be 1 to " + MAX_CAPACITY + ": " + capacity);
        }
        SecureRandom random = new SecureRandom();
        this.k0 = random.nextLong();
        this.k1 = random.nextLong();
        this.capacity = capacity;
        resize(Math.min(capacity, 64)); // a hub that never sees an id costs little
    }

    /** Makes the ring {@code slots} long (at least the ids kept) and indexes them anew. */
    private void resize(int slots) {
        users = Arrays.copyOf(users, slots);
        ids = Arrays.copyOf(ids, slots);
        idHighs = Arrays.copyOf(idHighs, slots);
        idLows = Arrays.copyOf(idLows, slots);
        channels = Arrays.copyOf(channels, slots);
        seqs = Arrays.copyOf(seqs, slots);
        seconds = Arrays.copyOf(seconds, slots);
        nanos = Arrays.copyOf(nanos, slots);
        textHashes = Arrays.copyOf(textHashes, slots);
        textLengths = Arrays.copyOf(textLengths, slots);
        hashes = Arrays.copyOf(hashes, slots);
        table = new long[Integer.highestOneBit(Math.max(2, slots) * 2 - 1) * 2];
        for (int slot = 0; slot < count; slot++) {
            index(slot);
        }
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
        long hash = hash(user, id);
        Key key = new Key(user, id);
        CompletableFuture<Stored> mine = new CompletableFuture<>();
        CompletableFuture<Stored> first;
        synchronized (this) {
            int slot = find(hash, user, id);
            if (slot >= 0) {
                Stored kept = new Stored(channels[slot], seqs[slot], Instant.ofEpochSecond(seconds[slot], nanos[slot]),
                        textHashes[slot], textLengths[slot]);
                return kept.repeat(user, id, channel, text);
            }
            first = storing.putIfAbsent(key, mine);
        }
        if (first != null) {
            return first.thenCompose(m -> m.repeat(user, id, channel, text));
        }
        CompletableFuture<ChatMessage> stored;
        try {
            stored = Objects.requireNonNull(store.get(), "store gave no future");
        } catch (RuntimeException e) {
            done(key, mine, hash, null);
            mine.completeExceptionally(e);
            throw e;
        }
        stored.whenComplete((m, failure) -> {
            done(key, mine, hash, failure == null ? m : null);
            if (failure != null) {
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

    /** The post {@code key} is no longer being stored; {@code m} is kept, unless null (it failed). */
    private synchronized void done(Key key, CompletableFuture<Stored> mine, long hash, ChatMessage m) {
        storing.remove(key, mine);
        if (m != null) {
            keep(hash, key.user(), key.id(), m);
        }
    }

    /** The ring slot of the id {@code id} of {@code user}, or -1. */
    private int find(long hash, String user, String id) {
        int mask = table.length - 1;
        long e;
        for (int i = (int) hash & mask; (e = table[i]) != 0; i = (i + 1) & mask) {
            if ((int) (e >>> 32) == (int) hash) {
                int slot = (int) e - 1;
                if (hashes[slot] == hash && sameId(slot, id) && users[slot].equals(user)) {
                    return slot;
                }
            }
        }
        return -1;
    }

    /** A table entry: the low half of {@code hash} over {@code slot + 1}. */
    private static long entry(long hash, int slot) {
        return (long) (int) hash << 32 | (slot + 1);
    }

    /** Keeps a stored post in the next slot, forgetting the oldest when all are taken. */
    private void keep(long hash, String user, String id, ChatMessage m) {
        if (count == capacity) {
            unindex(next);
        } else {
            if (count == users.length) {
                resize((int) Math.min(capacity, 2L * count)); // until then, the ring has not wrapped: next == count
            }
            count++;
        }
        int slot = next;
        next = (next + 1) % capacity;
        int previous = (slot + capacity - 1) % capacity;
        // A user's posts come in runs: one string for the run, not one per post.
        users[slot] = count > 1 && user.equals(users[previous]) ? users[previous] : user;
        boolean packed = packs(id);
        ids[slot] = packed ? null : id;
        idHighs[slot] = packed ? packed(id, 0) : 0;
        idLows[slot] = packed ? packed(id, PACKED_PER_LONG) : 0;
        channels[slot] = m.channel();
        seqs[slot] = m.seq();
        seconds[slot] = m.time().getEpochSecond();
        nanos[slot] = m.time().getNano();
        textHashes[slot] = m.text().hashCode();
        textLengths[slot] = m.text().length();
        hashes[slot] = hash;
        index(slot);
    }

    /** Characters of an id packed in one long, 7 bits each. */
    private static final int PACKED_PER_LONG = 9;

    /**
     * Whether {@code id} is kept in two longs, not as a string: up to 18 characters, each ASCII
     * and not NUL (the protocol's ids are letters, digits and {@code _ - .}; Parley's ZeroMQ
     * client's are up to 18 characters for its first 1,679,615 posts, its TCP client's for
     * about its first 10,000). Without a zero digit, the base-128 numbers of the first nine characters
     * and of the rest tell every such id apart.
     */
    private static boolean packs(String id) {
        if (id.length() > 2 * PACKED_PER_LONG) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == 0 || c > 127) {
                return false;
            }
        }
        return true;
    }

    /** The characters of {@code id} from {@code from}, nine at most, as a base-128 number. */
    private static long packed(String id, int from) {
        long w = 0;
        for (int i = from; i < Math.min(id.length(), from + PACKED_PER_LONG); i++) {
            w = w << 7 | id.charAt(i);
        }
        return w;
    }

    private boolean sameId(int slot, String id) {
        return ids[slot] != null ? ids[slot].equals(id)
                : packs(id) && idHighs[slot] == packed(id, 0) && idLows[slot] == packed(id, PACKED_PER_LONG);
    }

    /** Enters ring slot {@code slot} in the table. */
    private void index(int slot) {
        int mask = table.length - 1;
        int i = (int) hashes[slot] & mask;
        while (table[i] != 0) {
            i = (i + 1) & mask;
        }
        table[i] = entry(hashes[slot], slot);
    }

    /**
     * Takes ring slot {@code slot} out of the table, moving back the entries after it that
     * probing would no longer reach (deletion without tombstones in linear probing).
     */
    private void unindex(int slot) {
        int mask = table.length - 1;
        int i = (int) hashes[slot] & mask;
        long gone = entry(hashes[slot], slot);
        while (table[i] != gone) {
            i = (i + 1) & mask;
        }
        table[i] = 0;
        for (int j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
            int home = (int) (table[j] >>> 32) & mask; // the low half of its hash: its home
            // The entry at j may fill the hole at i if its home is not in (i, j], cyclically.
            boolean reachable = i <= j ? home > i && home <= j : home > i || home <= j;
            if (!reachable) {
                table[i] = table[j];
                table[j] = 0;
                i = j;
            }
        }
    }

    /** SipHash-2-4 under this table's key of {@code user}, a NUL and {@code id}, as UTF-16LE bytes. */
    private long hash(String user, String id) {
        byte[] b = new byte[2 * (user.length() + 1 + id.length())];
        int p = 0;
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            b[p++] = (byte) c;
            b[p++] = (byte) (c >>> 8);
        }
        p += 2; // the NUL: no name or id has one
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            b[p++] = (byte) c;
            b[p++] = (byte) (c >>> 8);
        }
        return sipHash24(k0, k1, b);
    }

    /** SipHash-2-4 (Aumasson and Bernstein) of {@code m} under the key {@code k0, k1} (little-endian halves). */
    static long sipHash24(long k0, long k1, byte[] m) {
        long[] v = {k0 ^ 0x736f6d6570736575L, k1 ^ 0x646f72616e646f6dL, k0 ^ 0x6c7967656e657261L,
                k1 ^ 0x7465646279746573L};
        int whole = m.length & ~7;
        for (int i = 0; i < whole; i += 8) {
            long w = 0;
            for (int k = 7; k >= 0; k--) {
                w = (w << 8) | (m[i + k] & 0xffL);
            }
            compress(v, w, 2);
        }
        long last = (m.length & 0xffL) << 56;
        for (int k = m.length - 1; k >= whole; k--) {
            last |= (m[k] & 0xffL) << (8 * (k - whole));
        }
        compress(v, last, 2);
        v[2] ^= 0xff;
        compress(v, 0, 4);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    /** Takes in the word {@code w} with {@code rounds} SipRounds (4 and 0 for the finish). */
    private static void compress(long[] v, long w, int rounds) {
        long v0 = v[0];
        long v1 = v[1];
        long v2 = v[2];
        long v3 = v[3] ^ w;
        for (int r = 0; r < rounds; r++) {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
        }
        v[0] = v0 ^ w;
        v[1] = v1;
        v[2] = v2;
        v[3] = v3;
    }
}
