package org.parley.core;

/**
 * What a {@link ChatHub} has stored, to read: {@link ChatHub#log()}. Reading only: a message
 * gets into the store through the hub, which checks it first.
 *
 * <p>Thread safety: safe from any thread.
 */
public interface MessageHistory {
    /** Messages of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}. */
    HistoryPage after(String channel, long after, int limit);

    /** The newest {@code count} messages of {@code channel}, oldest first. */
    HistoryPage latest(String channel, int count);

    /** The newest {@code count} messages of all channels together, in the order they were stored. */
    HistoryPage latestOfAll(int count);

    /** The newest {@code seq} given in {@code channel}, 0 if none. */
    long lastSeq(String channel);
}
