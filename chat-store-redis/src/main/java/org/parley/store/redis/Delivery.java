package org.parley.store.redis;

import org.parley.core.internal.Completer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.parley.core.ChatMessage;
import org.parley.core.MessageStore;
import org.parley.core.internal.LogThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Hands the sink every message stored in Redis, by any node, each channel's in {@code seq}
 * order, each once.
 *
 * <p>Two threads. The subscriber ({@code parley-redis-subscriber}) holds the node's one pub/sub
 * connection and queues each publication (bounded: {@link #INBOX_CAPACITY}). The deliverer
 * ({@code parley-redis-delivery}) knows, per channel, the newest {@code seq} it delivered, and
 * for each publication:
 * <ul>
 * <li>at or below it: drops it (seen already, from the stream);</li>
 * <li>the next one: delivers it;</li>
 * <li>further ahead: reads the ones between from the channel's stream ({@code XRANGE}),
 *     delivers them, then it. Pub/sub is at most once: a gap means publications were lost.</li>
 * </ul>
 * Publications are lost only with the pub/sub connection (Redis drops a subscriber that falls
 * behind, the network breaks) or when the inbox is full. So whenever the subscriber
 * (re)subscribes, and when the inbox overflowed, the deliverer compares every channel's counter
 * with what it delivered and reads the difference from the streams; and once a second it does so
 * for the channels that had messages since the last look, so that the last message of a burst
 * is not left waiting for the next one. It also pings over the pub/sub connection every second,
 * and ends one that said nothing for {@value #SILENT_TICKS} seconds: a silent Redis is found out.
 *
 * <p>Under a new epoch (Redis restarted) it goes on, per channel, from what it delivered or the
 * counter the epoch was made with ({@code p:base}), whichever is lower: what Redis kept and this
 * node had not delivered yet is delivered, and a {@code seq} that Redis lost and gives again
 * under the new epoch is delivered again (clients told apart the two epochs).
 *
 * <p>Thread safety: {@link #start} and {@link #close} from any thread; the rest belongs to the
 * two threads named above, which share only the inbox.
 */
final class Delivery {
    private static final Logger log = LoggerFactory.getLogger(Delivery.class);
    /** Publications queued for the deliverer at most; past that they are dropped and read from the streams. */
    static final int INBOX_CAPACITY = 100_000;
    /** Messages read from a stream in one request. */
    static final int READ_STEP = 1_000;
    /** How often the deliverer looks at the counters of recently active channels, and pings. */
    static final long TICK_MILLIS = 1_000;
    /** Tags of own posts waiting to be delivered at most (their origins); older ones are forgotten. */
    static final int MAX_ORIGINS = 2 * Writer.QUEUE_CAPACITY + INBOX_CAPACITY;

    /** How long an own post waits to be delivered before it is acknowledged anyway (it is stored). */
    static final long ACK_WAIT_MILLIS = 5_000;

    /** Queued by the subscriber when it has subscribed: compare everything with the counters. */
    private static final String RESYNC = new String("resync");
    /** Queued when an acknowledgement waits: the deliverer looks at them. */
    private static final String WAKE = new String("wake");

    /** An own post's acknowledgement, due once its channel is delivered up to its seq. */
    private record Ack(String channel, long seq, Runnable answer, long deadline) { }

    private final Redis redis;
    private final String nodeTag;
    private final Consumer<Redis.Epoch> epochs;
    private final BlockingQueue<String> inbox = new ArrayBlockingQueue<>(INBOX_CAPACITY);
    /** Acknowledgements handed over by the writer; as many as posts in flight (bounded by the writer's queue). */
    private final java.util.Queue<Ack> acks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Completer completer;
    /** The inbox was full: something was dropped. */
    private final AtomicBoolean overflowed = new AtomicBoolean();
    /** Origins of this node's posts, by tag, until they are delivered. */
    private final Map<String, Object> origins = new ConcurrentHashMap<>();
    private final Thread subscriber;
    private final Thread deliverer;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final LogThrottle failureLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final AtomicLong repaired = new AtomicLong();
    private final AtomicLong subscriptions = new AtomicLong();
    private volatile MessageStore.Sink sink = (m, o) -> { };
    private final JedisPubSub pubsub = new JedisPubSub() {
        @Override
        public void onMessage(String channel, String message) {
            heard = System.nanoTime();
            if (!inbox.offer(message)) {
                overflowed.set(true);
            }
        }

        @Override
        public void onPong(String pattern) {
            heard = System.nanoTime();
        }

        @Override
        public void onSubscribe(String channel, int count) {
            heard = System.nanoTime();
            subscriptions.incrementAndGet();
            if (!inbox.offer(RESYNC)) {
                overflowed.set(true);
            }
        }
    };

    // ---- deliverer thread only
    /** Acknowledgements waiting for their channel's delivery, by channel and seq. */
    private final Map<String, java.util.TreeMap<Long, List<Runnable>>> waiting = new HashMap<>();
    /**
     * The same, by deadline, the oldest first. Released ones stay until their deadline: as many
     * as the posts of the last {@link #ACK_WAIT_MILLIS}.
     */
    private final java.util.ArrayDeque<Ack> byDeadline = new java.util.ArrayDeque<>();
    /** Answers released this round, handed to the completer together at its end. */
    private final List<Runnable> released = new java.util.ArrayList<>();
    private String epoch;
    /** The epoch before {@link #epoch}: its late publications are dropped without asking Redis. */
    private String oldEpoch;
    /** Per channel, the newest seq delivered (or known to be gone from the stream). */
    private final Map<String, Long> delivered = new HashMap<>();
    /** Channels that had messages since the last tick, or whose repair failed. */
    private Set<String> active = new HashSet<>();
    private boolean resyncDue;

    /** {@code start} is the epoch when the node started and the counters then: from there on it delivers. */
    Delivery(Redis redis, String nodeTag, Redis.Epoch start, Map<String, Long> counters, Consumer<Redis.Epoch> epochs,
            Completer completer) {
        this.redis = redis;
        this.completer = completer;
        this.nodeTag = nodeTag;
        this.epochs = epochs;
        this.epoch = start.epoch();
        this.delivered.putAll(counters);
        this.subscriber = new Thread(this::subscribe, "parley-redis-subscriber");
        this.deliverer = new Thread(this::deliver, "parley-redis-delivery");
        subscriber.setDaemon(true);
        deliverer.setDaemon(true);
    }

    void start(MessageStore.Sink sink) {
        this.sink = sink;
        deliverer.start();
        subscriber.start();
    }

    /** Notes the origin of an own post before it is sent, so that it is delivered with it. */
    void expect(String tag, Object origin) {
        if (origin == null) {
            return;
        }
        if (origins.size() >= MAX_ORIGINS) {
            // Posts whose messages never came back (a stream trimmed before a repair): forget the oldest half.
            long newest = ticket(tag);
            origins.keySet().removeIf(t -> ticket(t) < newest - MAX_ORIGINS / 2);
        }
        origins.put(tag, origin);
    }

    /**
     * Runs {@code answer} (on the completer) once this node has handed {@code channel} up to
     * {@code seq} to the sink, or after {@link #ACK_WAIT_MILLIS} if that does not come (Redis
     * away). Any thread.
     */
    void acknowledgeOnceDelivered(String channel, long seq, Runnable answer) {
        acks.add(new Ack(channel, seq, answer, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_WAIT_MILLIS)));
        inbox.offer(WAKE); // if the inbox is full the deliverer is busy, and looks at acks each round
        if (closed) {
            // A post the writer stored after this closed (its close ran out of time): stored,
            // so acknowledged, here, as close acknowledged the others.
            for (Ack a; (a = acks.poll()) != null; ) {
                a.answer().run();
            }
        }
    }

    /** Set by close before it takes the acknowledgements left: one handed over later is answered at once. */
    private volatile boolean closed;

    /** An own post that will not be delivered: failed, or a repeat. */
    void forget(String tag) {
        origins.remove(tag);
    }

    private static long ticket(String tag) {
        return Long.parseLong(tag.substring(tag.lastIndexOf('.') + 1));
    }

    /** Messages read from streams to fill gaps, for tests. */
    long repaired() {
        return repaired.get();
    }

    /** How many times the subscriber has subscribed, for tests. */
    long subscriptions() {
        return subscriptions.get();
    }

    void close(long millis) {
        stopping.countDown();
        try {
            pubsub.unsubscribe();
        } catch (RuntimeException e) {
            log.debug("unsubscribing failed: {}", e.getMessage()); // not subscribed, or the connection broke
        }
        // Wakes the deliverer from its wait for publications, and the subscriber from its wait
        // between attempts; the pub/sub read ends with the unsubscribe.
        deliverer.interrupt();
        subscriber.interrupt();
        try {
            deliverer.join(millis);
            subscriber.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Stored, so acknowledged, delivered or not: nothing is left waiting. (The deliverer has
        // ended, or never started: its state is this thread's now.)
        closed = true;
        List<Runnable> rest = new java.util.ArrayList<>();
        for (Ack a; (a = acks.poll()) != null; ) {
            rest.add(a.answer());
        }
        rest.addAll(0, released);
        released.clear();
        waiting.values().forEach(bySeq -> bySeq.values().forEach(rest::addAll));
        waiting.clear();
        byDeadline.clear();
        completer.submit(rest);
    }

    /**
     * When the pub/sub connection last said anything (a publication, a pong, a subscription):
     * Jedis reads a subscribed connection without a timeout, so the deliverer, which pings every
     * tick, ends a connection silent for {@value #SILENT_TICKS} ticks (a half-open one, a Redis
     * that stopped answering), and the subscriber subscribes again and repairs from the streams.
     */
    private volatile long heard = System.nanoTime();
    /** The subscriber's connection while it is subscribed, for the deliverer to end. */
    private volatile Jedis subscribed;
    static final int SILENT_TICKS = 3;

    // ---- subscriber thread

    private void subscribe() {
        long backoff = 50;
        while (stopping.getCount() > 0) {
            try (Jedis j = redis.connect()) {
                backoff = 50;
                heard = System.nanoTime();
                subscribed = j;
                j.subscribe(pubsub, redis.pubsub); // returns when unsubscribed; throws when the connection breaks
            } catch (JedisException e) {
                if (stopping.getCount() == 0) {
                    return;
                }
                long held = failureLog.admit();
                if (held >= 0) {
                    log.warn("the pub/sub connection to Redis at {} broke: {}; subscribing again ({} more not logged)",
                            redis.address, e.getMessage(), held);
                }
            }
            try {
                if (stopping.await(backoff, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(1_000, backoff * 2);
        }
    }

    // ---- deliverer thread

    private void deliver() {
        long nextTick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
        while (stopping.getCount() > 0) {
            try {
                long wait = nextTick - System.nanoTime();
                String s = wait > 0 ? inbox.poll(wait, TimeUnit.NANOSECONDS) : null;
                // First, and whatever fails below (Redis away): acknowledgements are never stuck.
                takeAcks();
                releaseOverdue();
                flushReleased();
                if (s == RESYNC || overflowed.getAndSet(false)) {
                    resyncDue = true;
                }
                if (s != null && s != RESYNC && s != WAKE) {
                    onPublication(s);
                }
                if (resyncDue) {
                    resync();
                }
                if (System.nanoTime() - nextTick >= 0) {
                    tick();
                    nextTick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
                }
                flushReleased();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                flushReleased();
                // Redis unreachable while repairing, most likely: try again at the next tick.
                resyncDue = true;
                long held = failureLog.admit();
                if (held >= 0) {
                    log.warn("delivering from Redis at {} failed: {}; trying again ({} more not logged)",
                            redis.address, e.getMessage(), held);
                }
                try {
                    if (stopping.await(TICK_MILLIS, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException again) {
                    return;
                }
                // The next tick after the wait: meanwhile the inbox is read, not only repairs tried.
                nextTick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
            }
        }
    }

    private void onPublication(String s) {
        Redis.Received r = Redis.parsePublication(s);
        if (r == null) {
            log.warn("ignored a publication that is not a Parley message: {}", s.length() > 80 ? s.substring(0, 80) : s);
            return;
        }
        if (r.epoch().equals(oldEpoch)) {
            return;
        }
        if (!r.epoch().equals(epoch)) {
            resync(); // a new epoch: Redis restarted
            if (!r.epoch().equals(epoch)) {
                return; // one of an older epoch, published before the restart: read from the stream if kept
            }
        }
        ChatMessage m = r.message();
        long last = delivered.getOrDefault(m.channel(), 0L);
        if (m.seq() <= last) {
            return;
        }
        if (m.seq() > last + 1) {
            catchUp(m.channel(), m.seq() - 1); // throws if Redis cannot be read: then the tick repairs it
        }
        active.add(m.channel());
        if (delivered.getOrDefault(m.channel(), 0L) == m.seq() - 1) {
            hand(r);
        }
    }

    /** Compares every channel's counter with what was delivered, under the epoch Redis is in now. */
    private void resync() {
        resyncDue = true;
        Map<String, Long> counters = redis.read(j -> {
            Redis.Epoch e = redis.epoch(j);
            if (!e.epoch().equals(epoch)) {
                log.info("Redis at {} is in a new epoch ({} -> {}): it restarted; delivering from there",
                        redis.address, epoch, e.epoch());
                oldEpoch = epoch;
                epoch = e.epoch();
                // What Redis kept of the old epoch and this node had not delivered yet is
                // delivered still; past what it kept, numbers are given again under the new one.
                Map<String, Long> from = new HashMap<>();
                for (Map.Entry<String, Long> b : e.base().entrySet()) {
                    long d = delivered.getOrDefault(b.getKey(), 0L);
                    if (d > 0) {
                        from.put(b.getKey(), Math.min(d, b.getValue()));
                    }
                }
                delivered.clear();
                delivered.putAll(from);
                epochs.accept(e);
            }
            return redis.counters(j);
        });
        for (Map.Entry<String, Long> c : counters.entrySet()) {
            if (c.getValue() > delivered.getOrDefault(c.getKey(), 0L)) {
                catchUp(c.getKey(), c.getValue());
            }
        }
        resyncDue = false;
    }

    /** Once a second: repairs the channels active since the last tick, and pings over pub/sub. */
    private void tick() {
        if (pubsub.isSubscribed()) {
            Jedis j = subscribed;
            if (j != null && System.nanoTime() - heard > TimeUnit.MILLISECONDS.toNanos(SILENT_TICKS * TICK_MILLIS)) {
                log.warn("the pub/sub connection to Redis at {} said nothing for {} s; subscribing again",
                        redis.address, SILENT_TICKS * TICK_MILLIS / 1000);
                heard = System.nanoTime();
                j.disconnect(); // the subscriber's read fails: it subscribes again, and repairs
            } else {
                try {
                    pubsub.ping();
                } catch (RuntimeException e) {
                    log.debug("ping over pub/sub failed: {}", e.getMessage()); // the subscriber sees the break
                }
            }
        }
        if (active.isEmpty()) {
            return;
        }
        Set<String> look = active;
        active = new HashSet<>();
        String[] channels = look.toArray(new String[0]);
        List<String> counters;
        try {
            counters = redis.read(j -> j.hmget(redis.seqKey, channels));
        } catch (RuntimeException e) {
            active.addAll(look);
            throw e;
        }
        for (int i = 0; i < channels.length; i++) {
            String c = counters.get(i);
            if (c != null && Long.parseLong(c) > delivered.getOrDefault(channels[i], 0L)) {
                catchUp(channels[i], Long.parseLong(c));
            }
        }
    }

    /** Delivers {@code channel}'s messages from the stream, up to {@code upTo}. */
    private void catchUp(String channel, long upTo) {
        while (stopping.getCount() > 0) {
            long last = delivered.getOrDefault(channel, 0L);
            if (last >= upTo) {
                return;
            }
            int step = (int) Math.min(READ_STEP, upTo - last);
            List<Redis.Received> got = redis.read(j -> redis.range(j, epoch, channel, last + 1, step));
            if (got.isEmpty() || got.get(0).message().seq() > last + 1) {
                long gone = got.isEmpty() ? upTo : got.get(0).message().seq() - 1;
                log.warn("{} #{}..{} are no longer in Redis (the stream keeps its newest messages): not delivered",
                        channel, last + 1, gone);
                delivered.put(channel, gone);
                release(channel);
                if (got.isEmpty()) {
                    return;
                }
            }
            for (Redis.Received r : got) {
                if (r.message().seq() > upTo) {
                    return;
                }
                repaired.incrementAndGet();
                hand(r);
            }
        }
    }

    private void hand(Redis.Received r) {
        ChatMessage m = r.message();
        delivered.put(m.channel(), m.seq());
        Object origin = r.tag().startsWith(nodeTag + '.') ? origins.remove(r.tag()) : null;
        try {
            sink.stored(m, origin);
        } catch (RuntimeException e) {
            log.warn("the sink failed on {} #{}", m.channel(), m.seq(), e);
        }
        release(m.channel());
    }

    // ---- acknowledgements, deliverer thread

    /** Files the acknowledgements the writer handed over; releases those delivered already. */
    private void takeAcks() {
        for (Ack a; (a = acks.poll()) != null; ) {
            waiting.computeIfAbsent(a.channel(), c -> new java.util.TreeMap<>())
                    .computeIfAbsent(a.seq(), q -> new java.util.ArrayList<>(1)).add(a.answer());
            byDeadline.add(a);
            release(a.channel());
        }
    }

    /** Acknowledges the posts of {@code channel} up to what is delivered. */
    private void release(String channel) {
        java.util.TreeMap<Long, List<Runnable>> bySeq = waiting.get(channel);
        if (bySeq == null) {
            return;
        }
        java.util.SortedMap<Long, List<Runnable>> due = bySeq.headMap(delivered.getOrDefault(channel, 0L), true);
        if (due.isEmpty()) {
            return;
        }
        due.values().forEach(released::addAll);
        due.clear();
        if (bySeq.isEmpty()) {
            waiting.remove(channel);
        }
    }

    /** Hands the answers released this round to the completer, in the order released. */
    private void flushReleased() {
        if (!released.isEmpty()) {
            completer.submit(new java.util.ArrayList<>(released));
            released.clear();
        }
    }

    /** Acknowledges the posts that waited {@link #ACK_WAIT_MILLIS} in vain: they are stored. */
    private void releaseOverdue() {
        long now = System.nanoTime();
        while (!byDeadline.isEmpty() && now - byDeadline.peek().deadline() >= 0) {
            Ack a = byDeadline.poll();
            java.util.TreeMap<Long, List<Runnable>> bySeq = waiting.get(a.channel());
            List<Runnable> atSeq = bySeq == null ? null : bySeq.get(a.seq());
            if (atSeq != null && atSeq.remove(a.answer())) {
                released.add(a.answer());
                if (atSeq.isEmpty()) {
                    bySeq.remove(a.seq());
                    if (bySeq.isEmpty()) {
                        waiting.remove(a.channel());
                    }
                }
            }
        }
    }
}
