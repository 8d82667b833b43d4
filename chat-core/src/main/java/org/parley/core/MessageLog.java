package org.parley.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The in-memory record of every message: one bounded ring per channel, and a bound on the
 * whole log's memory.
 *
 * <p>Three bounds keep a peer from exhausting memory however it posts:
 * <ul>
 *   <li>each channel keeps its newest {@code capacityPerChannel} messages;</li>
 *   <li>all channels together keep at most {@code maxBytes} of messages, as estimated by
 *       {@link #cost}: past it, the oldest messages of all channels are forgotten first;</li>
 *   <li>at most {@code maxChannels} channels hold messages. A post to one more channel makes
 *       the log forget the channel posted to least recently among those nobody listens to
 *       ({@code inUse} says which are listened to), so the limit cannot be used up for ever;
 *       only when every channel is in use is the post refused.</li>
 * </ul>
 * A forgotten message is simply absent from history. A forgotten channel keeps its newest
 * {@code seq} (in a small table of names, itself bounded at {@value #TOMBSTONES_PER_CHANNEL}
 * times {@code maxChannels}), so a later post to it goes on from there: a subscriber never
 * sees a {@code seq} given twice in one epoch.
 *
 * <p>History of {@value Names#ALL} reads an index of the newest
 * {@value HubOptions#MAX_HISTORY_LIMIT} messages of all channels, so its cost does not grow
 * with the number of channels.
 *
 * <p>Thread safety: safe from any thread. Appends to one channel are serialised by that
 * channel's lock; reads take the same lock briefly and copy what they return. No thread
 * holds two channels' locks at once.
 */
public final class MessageLog {
    /** Forgotten channels whose newest {@code seq} is kept, per channel allowed. */
    static final int TOMBSTONES_PER_CHANNEL = 64;
    /** Bytes a message is counted for besides its strings: the record, the instant, the slots. */
    static final int MESSAGE_OVERHEAD_BYTES = 128;
    private static final int ALL_INDEX_SIZE = Integer.highestOneBit(HubOptions.MAX_HISTORY_LIMIT - 1) << 1;

    private final int capacityPerChannel;
    private final int maxChannels;
    private final long maxBytes;
    private final Predicate<String> inUse;
    private final ConcurrentHashMap<String, ChannelLog> channels = new ConcurrentHashMap<>();
    /** Forgotten channels and their newest seq, oldest first. Guarded by {@link #channels}. */
    private final Map<String, Long> tombstones;
    /** Arrival order across all channels, for the merged {@value Names#ALL} view and for trimming. */
    private final AtomicLong arrivals = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    /** The newest messages of all channels, at {@code arrival % ALL_INDEX_SIZE}. */
    private final AtomicReferenceArray<Entry> newest = new AtomicReferenceArray<>(ALL_INDEX_SIZE);
    private final Object trimLock = new Object();

    /** A log whose channels are never in use: {@code maxBytes} of {@link HubOptions#DEFAULT_MAX_LOG_BYTES}. */
    public MessageLog(int capacityPerChannel, int maxChannels) {
        this(capacityPerChannel, maxChannels, HubOptions.DEFAULT_MAX_LOG_BYTES, channel -> false);
    }

    /**
     * @param inUse whether a channel has listeners; such a channel is not forgotten to make
     *              room for another. Called with no lock held but {@code channels}'.
     */
    public MessageLog(int capacityPerChannel, int maxChannels, long maxBytes, Predicate<String> inUse) {
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
        this.inUse = inUse;
        int maxTombstones = (int) Math.min(Integer.MAX_VALUE, (long) maxChannels * TOMBSTONES_PER_CHANNEL);
        this.tombstones = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > maxTombstones;
            }
        };
    }

    /** The bytes a message is counted for: its text, author and channel as UTF-16, and {@value #MESSAGE_OVERHEAD_BYTES}. */
    static long cost(ChatMessage m) {
        return MESSAGE_OVERHEAD_BYTES + 2L * (m.text().length() + m.user().length() + m.channel().length());
    }

    /** The names of the channels that have messages, sorted. */
    public Set<String> channels() {
        return Collections.unmodifiableSet(new TreeSet<>(channels.keySet()));
    }

    /** The estimated bytes of the messages held now. */
    public long bytes() {
        return bytes.get();
    }

    /** The newest sequence number given in {@code channel}, 0 if none. */
    public long lastSeq(String channel) {
        ChannelLog log = channels.get(channel);
        if (log == null) {
            synchronized (channels) {
                log = channels.get(channel);
                if (log == null) {
                    return tombstones.getOrDefault(channel, 0L);
                }
            }
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
            return new HistoryPage(channel, 0, lastSeq(channel), List.of());
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
            return new HistoryPage(channel, 0, lastSeq(channel), List.of());
        }
        synchronized (log) {
            return new HistoryPage(channel, log.firstSeq(), log.lastSeq,
                    log.after(Math.max(log.lastSeq - count, 0), count));
        }
    }

    /**
     * The newest {@code count} messages of all channels together (at most
     * {@value HubOptions#MAX_HISTORY_LIMIT}), in the order they arrived. Costs {@code count}
     * look-ups, however many channels there are.
     */
    public HistoryPage latestOfAll(int count) {
        requireLimit(count);
        int wanted = Math.min(count, HubOptions.MAX_HISTORY_LIMIT);
        long last = arrivals.get();
        List<ChatMessage> messages = new ArrayList<>(wanted);
        for (long a = Math.max(1, last - wanted + 1); a <= last; a++) {
            Entry e = newest.get((int) (a & (ALL_INDEX_SIZE - 1)));
            // A slot written by a later arrival, or not yet by this one, is skipped; so is a
            // message the log has forgotten since.
            if (e != null && e.arrival == a && isHeld(e.message)) {
                messages.add(e.message);
            }
        }
        return new HistoryPage(Names.ALL, 0, 0, messages);
    }

    private boolean isHeld(ChatMessage m) {
        ChannelLog log = channels.get(m.channel());
        if (log == null) {
            return false;
        }
        synchronized (log) {
            return !log.retired && m.seq() >= log.firstSeq() && m.seq() <= log.lastSeq && log.size > 0;
        }
    }

    /**
     * Gives the next sequence number of {@code channel} to a new message, records it and hands
     * it to {@code whileLocked} under the channel's lock, so that what it does for one channel
     * happens in {@code seq} order; then forgets the oldest messages if the log is over its
     * bytes.
     *
     * @throws ProtocolException if the channel is new and every channel allowed is in use
     */
    ChatMessage append(String channel, String user, Instant time, String text, Consumer<ChatMessage> whileLocked)
            throws ProtocolException {
        ChatMessage message;
        while (true) {
            ChannelLog log = lockFor(channel);
            synchronized (log) {
                if (log.retired) {
                    continue; // forgotten since we looked it up: the name now leads to a new ring
                }
                message = new ChatMessage(log.name, log.lastSeq + 1, user, time, text);
                long arrival = arrivals.incrementAndGet();
                ChatMessage dropped = log.add(message, arrival);
                bytes.addAndGet(cost(message) - (dropped == null ? 0 : cost(dropped)));
                newest.set((int) (arrival & (ALL_INDEX_SIZE - 1)), new Entry(message, arrival));
                whileLocked.accept(message);
                break;
            }
        }
        if (bytes.get() > maxBytes) {
            trim();
        }
        return message;
    }

    /** The ring of {@code channel}, made if it is new. */
    private ChannelLog lockFor(String channel) throws ProtocolException {
        ChannelLog log = channels.get(channel);
        if (log != null) {
            return log;
        }
        synchronized (channels) {
            log = channels.get(channel);
            if (log == null) {
                if (channels.size() >= maxChannels && !forgetOneIdle()) {
                    throw new ProtocolException("channel " + Names.quote(channel)
                            + " would exceed the limit of " + maxChannels + " channels, all in use");
                }
                Long seq = tombstones.remove(channel);
                log = new ChannelLog(channel, capacityPerChannel, seq == null ? 0 : seq);
                channels.put(channel, log);
            }
            return log;
        }
    }

    /** Forgets the channel posted to least recently that nobody listens to; whether there was one. Holds {@link #channels}. */
    private boolean forgetOneIdle() {
        ChannelLog victim = null;
        long oldest = Long.MAX_VALUE;
        for (ChannelLog log : channels.values()) {
            long latest;
            synchronized (log) {
                latest = log.latestArrival;
            }
            if (latest < oldest && !inUse.test(log.name)) {
                victim = log;
                oldest = latest;
            }
        }
        if (victim == null) {
            return false;
        }
        retire(victim);
        return true;
    }

    /** Forgets a channel, keeping its newest seq. Holds {@link #channels}. */
    private void retire(ChannelLog log) {
        synchronized (log) {
            if (log.retired) {
                return;
            }
            log.retired = true;
            bytes.addAndGet(-log.clear());
            channels.remove(log.name, log);
            tombstones.put(log.name, log.lastSeq);
        }
    }

    /**
     * Forgets the oldest messages of all channels until the log is an eighth under its bytes
     * (so one trim serves many posts), and the channels left empty.
     */
    private void trim() {
        synchronized (trimLock) {
            if (bytes.get() <= maxBytes) {
                return; // another thread trimmed meanwhile
            }
            long target = maxBytes - maxBytes / 8;
            PriorityQueue<long[]> heads = new PriorityQueue<>((x, y) -> Long.compare(x[0], y[0]));
            List<ChannelLog> logs = new ArrayList<>(channels.values());
            for (int i = 0; i < logs.size(); i++) {
                ChannelLog log = logs.get(i);
                synchronized (log) {
                    if (log.size > 0) {
                        heads.add(new long[] {log.oldestArrival(), i});
                    }
                }
            }
            List<ChannelLog> emptied = new ArrayList<>();
            long[] head;
            while (bytes.get() > target && (head = heads.poll()) != null) {
                ChannelLog log = logs.get((int) head[1]);
                synchronized (log) {
                    if (log.retired || log.size == 0) {
                        continue;
                    }
                    ChatMessage gone = log.removeOldest();
                    bytes.addAndGet(-cost(gone));
                    if (log.size > 0) {
                        heads.add(new long[] {log.oldestArrival(), head[1]});
                    } else {
                        emptied.add(log);
                    }
                }
            }
            if (!emptied.isEmpty()) {
                synchronized (channels) {
                    for (ChannelLog log : emptied) {
                        synchronized (log) {
                            if (log.size == 0) {
                                retire(log);
                            }
                        }
                    }
                }
            }
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
        long latestArrival;
        /** Forgotten: a post that finds this must look the channel up again. */
        boolean retired;

        ChannelLog(String name, int capacity, long lastSeq) {
            this.name = name;
            this.ring = new ChatMessage[capacity];
            this.arrival = new long[capacity];
            this.lastSeq = lastSeq;
        }

        /** Adds a message; the one it pushed out of a full ring, or null. */
        ChatMessage add(ChatMessage message, long arrivalIndex) {
            int slot = (head + size) % ring.length;
            ChatMessage dropped = null;
            if (size == ring.length) {
                dropped = ring[head];
                head = (head + 1) % ring.length;
            } else {
                size++;
            }
            ring[slot] = message;
            arrival[slot] = arrivalIndex;
            lastSeq = message.seq();
            latestArrival = arrivalIndex;
            return dropped;
        }

        ChatMessage removeOldest() {
            ChatMessage m = ring[head];
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
            return m;
        }

        /** Drops every message; the bytes they were counted for. */
        long clear() {
            long freed = 0;
            while (size > 0) {
                freed += cost(removeOldest());
            }
            return freed;
        }

        long oldestArrival() {
            return arrival[head];
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
    }
}
