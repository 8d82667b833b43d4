package org.parley.store.redis;

import org.parley.core.internal.Completer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.HubOptions;
import org.parley.core.MessageStore;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A {@link MessageStore} shared by several servers through one Redis: each channel is numbered
 * once for all of them, every server delivers every server's posts to its subscribers in
 * {@code seq} order, and any server answers history.
 *
 * <pre>{@code
 * RedisStore store = RedisStore.builder(URI.create("redis://10.0.0.5:6379")).open();
 * try (ChatHub hub = ChatHub.create(HubOptions.defaults(), store);   // the hub closes the store
 *      ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder().hub(hub).build())) {
 *     ...
 * }
 * }</pre>
 *
 * <p>A post is one Lua script in Redis, which checks its id, takes the channel's next
 * {@code seq} ({@code HINCRBY}), appends it to the channel's stream ({@code XADD}, the newest
 * {@link Builder#keepPerChannel} kept) and publishes it to every server ({@code PUBLISH}); Redis
 * runs scripts one at a time, so numbers have no gap. Each server delivers what Redis published,
 * its own posts too, in {@code seq} order, and fills a gap (pub/sub is at most once) from the
 * stream. A post is acknowledged once the script has run and this server has delivered it (after
 * every earlier message of its channel), or {@value Delivery#ACK_WAIT_MILLIS} ms after the script
 * ran if delivery cannot go on (Redis away). See docs/SCALING.md.
 *
 * <p>The epoch is kept in Redis with the {@code run_id} of the Redis process it was made on: a
 * Redis that restarts has a new epoch, because it may have lost its newest writes (AOF with
 * {@code appendfsync everysec}) and would otherwise give a {@code seq} twice. Clients count
 * again from a new epoch, as after a server restart.
 *
 * <p>A post with an id is stored once while the id is kept ({@link Builder#keepPostIds}), so a
 * client that sends it again to another server gets the first one's {@code seq}. A post is tried
 * for {@value Writer#RETRY_MILLIS} ms while Redis cannot be reached, then fails.
 *
 * <p>Threads: {@code parley-redis-writer} (stores posts), {@code parley-redis-complete}
 * (completes their futures, so a callback chained on one never holds up the writer; it must not
 * wait for another post's future), {@code parley-redis-subscriber} (the pub/sub connection),
 * {@code parley-redis-delivery} (calls the sink). Reads run on the caller's thread, on up to
 * {@value Redis#READ_CONNECTIONS} connections of the store's own.
 *
 * <p>Thread safety: safe from any thread; the sink is called on {@code parley-redis-delivery}.
 */
public final class RedisStore implements MessageStore {
    /** Messages each channel's stream keeps, by default: its newest (about; Redis trims in steps). */
    public static final int DEFAULT_KEEP_PER_CHANNEL = 10_000;
    /** How long a post id is remembered, by default. */
    public static final Duration DEFAULT_KEEP_POST_IDS = Duration.ofMinutes(2);
    /** The prefix of every key, by default. */
    public static final String DEFAULT_PREFIX = "parley";
    /** How long {@link #close} waits for the threads. */
    private static final long CLOSE_MILLIS = 2_000;

    /** What the parts need of the options. */
    record Settings(int streamCap, int allCap, Duration keepPostIds) { }

    private final Redis redis;
    private final Writer writer;
    private final Delivery delivery;
    /** Completes the posts' futures ({@code parley-redis-complete}). */
    private final Completer completer = new Completer("parley-redis-complete");
    private final String nodeTag = Redis.newEpoch();
    private final AtomicLong tickets = new AtomicLong();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String epoch;

    private RedisStore(Redis redis, Settings settings, Jedis writerConnection, Redis.Epoch first,
            Map<String, Long> counters) {
        this.redis = redis;
        this.epoch = first.epoch();
        this.delivery = new Delivery(redis, nodeTag, first, counters, this::noteEpoch, completer);
        this.writer = new Writer(redis, settings, writerConnection, first, this::noteEpoch, delivery::forget,
                completer, delivery);
    }

    /** Options for a store in the Redis at {@code redis} ({@code redis://host:port}); {@link Builder#open()} connects. */
    public static Builder builder(URI redis) {
        return new Builder(redis);
    }

    /** The Redis this store uses. */
    public URI uri() {
        return redis.uri;
    }

    private void noteEpoch(Redis.Epoch e) {
        epoch = e.epoch();
    }

    @Override
    public void start(Sink sink) {
        Objects.requireNonNull(sink, "sink");
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("store already started");
        }
        completer.start();
        delivery.start(sink);
        writer.start();
    }

    /** Kept in Redis: shared by every server on it, new when Redis restarts. */
    @Override
    public String epoch() {
        return epoch;
    }

    /**
     * Queues the post for the writer; the future completes once Redis has stored it, or fails with
     * a {@link org.parley.core.ProtocolException} saying why it was not (Redis unreachable for
     * {@value Writer#RETRY_MILLIS} ms, too many posts waiting, the id used for another post).
     *
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
            String postId, Object origin) {
        String tag = nodeTag + "." + tickets.incrementAndGet();
        delivery.expect(tag, origin);
        return writer.submit(new Writer.Post(channel, user, time, text, postId, tag));
    }

    /** @throws UncheckedIOException if Redis cannot be read */
    @Override
    public HistoryPage after(String channel, long after, int limit) {
        requireLimit(limit);
        long from = Math.max(1, after + 1);
        if (after == Long.MAX_VALUE) {
            return new HistoryPage(channel, 0, lastSeq(channel), List.of());
        }
        return history(channel, "after", Long.toString(from), Integer.toString(limit), false);
    }

    /** @throws UncheckedIOException if Redis cannot be read */
    @Override
    public HistoryPage latest(String channel, int count) {
        requireLimit(count);
        return history(channel, "latest", Integer.toString(count), "0", true);
    }

    private HistoryPage history(String channel, String mode, String a, String b, boolean newestFirst) {
        String current = epoch;
        List<?> r = redis.read(j -> (List<?>) Redis.HISTORY.run(j, List.of(redis.seqKey, redis.streamKey(channel)),
                List.of(channel, mode, a, b)));
        List<?> entries = (List<?>) r.get(2);
        List<ChatMessage> messages = new ArrayList<>(Redis.parseEach(entries,
                e -> Redis.parseEntry(current, channel, e).message(), channel));
        if (newestFirst) {
            Collections.reverse(messages);
        }
        return new HistoryPage(channel, Redis.number(r.get(0)), Redis.number(r.get(1)), messages);
    }

    /**
     * The newest of all channels, from a stream that keeps the newest
     * {@value HubOptions#MAX_HISTORY_LIMIT} or so.
     *
     * @throws UncheckedIOException if Redis cannot be read
     */
    @Override
    public HistoryPage latestOfAll(int count) {
        requireLimit(count);
        List<ChatMessage> messages = new ArrayList<>();
        if (count > 0) {
            List<?> entries = redis.read(j -> (List<?>) j.sendCommand(Protocol.Command.XREVRANGE, redis.allKey, "+", "-",
                    "COUNT", Integer.toString(count)));
            messages.addAll(Redis.parseEach(entries, Redis::parseAllEntry, "ALL"));
            Collections.reverse(messages);
        }
        return new HistoryPage("ALL", 0, 0, messages);
    }

    /** @throws UncheckedIOException if Redis cannot be read */
    @Override
    public long lastSeq(String channel) {
        String s = redis.read(j -> j.hget(redis.seqKey, channel));
        return s == null ? 0 : Long.parseLong(s);
    }

    /**
     * Waits up to two seconds for the posts queued to be stored (two more while Redis is away,
     * then they fail), up to two each for the delivery's two threads and the thread that answers
     * posts to end, then closes the connections; a post stored after that is answered all the same.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.close(CLOSE_MILLIS);
        delivery.close(CLOSE_MILLIS);
        completer.stop();
        completer.join(CLOSE_MILLIS);
        redis.close();
    }

    /** Messages read from streams to fill gaps, for tests. */
    long repaired() {
        return delivery.repaired();
    }

    /** How many times the node subscribed (again), for tests. */
    long subscriptions() {
        return delivery.subscriptions();
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit < 0: " + limit);
        }
    }

    /**
     * Options of a {@link RedisStore}: the Redis, how much each channel keeps, how long post ids
     * are remembered, the prefix of its keys.
     *
     * <p>Thread safety: not safe for concurrent use; make one per thread.
     */
    public static final class Builder {
        private final URI uri;
        private int keepPerChannel = DEFAULT_KEEP_PER_CHANNEL;
        private Duration keepPostIds = DEFAULT_KEEP_POST_IDS;
        private String prefix = DEFAULT_PREFIX;

        private Builder(URI uri) {
            this.uri = Objects.requireNonNull(uri, "redis");
        }

        /** Each channel's stream keeps about its newest {@code count}; default {@value #DEFAULT_KEEP_PER_CHANNEL}. */
        public Builder keepPerChannel(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("keepPerChannel < 1: " + count);
            }
            this.keepPerChannel = count;
            return this;
        }

        /**
         * How long a post id is remembered, so that a post sent again within it is stored once;
         * default {@link #DEFAULT_KEEP_POST_IDS}, twice the longest a Parley client keeps resending
         * (60 s). Each id costs Redis about 200 bytes for that long: at 1,000 posts a second, 120,000
         * ids, about 24 MB.
         */
        public Builder keepPostIds(Duration age) {
            Objects.requireNonNull(age, "age");
            if (age.toMillis() < 1) {
                throw new IllegalArgumentException("keepPostIds must be at least 1 ms, not " + age);
            }
            this.keepPostIds = age;
            return this;
        }

        /**
         * The prefix of every key and of the pub/sub channel; default {@value #DEFAULT_PREFIX}.
         * Servers that share channels use the same; two sets of servers may share one Redis with two.
         */
        public Builder prefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (!prefix.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalArgumentException("prefix \"" + prefix
                        + "\" must be 1 to 64 letters, digits, _ . or -");
            }
            this.prefix = prefix;
            return this;
        }

        /**
         * Connects to Redis, learns its epoch (making one if Redis has none) and the counters
         * from which this server delivers.
         *
         * @throws IOException one line naming the Redis and what is wrong (not reachable, a
         *                     password refused, not Redis 6.2 or later)
         * @throws IllegalArgumentException if the address is not {@code redis://host:port}
         */
        public RedisStore open() throws IOException {
            Redis redis = new Redis(uri, prefix, "parley");
            Jedis j = null;
            try {
                j = redis.connect();
                requireVersion(j);
                Redis.Epoch e = redis.epoch(j);
                Map<String, Long> counters = redis.counters(j);
                return new RedisStore(redis, new Settings(keepPerChannel, HubOptions.MAX_HISTORY_LIMIT, keepPostIds),
                        j, e, counters);
            } catch (JedisException | IOException e) {
                if (j != null) {
                    j.close();
                }
                redis.close();
                throw new IOException("cannot use Redis at " + redis.address + ": " + reason(e), e);
            }
        }

        private static void requireVersion(Jedis j) throws IOException {
            for (String line : j.info("server").split("\r?\n")) {
                if (line.startsWith("redis_version:")) {
                    String[] v = line.substring("redis_version:".length()).trim().split("\\.");
                    int major = Integer.parseInt(v[0]);
                    int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
                    if (major < 6 || major == 6 && minor < 2) {
                        throw new IOException("Redis " + String.join(".", v) + " is too old: Parley needs 6.2 or later");
                    }
                }
            }
        }

        private static String reason(Exception e) {
            // Jedis wraps the socket's reason (Connection refused) as a cause, or, for a failed
            // connection, as a suppressed exception of one per address tried.
            Throwable t = e;
            while (t instanceof JedisException) {
                Throwable inner = t.getCause() != null ? t.getCause()
                        : t.getSuppressed().length > 0 ? t.getSuppressed()[0] : null;
                if (inner == null || inner == t) {
                    break;
                }
                t = inner;
            }
            String m = t.getMessage();
            return m == null ? t.getClass().getSimpleName() : m;
        }
    }
}
