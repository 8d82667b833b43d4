package org.parley.core;

import org.parley.core.internal.Names;
import org.parley.core.internal.PostIds;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-memory record of every message: one ring per channel, bounded in messages, and a
 * bound on the whole log's memory.
 *
 * <p>Three bounds keep a peer from exhausting memory however it posts:
 * <ul>
 *   <li>each channel keeps its newest {@code capacityPerChannel} messages;</li>
 *   <li>all channels together keep at most {@code maxBytes}, as estimated by {@link #cost}
 *       and {@link #channelCost}: past it, the oldest messages of all channels are forgotten
 *       first;</li>
 *   <li>at most {@code maxChannels} channels hold messages. A post to one more channel makes
 *       room the same way: the oldest messages of all channels are forgotten until one
 *       channel is empty. A post is never refused for want of a channel.</li>
 * </ul>
 * A channel left empty is forgotten. A forgotten message is simply absent from history.
 *
 * <p>Numbering never repeats within the log's life, even for a channel forgotten and posted
 * to again: each channel name hashes to one of {@value #FLOORS} floors, which remember the
 * highest {@code seq} of the forgotten channels of that hash, and a channel made afresh
 * counts on from its floor. A channel that is new, or forgotten, may so start above 1; its
 * numbers stay consecutive from there, and a subscriber never sees a {@code seq} twice.
 *
 * <p>History of {@value Names#ALL} reads an index of the newest
 * {@value HubOptions#MAX_HISTORY_LIMIT} messages of all channels, so its cost does not grow
 * with the number of channels.
 *
 * <p>It is the default {@link MessageStore}: appends complete at once, and the sink is called
 * on the appending thread while it holds the channel, so each channel's messages reach it in
 * {@code seq} order. Its epoch is random: a new log is a new numbering space.
 *
 * <p>Thread safety: safe from any thread. Appends to one channel are serialised by that
 * channel's lock; reads take the same lock briefly and copy what they return. Forgetting
 * messages of other channels, which a post may do, only ever tries their locks and passes
 * over a channel that is busy, so a sink that leads to a post cannot deadlock the log.
 */
final class MessageLog implements MessageStore {
    /** Floors of forgotten channels' numbering: a power of two. */
    static final int FLOORS = 1 << 14;
    /** Bytes a message is counted for besides its strings: the record, the instant, the entry. */
    static final int MESSAGE_OVERHEAD_BYTES = 128;
    /** Bytes a channel is counted for besides its ring's slots: its name, lock and map entry. */
    static final int CHANNEL_OVERHEAD_BYTES = 512;
    /**
     * Post ids remembered, so that a post sent again is recorded once (about 75 bytes each, in
     * arrays made as the ids come; an id of more than 18 characters adds its string, and a user
     * whose posts do not come in a run their name's):
     * enough for posts sent again within a 30 s post timeout at up to 6,000 posts a second.
     */
    static final int MAX_POST_IDS = 200_000;
    /** A channel's first ring; it doubles up to {@code capacityPerChannel} as the channel fills. */
    static final int FIRST_RING_CAPACITY = 8;
    private static final int ALL_INDEX_SIZE = Integer.highestOneBit(HubOptions.MAX_HISTORY_LIMIT - 1) << 1;

    private final int capacityPerChannel;
    private final int maxChannels;
    private final long maxBytes;
    private final ConcurrentHashMap<String, ChannelLog> channels = new ConcurrentHashMap<>();
    /** The highest seq of the forgotten channels whose name hashes here. Guarded by {@link #channels}. */
    private final long[] floors = new long[FLOORS];
    /** Arrival order across all channels, for the merged {@value Names#ALL} view and for forgetting. */
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    /** The newest messages of all channels, at {@code arrival % ALL_INDEX_SIZE}. */
    private final AtomicReferenceArray<Entry> newest = new AtomicReferenceArray<>(ALL_INDEX_SIZE);
    /** Held while forgetting, so one thread does it at a time; never while waiting for a channel. */
    private final ReentrantLock forgetting = new ReentrantLock();
    private final PostIds postIds = new PostIds(MAX_POST_IDS);
    // Random rather than a clock: two logs made in the same millisecond still differ.
    private final String epoch = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private volatile Sink sink = (message, origin) -> { };

    /** A log with {@link HubOptions#DEFAULT_MAX_LOG_BYTES}. */
    MessageLog(int capacityPerChannel, int maxChannels) {
        this(capacityPerChannel, maxChannels, HubOptions.DEFAULT_MAX_LOG_BYTES);
    }

    /** A log with the bounds of {@code options}: messages per channel, channels, bytes. */
    static MessageLog of(HubOptions options) {
        return new MessageLog(options.logCapacity(), options.maxChannels(), options.maxLogBytes());
    }

    MessageLog(int capacityPerChannel, int maxChannels, long maxBytes) {
        if (capacityPerChannel < 1) {
            throw new IllegalArgumentException("capacityPerChannel < 1: " + capacityPerChannel);
        }
        if (maxChannels < 1) {
            throw new IllegalArgumentException("maxChannels < 1: " + maxChannels);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
        }
        this.capacityPerChannel = capacityPerChannel;
        this.maxChannels = maxChannels;
        this.maxBytes = maxBytes;
    }

    /** The bytes a message is counted for: its text, author and channel as UTF-16, and {@value #MESSAGE_OVERHEAD_BYTES}. */
    static long cost(ChatMessage m) {
        return MESSAGE_OVERHEAD_BYTES + 2L * (m.text().length() + m.user().length() + m.channel().length());
    }

    /** The bytes a channel with a ring of {@code capacity} slots is counted for, besides its messages. */
    static long channelCost(int capacity) {
        return CHANNEL_OVERHEAD_BYTES + 8L * capacity;
    }

    @Override
    public void start(Sink sink) {
        this.sink = java.util.Objects.requireNonNull(sink, "sink");
    }

    @Override
    public String epoch() {
        return epoch;
    }

    /** Nothing to release: the messages go with the log. */
    @Override
    public void close() {
    }

    /** The names of the channels that have messages, sorted. */
    Set<String> channels() {
        TreeSet<String> names = new TreeSet<>();
        channels.forEach((name, log) -> {
            if (!log.retired) {
                names.add(name);
            }
        });
        return Collections.unmodifiableSet(names);
    }

    /** The estimated bytes of the messages and channels held now. */
    long bytes() {
        return bytes.get();
    }

    /** The newest sequence number given in {@code channel}, 0 if none (or, once forgotten, its floor). */
    @Override
    public long lastSeq(String channel) {
        ChannelLog log = live(channel);
        if (log == null) {
            synchronized (channels) {
                return floors[floor(channel)];
            }
        }
        log.lock.lock();
        try {
            return log.lastSeq;
        } finally {
            log.lock.unlock();
        }
    }

    /** Messages of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}. */
    @Override
    public HistoryPage after(String channel, long after, int limit) {
        requireLimit(limit);
        ChannelLog log = live(channel);
        if (log == null) {
            return new HistoryPage(channel, 0, lastSeq(channel), List.of());
        }
        log.lock.lock();
        try {
            return new HistoryPage(channel, log.firstSeq(), log.lastSeq, log.after(after, limit));
        } finally {
            log.lock.unlock();
        }
    }

    /** The newest {@code count} messages of {@code channel}, oldest first. */
    @Override
    public HistoryPage latest(String channel, int count) {
        requireLimit(count);
        ChannelLog log = live(channel);
        if (log == null) {
            return new HistoryPage(channel, 0, lastSeq(channel), List.of());
        }
        log.lock.lock();
        try {
            return new HistoryPage(channel, log.firstSeq(), log.lastSeq,
                    log.after(Math.max(log.lastSeq - count, 0), count));
        } finally {
            log.lock.unlock();
        }
    }

    /**
     * The newest {@code count} messages of all channels together (at most
     * {@value HubOptions#MAX_HISTORY_LIMIT}), in the order they arrived. Costs {@code count}
     * look-ups, however many channels there are.
     */
    @Override
    public HistoryPage latestOfAll(int count) {
        requireLimit(count);
        int wanted = Math.min(count, HubOptions.MAX_HISTORY_LIMIT);
        long last = arrivals.get();
        List<ChatMessage> messages = new ArrayList<>(wanted);
        for (long a = Math.max(1, last - wanted + 1); a <= last; a++) {
            Entry e = newest.get(slot(a));
            // A slot written by a later arrival, not yet by this one, or emptied when the log
            // forgot its message, is passed over.
            if (e != null && e.arrival == a) {
                messages.add(e.message);
            }
        }
        return new HistoryPage(Names.ALL, 0, 0, messages);
    }

    /**
     * Gives the next sequence number of {@code channel} to a new message, records it and hands
     * it to the sink under the channel's lock, so that each channel reaches the sink in
     * {@code seq} order; then forgets the oldest messages if the log is over its bytes.
     * Completes at once.
     */
    @Override
    public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
            String postId, Object origin) {
        return postIds.once(user, postId, channel, text, () -> append(channel, user, time, text, origin));
    }

    private CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
            Object origin) {
        ChatMessage message;
        while (true) {
            ChannelLog log = lockFor(channel);
            if (log == null) {
                forget(true); // every channel allowed holds messages: empty one
                continue;
            }
            log.lock.lock();
            try {
                if (log.retired) {
                    continue; // forgotten since we looked it up: the name now leads to a new ring
                }
                message = new ChatMessage(log.name, log.lastSeq + 1, user, time, text);
                long arrival = arrivals.incrementAndGet();
                Entry entry = new Entry(message, arrival);
                bytes.addAndGet(cost(message) + log.add(entry, this));
                newest.set(slot(arrival), entry);
                sink.stored(message, origin);
                break;
            } finally {
                log.lock.unlock();
            }
        }
        if (bytes.get() > maxBytes) {
            forget(false);
        }
        return CompletableFuture.completedFuture(message);
    }

    /** The ring of {@code channel} if it holds messages, or null. */
    private ChannelLog live(String channel) {
        ChannelLog log = channels.get(channel);
        return log == null || log.retired ? null : log;
    }

    /** The ring of {@code channel}, made if it is new; null if it is new and no channel is free. */
    private ChannelLog lockFor(String channel) {
        ChannelLog log = live(channel);
        if (log != null) {
            return log;
        }
        synchronized (channels) {
            log = channels.get(channel);
            if (log != null && !log.retired) {
                return log;
            }
            if (log != null) {
                bury(log);
            }
            if (channels.size() >= maxChannels) {
                return null;
            }
            int capacity = Math.min(FIRST_RING_CAPACITY, capacityPerChannel);
            log = new ChannelLog(channel, capacity, floors[floor(channel)]);
            channels.put(channel, log);
            bytes.addAndGet(channelCost(capacity));
            return log;
        }
    }

    /**
     * Forgets the oldest messages of all channels: until the log is a sixty-fourth under its
     * bytes, or, with {@code untilAChannelIsEmpty}, until some channel is empty. A channel
     * left empty is forgotten. Passes over channels whose lock is held (a post in progress).
     */
    private void forget(boolean untilAChannelIsEmpty) {
        forgetting.lock();
        try {
            if (untilAChannelIsEmpty ? channels.size() < maxChannels : bytes.get() <= maxBytes) {
                return; // another thread made room meanwhile
            }
            long target = maxBytes - maxBytes / 64;
            // Ordered by each channel's oldest arrival as it was when queued: posts go on meanwhile.
            PriorityQueue<ChannelLog> byOldest = new PriorityQueue<>(
                    (x, y) -> Long.compare(x.queuedArrival, y.queuedArrival));
            for (ChannelLog log : channels.values()) {
                if (log.lock.tryLock()) {
                    try {
                        if (!log.retired && log.size > 0) {
                            log.queuedArrival = log.oldestArrival();
                            byOldest.add(log);
                        }
                    } finally {
                        log.lock.unlock();
                    }
                }
            }
            List<ChannelLog> emptied = new ArrayList<>();
            ChannelLog log;
            while ((untilAChannelIsEmpty ? emptied.isEmpty() : bytes.get() > target)
                    && (log = byOldest.poll()) != null) {
                if (!log.lock.tryLock()) {
                    continue;
                }
                try {
                    if (log.retired || log.size == 0) {
                        continue;
                    }
                    forgetOldest(log);
                    if (log.size > 0) {
                        log.queuedArrival = log.oldestArrival();
                        byOldest.add(log);
                    } else {
                        log.retired = true; // written after its last seq, which bury() reads
                        bytes.addAndGet(-channelCost(log.capacity()));
                        emptied.add(log);
                    }
                } finally {
                    log.lock.unlock();
                }
            }
            if (!emptied.isEmpty()) {
                synchronized (channels) {
                    emptied.forEach(this::bury);
                }
            }
        } finally {
            forgetting.unlock();
        }
    }

    /** Forgets the oldest message of {@code log}, whose lock the caller holds. */
    private void forgetOldest(ChannelLog log) {
        Entry gone = log.removeOldest();
        bytes.addAndGet(-cost(gone.message));
        newest.compareAndSet(slot(gone.arrival), gone, null); // ALL no longer shows it, nor keeps it
    }

    /** Removes a retired channel, raising its floor to its last seq. Holds {@link #channels}. */
    private void bury(ChannelLog log) {
        if (channels.remove(log.name, log)) {
            int f = floor(log.name);
            floors[f] = Math.max(floors[f], log.lastSeq);
        }
    }

    private static int floor(String channel) {
        int h = channel.hashCode();
        return (h ^ (h >>> 16)) & (FLOORS - 1);
    }

    private static int slot(long arrival) {
        return (int) (arrival & (ALL_INDEX_SIZE - 1));
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit < 0: " + limit);
        }
    }

    /** A message and its place in the arrival order. */
    private record Entry(ChatMessage message, long arrival) {
    }

    /** One channel's ring. Guarded by {@link #lock}, but {@link #retired}. */
    private static final class ChannelLog {
        final String name;
        final ReentrantLock lock = new ReentrantLock();
        private Entry[] ring;
        /** Index of the oldest message held. */
        private int head;
        private int size;
        /** The newest seq given; read without the lock once {@link #retired} is seen. */
        long lastSeq;
        /** The oldest arrival when put in the forgetting queue (that thread's only). */
        long queuedArrival;
        /** Forgotten: a post that finds this must look the channel up again. */
        volatile boolean retired;

        ChannelLog(String name, int capacity, long lastSeq) {
            this.name = name;
            this.ring = new Entry[capacity];
            this.lastSeq = lastSeq;
        }

        int capacity() {
            return ring.length;
        }

        /** Adds an entry, growing the ring or forgetting its oldest; the change in counted bytes. */
        long add(Entry entry, MessageLog owner) {
            long change = 0;
            if (size == ring.length) {
                if (ring.length < owner.capacityPerChannel) {
                    int grown = (int) Math.min(owner.capacityPerChannel, 2L * ring.length);
                    Entry[] bigger = new Entry[grown];
                    for (int i = 0; i < size; i++) {
                        bigger[i] = ring[(head + i) % ring.length];
                    }
                    change += channelCost(grown) - channelCost(ring.length);
                    ring = bigger;
                    head = 0;
                } else {
                    owner.forgetOldest(this); // which counts the bytes it frees
                }
            }
            ring[(head + size) % ring.length] = entry;
            size++;
            lastSeq = entry.message.seq();
            return change;
        }

        Entry removeOldest() {
            Entry e = ring[head];
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
            return e;
        }

        long oldestArrival() {
            return size == 0 ? Long.MAX_VALUE : ring[head].arrival;
        }

        long firstSeq() {
            return size == 0 ? 0 : ring[head].message.seq();
        }

        List<ChatMessage> after(long after, int limit) {
            if (size == 0 || after >= lastSeq || limit == 0) {
                return List.of();
            }
            // Sequence numbers in the ring are consecutive, so the start is computed, not searched.
            long first = ring[head].message.seq();
            long start = Math.max(after + 1, first);
            int offset = (int) (start - first);
            int n = (int) Math.min(limit, size - offset);
            List<ChatMessage> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(ring[(head + offset + i) % ring.length].message);
            }
            return out;
        }
    }
}
