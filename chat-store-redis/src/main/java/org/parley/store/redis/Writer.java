package org.parley.store.redis;

import org.parley.core.internal.Completer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.parley.core.ChatMessage;
import org.parley.core.ProtocolException;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PostIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The one thread that stores a node's posts: it takes the posts waiting (up to
 * {@link #BATCH_LIMIT}), sends one {@code post.lua} call for each in one pipeline on its own
 * connection, and passes each post's answer on: a post stored is acknowledged once the
 * {@link Delivery} has handed it to the sink, a post refused at once; either way its future is
 * completed by the {@link Completer} ({@code parley-redis-complete}). It does not hand posts to
 * the sink: every node, this one too, delivers what Redis published, in {@code seq} order.
 *
 * <p>Every post carries an id into the script: the client's, or else this node's tag of the
 * post. So a batch whose answers were lost (the connection broke) is sent again as it is, and
 * Redis stores each post once. A post is retried until {@link #RETRY_MILLIS} after it was
 * taken, then fails.
 *
 * <p>Each connection first asks Redis which epoch it is in (epoch.lua, with Redis's
 * {@code run_id}); the script refuses a post sent on behalf of an older Redis process.
 *
 * <p>Thread safety: {@link #submit} and {@link #close} from any thread; the connection and the
 * rest belong to the writer thread ({@code parley-redis-writer}).
 */
final class Writer {
    private static final Logger log = LoggerFactory.getLogger(Writer.class);
    /** Posts in one pipeline at most. */
    static final int BATCH_LIMIT = 500;
    /** Posts waiting at most; one more is refused at once. */
    static final int QUEUE_CAPACITY = 10_000;
    /** How long a post is tried while Redis cannot be reached, before it fails. */
    static final long RETRY_MILLIS = 10_000;
    /** The longest wait between two connection attempts. */
    private static final long MAX_BACKOFF_MILLIS = 1_000;

    /** One post on its way to Redis. */
    static final class Post {
        final String channel;
        final String user;
        final Instant time;
        final String text;
        final String postId;
        final String tag;
        final CompletableFuture<ChatMessage> future = new CompletableFuture<>();
        /** Its answer could not be read once already. Writer thread only. */
        boolean unreadable;

        Post(String channel, String user, Instant time, String text, String postId, String tag) {
            this.channel = channel;
            this.user = user;
            this.time = time;
            this.text = text;
            this.postId = postId;
            this.tag = tag;
        }
    }

    private static final Post STOP = new Post(null, null, null, null, null, null);

    private final Redis redis;
    private final RedisStore.Settings settings;
    private final Consumer<Redis.Epoch> epochs;
    /** Called with the tag of a post that will never be delivered (failed, or a repeat). */
    private final Consumer<String> undelivered;
    private final BlockingQueue<Post> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final LogThrottle failureLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final AtomicLong scripts = new AtomicLong();
    /** Completes the posts' futures, so that no callback chained on one runs on the writer. */
    private final Completer completer;
    /** Told of each post Redis stored (or had stored), to acknowledge once it is delivered. */
    private final Delivery delivery;
    /** Set under {@code this} with {@link #submit}: nothing is queued after the writer's last look. */
    private boolean closed;

    // ---- writer thread only
    private Jedis connection;
    private String runId;
    /** The answers of the batch being sent, handed to the completer when it is done. */
    private final List<Runnable> answers = new ArrayList<>();

    Writer(Redis redis, RedisStore.Settings settings, Jedis connection, Redis.Epoch epoch,
            Consumer<Redis.Epoch> epochs, Consumer<String> undelivered, Completer completer, Delivery delivery) {
        this.redis = redis;
        this.completer = completer;
        this.delivery = delivery;
        this.settings = settings;
        this.connection = connection;
        this.runId = epoch.runId();
        this.epochs = epochs;
        this.undelivered = undelivered;
        this.thread = new Thread(this::run, "parley-redis-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Script calls answered so far. */
    long scripts() {
        return scripts.get();
    }

    CompletableFuture<ChatMessage> submit(Post post) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            if (!queue.offer(post)) {
                undelivered.accept(post.tag);
                post.future.completeExceptionally(new ProtocolException("the store is busy: "
                        + QUEUE_CAPACITY + " posts wait to be sent to Redis; try again"));
            }
        }
        return post.future;
    }

    /** Stops taking posts and waits up to {@code millis} for those queued to be stored; the rest fail. */
    void close(long millis) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.offer(STOP);
        }
        if (!thread.isAlive()) {
            finish();
            return;
        }
        try {
            thread.join(Math.max(1, millis));
            if (thread.isAlive()) {
                stopping.countDown(); // stop retrying: Redis is away, and the store closes
                thread.join(millis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    private void run() {
        try {
            while (!(isClosed() && queue.isEmpty())) {
                Post first = queue.take();
                if (first == STOP) {
                    continue;
                }
                List<Post> batch = new ArrayList<>(Math.min(BATCH_LIMIT, queue.size() + 1));
                batch.add(first);
                queue.drainTo(batch, BATCH_LIMIT - 1);
                batch.removeIf(p -> p == STOP);
                try {
                    store(batch);
                } finally {
                    handOver();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("the Redis writer failed; posts are refused from now on", e);
        } finally {
            finish();
        }
    }

    private void finish() {
        synchronized (this) {
            closed = true;
        }
        for (Post p; (p = queue.poll()) != null; ) {
            if (p != STOP) {
                fail(p, "the store is closed: the post was not stored");
            }
        }
        handOver();
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }

    /** Hands the answers gathered so far to the completer, in order. */
    private void handOver() {
        if (!answers.isEmpty()) {
            completer.submit(new ArrayList<>(answers));
            answers.clear();
        }
    }

    /** Sends the batch until every post of it is answered, or its time is up. */
    private void store(List<Post> batch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
        long backoff = 50;
        List<Post> open = batch;
        String lastProblem = null;
        while (true) {
            try {
                if (connection == null) {
                    connect();
                }
                open = send(open);
                handOver(); // those answered go now, whatever becomes of the others
                if (open.isEmpty()) {
                    return;
                }
                lastProblem = "Redis restarted";
            } catch (JedisException e) {
                // The connection broke, or Redis cannot serve yet (LOADING after a restart, a
                // password refused): a new connection, after a pause, until the post's time is up.
                lastProblem = e.getMessage();
                dropConnection(e);
            }
            if (System.nanoTime() - deadline > 0 || stopping.getCount() == 0) {
                for (Post p : open) {
                    fail(p, "the store cannot reach Redis at " + redis.address + " (" + lastProblem
                            + "): the post was not stored");
                }
                return;
            }
            if (connection == null && stopping.await(backoff, TimeUnit.MILLISECONDS)) {
                continue; // closing: one more try, then the deadline test above fails them
            }
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    private void connect() {
        Jedis j = redis.connect();
        try {
            Redis.Epoch e = redis.epoch(j);
            runId = e.runId();
            epochs.accept(e);
        } catch (RuntimeException e) {
            j.close();
            throw e;
        }
        connection = j;
    }

    private void dropConnection(Exception why) {
        long held = failureLog.admit();
        if (held >= 0) {
            log.warn("lost Redis at {}: {}; posts wait while it reconnects ({} more not logged)",
                    redis.address, why.getMessage(), held);
        }
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }

    /** One pipeline of the batch; returns the posts to send again (Redis restarted, or lost the script). */
    private List<Post> send(List<Post> batch) {
        List<Response<Object>> answers = new ArrayList<>(batch.size());
        Pipeline p = connection.pipelined();
        for (Post post : batch) {
            String idKey = post.postId != null ? redis.idKey(post.user, post.postId) : redis.idKey("~", post.tag);
            // An id of the node's own only has to outlive this post's retries.
            long keepIdMillis = post.postId != null ? settings.keepPostIds().toMillis() : 2 * RETRY_MILLIS;
            answers.add(p.evalsha(Redis.POST.sha,
                    List.of(redis.epochKey, redis.seqKey, redis.streamKey(post.channel), redis.allKey, idKey),
                    List.of(runId, post.channel, post.user, Long.toString(post.time.toEpochMilli()), post.text,
                            post.tag, Integer.toString(settings.streamCap()), Integer.toString(settings.allCap()),
                            Long.toString(keepIdMillis), redis.pubsub)));
        }
        p.sync();
        List<Post> again = new ArrayList<>();
        boolean reload = false;
        boolean stale = false;
        for (int i = 0; i < batch.size(); i++) {
            Post post = batch.get(i);
            try {
                answer(post, (List<?>) answers.get(i).get());
                scripts.incrementAndGet();
            } catch (JedisNoScriptException e) {
                reload = true;
                again.add(post);
            } catch (JedisDataException e) {
                if (e.getMessage() != null && e.getMessage().contains("PARLEY_STALE")) {
                    stale = true;
                    again.add(post);
                } else {
                    long held = failureLog.admit();
                    if (held >= 0) {
                        log.warn("Redis refused a post to {}: {} ({} more not logged)", post.channel, e.getMessage(), held);
                    }
                    fail(post, "Redis refused the post (" + e.getMessage() + "): it was not stored");
                }
            } catch (JedisException e) {
                throw e; // the connection's failure: store() handles it
            } catch (RuntimeException e) {
                // An answer that is not post.lua's (a key of ours that something else wrote, a
                // Redis that is not one). Sent again once: the script is idempotent by post id,
                // so a post it did store comes back as a repeat. Twice unreadable, the post is
                // refused, and the posts queued behind it wait no longer.
                long held = failureLog.admit();
                if (held >= 0) {
                    log.warn("Redis gave an answer to a post to {} that the store cannot read: {} ({} more not logged)",
                            post.channel, e, held);
                }
                if (post.unreadable) {
                    fail(post, "Redis at " + redis.address + " gave answers the store cannot read (" + e
                            + "): the post was not stored");
                } else {
                    post.unreadable = true;
                    again.add(post);
                }
            }
        }
        if (reload) {
            connection.scriptLoad(Redis.POST.source);
        }
        if (stale) {
            Redis.Epoch e = redis.epoch(connection);
            runId = e.runId();
            epochs.accept(e);
        }
        return again;
    }

    /** Completes a post with the script's answer: stored now, a repeat, or an id used for another post. */
    private void answer(Post post, List<?> r) {
        long kind = Redis.number(r.get(0));
        if (kind == 2) {
            undelivered.accept(post.tag);
            ProtocolException reused = PostIds.reused(post.postId);
            answers.add(() -> post.future.completeExceptionally(reused));
            return;
        }
        long seq = Redis.number(r.get(1));
        Instant time = kind == 0 ? Instant.ofEpochMilli(Redis.number(r.get(2))) : post.time;
        if (kind == 0 && !post.tag.equals(Redis.text(r.get(3)))) {
            // A repeat of a post stored before: that one is delivered, this one never is. (The
            // same tag is this very post, stored by an attempt whose answer was lost.)
            undelivered.accept(post.tag);
        }
        ChatMessage stored = new ChatMessage(post.channel, seq, post.user, time, post.text);
        // Acknowledged once this node has handed the channel up to this seq to the hub, as a
        // store that delivers before it acknowledges: a transport that publishes a post when it
        // is acknowledged then never publishes it before an earlier one of another node.
        delivery.acknowledgeOnceDelivered(post.channel, seq, () -> post.future.complete(stored));
    }

    /** Fails {@code p} with {@code why}: on the completer, after the answers before it. */
    private void fail(Post p, String why) {
        undelivered.accept(p.tag);
        ProtocolException e = new ProtocolException(why);
        answers.add(() -> p.future.completeExceptionally(e));
    }
}
