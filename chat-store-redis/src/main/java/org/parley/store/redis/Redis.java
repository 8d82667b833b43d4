package org.parley.store.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.parley.core.ChatMessage;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * What the store's parts share about one Redis: where it is, the names of the keys, the Lua
 * scripts, how a message is written into a stream entry or a publication, and a small bounded
 * set of connections for reads.
 *
 * <p>Keys, with the prefix {@code p} ({@code parley} by default):
 * <ul>
 * <li>{@code p:epoch}: a hash, {@code e} the epoch and {@code r} the run_id of the Redis process
 *     it was made on;</li>
 * <li>{@code p:seq}: a hash, channel to its newest {@code seq};</li>
 * <li>{@code p:base}: a hash, channel to its {@code seq} when the epoch was made;</li>
 * <li>{@code p:s:<channel>}: the channel's stream, entry ids {@code <seq>-0}, fields {@code u}
 *     user, {@code t} time (ms), {@code o} the posting node's tag, {@code x} text;</li>
 * <li>{@code p:all}: the newest messages of all channels, in the order they were stored;</li>
 * <li>{@code p:id:<post id>:<user>}: a post id seen, kept for a while;</li>
 * <li>the pub/sub channel {@code p:messages}, which every node subscribes to.</li>
 * </ul>
 *
 * <p>Thread safety: safe from any thread; {@link #read} lends each caller a connection of its own.
 */
final class Redis implements AutoCloseable {
    /** Read connections at most; a reader waits for one when all are lent. */
    static final int READ_CONNECTIONS = 4;
    /** How long a connection attempt may take. */
    static final int CONNECT_MILLIS = 2_000;
    /** How long a command may wait for Redis's answer. */
    static final int ANSWER_MILLIS = 5_000;

    static final Script POST = Script.load("post.lua");
    static final Script EPOCH = Script.load("epoch.lua");
    static final Script HISTORY = Script.load("history.lua");

    private static final SecureRandom RANDOM = new SecureRandom();

    final URI uri;
    final HostAndPort address;
    private final JedisClientConfig config;
    final String epochKey;
    final String seqKey;
    final String baseKey;
    final String allKey;
    final String pubsub;
    private final String streamPrefix;
    private final String idPrefix;

    private final BlockingQueue<Jedis> idle = new ArrayBlockingQueue<>(READ_CONNECTIONS);
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    Redis(URI uri, String prefix, String clientName) {
        this.uri = uri;
        if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
            throw new IllegalArgumentException("not a Redis address (redis://host:port): " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("no host in " + uri + " (redis://host:port)");
        }
        this.address = new HostAndPort(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort());
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(CONNECT_MILLIS)
                .socketTimeoutMillis(ANSWER_MILLIS)
                .clientName(clientName)
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED) // CLIENT SETINFO is Redis 7.2's
                .ssl("rediss".equals(uri.getScheme()));
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            String user = colon < 0 ? "" : decode(userInfo.substring(0, colon));
            String password = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
            if (!user.isEmpty()) {
                b.user(user);
            }
            b.password(password);
        }
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                b.database(Integer.parseInt(path.substring(1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the path of " + uri + " is not a database number");
            }
        }
        // Pub/sub connections too: the deliverer pings over them every second, so that a read
        // waiting ANSWER_MILLIS without anything means Redis is gone.
        this.config = b.build();
        this.epochKey = prefix + ":epoch";
        this.seqKey = prefix + ":seq";
        this.baseKey = prefix + ":base";
        this.allKey = prefix + ":all";
        this.pubsub = prefix + ":messages";
        this.streamPrefix = prefix + ":s:";
        this.idPrefix = prefix + ":id:";
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    String streamKey(String channel) {
        return streamPrefix + channel;
    }

    /** Ids are letters, digits, {@code _ - .}: no colon, so id and user cannot run into each other. */
    String idKey(String user, String postId) {
        return idPrefix + postId + ":" + user;
    }

    /** A new connection, for a thread that keeps it (the writer, the subscriber). */
    Jedis connect() {
        Jedis j = new Jedis(address, config);
        try {
            j.ping(); // Jedis connects lazily: fail here, with Redis's reason
            return j;
        } catch (JedisException e) {
            j.close();
            throw e;
        }
    }

    /**
     * Runs {@code work} on a read connection, lent to this caller alone; a connection that broke
     * is dropped. Waits up to {@link #ANSWER_MILLIS} for a connection when all are lent.
     *
     * @throws UncheckedIOException saying that Redis could not be read
     */
    <T> T read(Function<Jedis, T> work) {
        Jedis j = lend();
        boolean broken = false;
        try {
            return work.apply(j);
        } catch (JedisConnectionException e) {
            broken = true;
            throw new UncheckedIOException(new IOException("cannot read Redis at " + address + ": "
                    + e.getMessage(), e));
        } finally {
            giveBack(j, broken);
        }
    }

    private Jedis lend() {
        if (closed) {
            throw new IllegalStateException("store is closed");
        }
        Jedis j = idle.poll();
        if (j != null) {
            return j;
        }
        if (open.incrementAndGet() <= READ_CONNECTIONS) {
            try {
                return connect();
            } catch (JedisException e) {
                open.decrementAndGet();
                throw new UncheckedIOException(new IOException("cannot reach Redis at " + address + ": "
                        + e.getMessage(), e));
            }
        }
        open.decrementAndGet();
        try {
            j = idle.poll(ANSWER_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read Redis", e);
        }
        if (j == null) {
            throw new UncheckedIOException(new IOException("no connection to Redis at " + address + " free within "
                    + ANSWER_MILLIS + " ms"));
        }
        return j;
    }

    private void giveBack(Jedis j, boolean broken) {
        if (broken || closed || !idle.offer(j)) {
            open.decrementAndGet();
            j.close();
        }
        if (closed) {
            drain();
        }
    }

    private void drain() {
        for (Jedis j; (j = idle.poll()) != null; ) {
            open.decrementAndGet();
            j.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        drain();
    }

    // ---- epochs

    /** A new epoch: 12 characters of base 36, random. */
    static String newEpoch() {
        StringBuilder s = new StringBuilder(12);
        for (int i = 0; i < 12; i++) {
            s.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return s.toString();
    }

    /** This Redis process's run_id, new each time Redis starts. */
    static String runId(Jedis j) {
        String info = j.info("server");
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("run_id:")) {
                return line.substring("run_id:".length()).trim();
            }
        }
        throw new JedisException("Redis did not say its run_id");
    }

    /** The epoch of this Redis and the base it started from; see epoch.lua. */
    record Epoch(String epoch, String runId, Map<String, Long> base) { }

    /** Asks which epoch this Redis is in, making a new one if Redis restarted since it was made. */
    Epoch epoch(Jedis j) {
        String runId = runId(j);
        List<?> r = (List<?>) EPOCH.run(j, List.of(epochKey, seqKey, baseKey), List.of(runId, newEpoch()));
        return new Epoch(text(r.get(0)), runId, counters((List<?>) r.get(1)));
    }

    /** A flat list channel, seq, ... as a map. */
    static Map<String, Long> counters(List<?> flat) {
        Map<String, Long> m = new HashMap<>(flat.size());
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            m.put(text(flat.get(i)), number(flat.get(i + 1)));
        }
        return m;
    }

    /** Every channel's newest seq. */
    Map<String, Long> counters(Jedis j) {
        return toLongs(j.hgetAll(seqKey));
    }

    static Map<String, Long> toLongs(Map<String, String> m) {
        Map<String, Long> out = new HashMap<>(m.size());
        m.forEach((k, v) -> out.put(k, Long.parseLong(v)));
        return out;
    }

    // ---- what a message looks like in Redis

    static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    static long number(Object o) {
        return o instanceof Long l ? l : Long.parseLong(text(o));
    }

    /** A message as a node receives it: from a publication or a stream, with the posting node's tag. */
    record Received(String epoch, ChatMessage message, String tag) { }

    /**
     * A publication: {@code epoch \n channel \n seq \n user \n time \n tag \n text} (names and
     * tags have no line break; the text, last, may). Null if it is not one.
     */
    static Received parsePublication(String s) {
        String[] p = s.split("\n", 7);
        if (p.length != 7) {
            return null;
        }
        try {
            ChatMessage m = new ChatMessage(p[1], Long.parseLong(p[2]), p[3], Instant.ofEpochMilli(Long.parseLong(p[4])),
                    p[6]);
            return new Received(p[0], m, p[5]);
        } catch (IllegalArgumentException e) { // NumberFormatException too
            return null;
        }
    }

    /** A stream entry, as XRANGE gives it: {@code [id, [field, value, ...]]}. */
    static Received parseEntry(String epoch, String channel, Object entry) {
        List<?> e = (List<?>) entry;
        String id = text(e.get(0));
        long seq = Long.parseLong(id.substring(0, id.indexOf('-')));
        List<?> fields = (List<?>) e.get(1);
        String user = null;
        String time = null;
        String tag = "";
        String text = null;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String value = text(fields.get(i + 1));
            switch (text(fields.get(i))) {
                case "u" -> user = value;
                case "t" -> time = value;
                case "o" -> tag = value;
                case "x" -> text = value;
                default -> { } // a field of a later version
            }
        }
        return new Received(epoch, new ChatMessage(channel, seq, user, Instant.ofEpochMilli(Long.parseLong(time)), text),
                tag);
    }

    /** An entry of the stream of all channels: fields {@code c s u t x}. */
    static ChatMessage parseAllEntry(Object entry) {
        List<?> fields = (List<?>) ((List<?>) entry).get(1);
        Map<String, String> f = new HashMap<>();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            f.put(text(fields.get(i)), text(fields.get(i + 1)));
        }
        return new ChatMessage(f.get("c"), Long.parseLong(f.get("s")), f.get("u"),
                Instant.ofEpochMilli(Long.parseLong(f.get("t"))), f.get("x"));
    }

    /** Messages of {@code channel} with seq from {@code from}, at most {@code limit}, oldest first. */
    List<Received> range(Jedis j, String epoch, String channel, long from, int limit) {
        List<?> entries = (List<?>) j.sendCommand(redis.clients.jedis.Protocol.Command.XRANGE,
                streamKey(channel), from + "-0", "+", "COUNT", Integer.toString(limit));
        return parseEach(entries, e -> parseEntry(epoch, channel, e), channel);
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Redis.class);
    private static final org.parley.core.internal.LogThrottle malformedLog =
            new org.parley.core.internal.LogThrottle(10, TimeUnit.SECONDS);

    /**
     * Each entry of a stream, parsed; one that is not a message as Parley writes them (a field
     * missing, a number that is not one: something else wrote into the key) is left out and
     * logged, at most a line an interval: one bad entry must not stop a channel, nor a node's
     * delivery of every channel, for good. A stream read then shows its seq as gone.
     */
    static <T> List<T> parseEach(List<?> entries, Function<Object, T> parse, String stream) {
        List<T> out = new ArrayList<>(entries.size());
        for (Object e : entries) {
            try {
                out.add(parse.apply(e));
            } catch (RuntimeException bad) {
                long held = malformedLog.admit();
                if (held >= 0) {
                    log.warn("an entry of the stream of {} that is not a message was left out: {} ({} more not logged)",
                            stream, bad.toString(), held);
                }
            }
        }
        return out;
    }

    /**
     * A Lua script, run by its SHA-1 ({@code EVALSHA}), loaded again when Redis does not know it
     * ({@code NOSCRIPT}: a restarted Redis, or {@code SCRIPT FLUSH}).
     *
     * <p>Thread safety: immutable.
     */
    static final class Script {
        final String source;
        final String sha;

        private Script(String source, String sha) {
            this.source = source;
            this.sha = sha;
        }

        static Script load(String name) {
            try (InputStream in = Redis.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("the script " + name + " is missing from the jar");
                }
                String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return new Script(source, sha1(source));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String sha1(String source) {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
                StringBuilder s = new StringBuilder(40);
                for (byte b : d) {
                    s.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
                }
                return s.toString();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Runs the script on {@code j}, loading it first if Redis does not have it. */
        Object run(Jedis j, List<String> keys, List<String> args) {
            try {
                return j.evalsha(sha, keys, args);
            } catch (JedisNoScriptException e) {
                j.scriptLoad(source);
                return j.evalsha(sha, keys, args);
            }
        }
    }
}
