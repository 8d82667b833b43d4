package org.parley.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory record of every message: one bounded ring per channel.
 *
 * <p>Each channel keeps its newest {@code capacityPerChannel} messages; older ones are
 * forgotten, and history requests simply no longer return them. The number of channels is
 * bounded too, so a peer that posts to ever new channel names cannot exhaust memory.
 *
 * <p>Thread safety: safe from any thread. Appends to one channel are serialised by that
 * channel's lock; reads take the same lock briefly and copy what they return.
 */
public final class MessageLog {
    private final int capacityPerChannel;
    private final int maxChannels;
    private final ConcurrentHashMap<String, ChannelLog> channels = new ConcurrentHashMap<>();
    /** Arrival order across all channels, for the merged {@value Names#ALL} view. */
    private final AtomicLong arrivals = new AtomicLong();

    public MessageLog(int capacityPerChannel, int maxChannels) {
        if (capacityPerChannel < 1) {
            throw new IllegalArgumentException("capacityPerChannel < 1: " + capacityPerChannel);
        }
        if (maxChannels < 1) {
            throw new IllegalArgumentException("maxChannels < 1: " + maxChannels);
        }
        this.capacityPerChannel = capacityPerChannel;
        this.maxChannels = maxChannels;
    }

    /** The names of the channels that have messages, sorted. */
    public Set<String> channels() {
        return Collections.unmodifiableSet(new TreeSet<>(channels.keySet()));
    }

    /** The newest sequence number given in {@code channel}, 0 if none. */
    public long lastSeq(String channel) {
        ChannelLog log = channels.get(channel);
        if (log == null) {
            return 0;
        }
        synchronized (log) {
            return log.lastSeq;
        }
    }

    /** Messages of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}. */
    public HistoryPage after(String channel, long after, int limit) {
        requireLimit(limit);
        ChannelLog log = channels.get(channel);
        if (log == null) {
            return new HistoryPage(channel, 0, 0, List.of());
        }
        synchronized (log) {
            return new HistoryPage(channel, log.firstSeq(), log.lastSeq, log.after(after, limit));
        }
    }

    /** The newest {@code count} messages of {@code channel}, oldest first. */
    public HistoryPage latest(String channel, int count) {
        requireLimit(count);
        ChannelLog log = channels.get(channel);
        if (log == null) {
            return new HistoryPage(channel, 0, 0, List.of());
        }
        synchronized (log) {
            return new HistoryPage(channel, log.firstSeq(), log.lastSeq,
                    log.after(Math.max(log.lastSeq - count, 0), count));
        }
    }

    /** The newest {@code count} messages of all channels together, in the order they arrived. */
    public HistoryPage latestOfAll(int count) {
        requireLimit(count);
        List<Entry> merged = new ArrayList<>();
        for (ChannelLog log : channels.values()) {
            synchronized (log) {
                log.newestEntries(count, merged);
            }
        }
        merged.sort(Comparator.comparingLong(Entry::arrival));
        List<Entry> newest = merged.subList(Math.max(merged.size() - count, 0), merged.size());
        List<ChatMessage> messages = new ArrayList<>(newest.size());
        for (Entry e : newest) {
            messages.add(e.message());
        }
        return new HistoryPage(Names.ALL, 0, 0, messages);
    }

    /**
     * Gives the next sequence number of {@code channel} to a new message and records it.
     * The caller holds {@link #lockFor(String)} of that channel.
     */
    ChatMessage append(ChannelLog log, String user, Instant time, String text) {
        ChatMessage message = new ChatMessage(log.name, log.lastSeq + 1, user, time, text);
        log.add(message, arrivals.incrementAndGet());
        return message;
    }

    /** The lock object of {@code channel}, creating the channel if it is new. */
    ChannelLog lockFor(String channel) throws ProtocolException {
        ChannelLog log = channels.get(channel);
        if (log != null) {
            return log;
        }
        synchronized (channels) {
            log = channels.get(channel);
            if (log == null) {
                if (channels.size() >= maxChannels) {
                    throw new ProtocolException("channel " + Names.quote(channel)
                            + " would exceed the limit of " + maxChannels + " channels");
                }
                log = new ChannelLog(channel, capacityPerChannel);
                channels.put(channel, log);
            }
            return log;
        }
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit < 0: " + limit);
        }
    }

    private record Entry(ChatMessage message, long arrival) {
    }

    /** One channel's ring. Guarded by itself. */
    static final class ChannelLog {
        final String name;
        private final ChatMessage[] ring;
        private final long[] arrival;
        /** Index of the oldest message held. */
        private int head;
        private int size;
        long lastSeq;

        ChannelLog(String name, int capacity) {
            this.name = name;
            this.ring = new ChatMessage[capacity];
            this.arrival = new long[capacity];
        }

        void add(ChatMessage message, long arrivalIndex) {
            int slot = (head + size) % ring.length;
            if (size == ring.length) {
                head = (head + 1) % ring.length;
            } else {
                size++;
            }
            ring[slot] = message;
            arrival[slot] = arrivalIndex;
            lastSeq = message.seq();
        }

        long firstSeq() {
            return size == 0 ? 0 : ring[head].seq();
        }

        List<ChatMessage> after(long after, int limit) {
            if (size == 0 || after >= lastSeq || limit == 0) {
                return List.of();
            }
            // Sequence numbers in the ring are consecutive, so the start is computed, not searched.
            long first = ring[head].seq();
            long start = Math.max(after + 1, first);
            int offset = (int) (start - first);
            int n = (int) Math.min(limit, size - offset);
            List<ChatMessage> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(ring[(head + offset + i) % ring.length]);
            }
            return out;
        }

        void newestEntries(int count, List<Entry> into) {
            int n = Math.min(count, size);
            for (int i = size - n; i < size; i++) {
                int slot = (head + i) % ring.length;
                into.add(new Entry(ring[slot], arrival[slot]));
            }
        }
    }
}
