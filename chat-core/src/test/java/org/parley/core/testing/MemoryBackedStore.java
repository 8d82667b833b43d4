package org.parley.core.testing;

import org.parley.core.HistoryPage;
import org.parley.core.HubOptions;
import org.parley.core.MessageStore;

/**
 * A test store that keeps its messages in the in-memory store and reads from it, for tests of
 * stores that append their own way (later, on another thread, or not at all).
 *
 * <p>Thread safety: as {@link MessageStore#inMemory}; a subclass's {@link #append} says its own.
 */
public abstract class MemoryBackedStore implements MessageStore {
    /** Where the messages are kept; a subclass appends to it when it has "stored" one. */
    protected final MessageStore log = MessageStore.inMemory(HubOptions.defaults());

    @Override
    public void start(Sink sink) {
        log.start(sink);
    }

    @Override
    public HistoryPage after(String channel, long after, int limit) {
        return log.after(channel, after, limit);
    }

    @Override
    public HistoryPage latest(String channel, int count) {
        return log.latest(channel, count);
    }

    @Override
    public HistoryPage latestOfAll(int count) {
        return log.latestOfAll(count);
    }

    @Override
    public long lastSeq(String channel) {
        return log.lastSeq(channel);
    }
}
