package org.parley.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatMessage;
import org.parley.core.MessageStore;
import org.parley.core.ProtocolException;
import org.parley.core.internal.ChatTime;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PostIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes a store: it takes the posts waiting (up to {@link #BATCH_LIMIT}),
 * numbers them, inserts them in one transaction, commits, and only then hands them to the sink
 * and completes their futures. So one commit (one {@code fsync} with {@code synchronous=FULL})
 * serves every post that arrived while the one before was being written: commits are grouped
 * exactly as much as posts outrun them.
 *
 * <p>A batch that cannot be committed (a full disk, an I/O error) fails every post in it with
 * the reason; nothing of it was stored, none of it is ever delivered, and the numbering is read
 * again from the file, so the next posts take the numbers the failed ones had.
 *
 * <p>Retention: the oldest messages past the bounds are deleted a few hundred at a time, in the
 * transaction of a batch (so posting costs no extra commit) or, when no post waits, in one of
 * their own.
 *
 * <p>Thread safety: {@link #submit} and {@link #close} from any thread; everything else, the
 * connection included, belongs to the writer thread ({@code parley-sqlite-writer-<file>}).
 */
final class Writer {
    private static final Logger log = LoggerFactory.getLogger(Writer.class);
    /** Posts in one transaction at most. */
    static final int BATCH_LIMIT = 1_000;
    /** Posts waiting to be written at most; one more is refused at once. */
    static final int QUEUE_CAPACITY = 10_000;
    /** Rows retention deletes in one transaction at most, besides twice the batch's posts. */
    static final int TRIM_STEP = 500;
    /** Channels whose newest seq is cached; others are read from the file when posted to. */
    static final int CACHED_CHANNELS = 65_536;
    /** How long the writer waits for a post before doing retention on its own. */
    private static final long IDLE_MILLIS = 1_000;

    /** One post on its way to the file. */
    private static final class Post {
        final String channel;
        final String user;
        final Instant time;
        final String text;
        final String postId;
        final Object origin;
        final CompletableFuture<ChatMessage> future = new CompletableFuture<>();
        /** The same post sent again within this batch: answered with this one. */
        List<Post> repeats;
        ChatMessage message;

        Post(String channel, String user, Instant time, String text, String postId, Object origin) {
            this.channel = channel;
            this.user = user;
            this.time = time;
            this.text = text;
            this.postId = postId;
            this.origin = origin;
        }

        String key() {
            return user + '\0' + postId;
        }
    }

    /** Wakes the writer when the store closes. */
    private static final Post STOP = new Post(null, null, null, null, null, null);

    private final Path file;
    private final Connection c;
    private final FileChannel lockFile;
    private final int keepPerChannel;
    private final Duration keepFor;
    private final BlockingQueue<Post> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private final AtomicLong commits = new AtomicLong();
    private final LogThrottle failureLog = new LogThrottle(10, TimeUnit.SECONDS);
    private volatile MessageStore.Sink sink = (message, origin) -> { };
    /** Held by the writer while it writes, and by {@link #pragma}: one user of the connection at a time. */
    private final Object writing = new Object();
    /** Set under {@code this} with {@link #submit}: no post is queued after the writer's last look. */
    private boolean closed;

    // ---- writer thread only
    private final PreparedStatement insert;
    private final PreparedStatement findPost;
    private final PreparedStatement readLastSeq;
    private final PreparedStatement writeLastSeq;
    private final PreparedStatement trimChannel;
    private final PreparedStatement trimAge;
    private final PreparedStatement oldestStored;
    /** The newest seq of recently posted channels, as committed. */
    private final Map<String, Long> lastSeqs = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > CACHED_CHANNELS;
        }
    };
    /** The newest arrival number stored. */
    private long lastArrival;
    /** Channels that may hold more than {@link #keepPerChannel} messages. */
    private final Set<String> overfull = new LinkedHashSet<>();
    private long nextAgeCheck;

    Writer(Path file, Connection c, FileChannel lockFile, int keepPerChannel, Duration keepFor) throws SQLException {
        this.file = file;
        this.c = c;
        this.lockFile = lockFile;
        this.keepPerChannel = keepPerChannel;
        this.keepFor = keepFor;
        insert = c.prepareStatement("INSERT INTO message (channel, seq, user, time, text, post_id, arrival, stored)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        findPost = c.prepareStatement("SELECT channel, seq, time, text FROM message WHERE user = ? AND post_id = ?");
        readLastSeq = c.prepareStatement("SELECT last_seq FROM channel WHERE name = ?");
        writeLastSeq = c.prepareStatement("INSERT INTO channel (name, last_seq) VALUES (?, ?)"
                + " ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq");
        trimChannel = c.prepareStatement("DELETE FROM message WHERE channel = ?1 AND seq IN"
                + " (SELECT seq FROM message WHERE channel = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3)");
        trimAge = c.prepareStatement("DELETE FROM message WHERE arrival IN"
                + " (SELECT arrival FROM message ORDER BY arrival LIMIT ?1) AND stored < ?2");
        oldestStored = c.prepareStatement("SELECT stored FROM message ORDER BY arrival LIMIT 1");
        lastArrival = readLastArrival();
        // Channels over the bound already (the bound was lowered since the file was written).
        try (PreparedStatement over = c.prepareStatement("SELECT name FROM channel WHERE last_seq > ?")) {
            over.setLong(1, keepPerChannel);
            try (ResultSet r = over.executeQuery()) {
                while (r.next()) {
                    overfull.add(r.getString(1));
                }
            }
        }
        thread = new Thread(this::run, "parley-sqlite-writer-" + file.getFileName());
        thread.setDaemon(true);
    }

    void start(MessageStore.Sink sink) {
        this.sink = sink;
        thread.start();
    }

    /**
     * Runs a {@code PRAGMA} on the writer's connection between two batches and returns its
     * first value, or -1: how a test limits the file's size ({@code max_page_count}), as a
     * full disk would.
     */
    long pragma(String pragma) throws SQLException {
        synchronized (writing) {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + pragma)) {
                return r.next() ? r.getLong(1) : -1;
            }
        }
    }

    /** Commits so far: a test's way to see that posts are grouped. */
    long commits() {
        return commits.get();
    }

    /** Queues a post; the future completes once it is committed, or fails with why it was not. */
    CompletableFuture<ChatMessage> submit(String channel, String user, Instant time, String text, String postId,
            Object origin) {
        Post post = new Post(channel, user, time, text, postId, origin);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            if (!queue.offer(post)) {
                post.future.completeExceptionally(new ProtocolException("the store is busy: "
                        + QUEUE_CAPACITY + " posts wait to be written; try again"));
            }
        }
        return post.future;
    }

    /**
     * Stops taking posts, lets the writer write those queued, and waits for it up to
     * {@code millis}. Posts it had not written by then fail. The writer closes the connection
     * and releases the lock as it ends, so a commit under way is never cut short.
     */
    void close(long millis) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.offer(STOP); // if the queue is full the writer is busy, and sees closed after its batch
        }
        if (!thread.isAlive()) {
            finish(); // never started
            return;
        }
        try {
            thread.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("the writer of {} is still writing after {} ms; it will close the file when done", file, millis);
        }
    }

    private void run() {
        try {
            while (!(isClosed() && queue.isEmpty())) { // once closed, what is queued is written, then it ends
                Post first = queue.poll(IDLE_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    synchronized (writing) {
                        idle();
                    }
                    continue;
                }
                if (first == STOP) {
                    continue;
                }
                List<Post> batch = new ArrayList<>(Math.min(BATCH_LIMIT, queue.size() + 1));
                batch.add(first);
                queue.drainTo(batch, BATCH_LIMIT - 1);
                batch.removeIf(p -> p == STOP);
                synchronized (writing) {
                    write(batch);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("the writer of {} failed; posts are refused from now on", file, e);
        } finally {
            finish();
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Fails what is still queued, closes the connection and releases the lock. */
    private void finish() {
        synchronized (this) {
            closed = true;
        }
        for (Post p; (p = queue.poll()) != null; ) {
            if (p != STOP) {
                p.future.completeExceptionally(new ProtocolException("the store is closed: the post was not stored"));
            }
        }
        try {
            c.close();
        } catch (SQLException e) {
            log.warn("closing {} failed: {}", file, e.getMessage());
        }
        try {
            lockFile.close();
        } catch (IOException e) {
            log.warn("releasing the lock of {} failed: {}", file, e.getMessage());
        }
    }

    /** Numbers, inserts and commits one batch; then delivers and completes it, or fails it whole. */
    private void write(List<Post> batch) {
        List<Post> fresh = new ArrayList<>(batch.size());
        Map<String, Post> byId = new HashMap<>();
        Map<String, Long> numbered = new HashMap<>(); // this batch's newest seq per channel
        try {
            for (Post p : batch) {
                if (p.postId != null) {
                    Post earlier = byId.putIfAbsent(p.key(), p);
                    if (earlier != null) {
                        if (earlier.repeats == null) {
                            earlier.repeats = new ArrayList<>(1);
                        }
                        earlier.repeats.add(p);
                        continue;
                    }
                    ChatMessage stored = findPost(p);
                    if (stored != null) {
                        answerRepeat(p, stored);
                        continue;
                    }
                }
                fresh.add(p);
            }
            if (fresh.isEmpty()) {
                return;
            }
            StoreFile.begin(c);
            trim(Math.max(TRIM_STEP, 2 * fresh.size()));
            long now = System.currentTimeMillis();
            long arrival = lastArrival;
            for (Post p : fresh) {
                Long last = numbered.get(p.channel);
                long seq = (last != null ? last : lastSeq(p.channel)) + 1;
                numbered.put(p.channel, seq);
                p.message = new ChatMessage(p.channel, seq, p.user, p.time, p.text);
                insert.setString(1, p.channel);
                insert.setLong(2, seq);
                insert.setString(3, p.user);
                insert.setString(4, ChatTime.format(p.time));
                insert.setString(5, p.text);
                insert.setString(6, p.postId);
                insert.setLong(7, ++arrival);
                insert.setLong(8, now);
                insert.addBatch();
            }
            insert.executeBatch();
            for (Map.Entry<String, Long> e : numbered.entrySet()) {
                writeLastSeq.setString(1, e.getKey());
                writeLastSeq.setLong(2, e.getValue());
                writeLastSeq.addBatch();
            }
            writeLastSeq.executeBatch();
            StoreFile.commit(c);
        } catch (SQLException | RuntimeException e) {
            StoreFile.rollbackQuietly(c); // before anything else: no part of a failed batch may stay
            clearBatches();
            fail(batch, fresh, e);
            return;
        }
        commits.incrementAndGet();
        lastArrival += fresh.size();
        lastSeqs.putAll(numbered);
        for (Map.Entry<String, Long> e : numbered.entrySet()) {
            if (e.getValue() > keepPerChannel) {
                overfull.add(e.getKey());
            }
        }
        for (Post p : fresh) {
            deliver(p.message, p.origin);
        }
        for (Post p : fresh) {
            p.future.complete(p.message);
            if (p.repeats != null) {
                p.repeats.forEach(r -> answerRepeat(r, p.message));
            }
        }
    }

    private void clearBatches() {
        try {
            insert.clearBatch();
            writeLastSeq.clearBatch();
        } catch (SQLException e) {
            log.warn("{}: clearing a failed batch failed: {}", file, e.getMessage());
        }
    }

    /** The stored message of {@code p}'s id, if the file holds one. */
    private ChatMessage findPost(Post p) throws SQLException {
        findPost.setString(1, p.user);
        findPost.setString(2, p.postId);
        try (ResultSet r = findPost.executeQuery()) {
            if (!r.next()) {
                return null;
            }
            return new ChatMessage(r.getString(1), r.getLong(2), p.user, Instant.parse(r.getString(3)), r.getString(4));
        }
    }

    /** A repeat gets the first post's message if it is the same post, else the protocol's refusal. */
    private static void answerRepeat(Post repeat, ChatMessage first) {
        if (first.channel().equals(repeat.channel) && first.text().equals(repeat.text)) {
            repeat.future.complete(first);
        } else {
            repeat.future.completeExceptionally(PostIds.reused(repeat.postId));
        }
    }

    /** The newest seq of {@code channel} as committed: cached, or read from the file. */
    private long lastSeq(String channel) throws SQLException {
        Long cached = lastSeqs.get(channel);
        if (cached != null) {
            return cached;
        }
        readLastSeq.setString(1, channel);
        long last;
        try (ResultSet r = readLastSeq.executeQuery()) {
            last = r.next() ? r.getLong(1) : 0;
        }
        lastSeqs.put(channel, last);
        return last;
    }

    private long readLastArrival() throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT max(arrival) FROM message")) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    /**
     * A batch not committed: every post of it, and its repeats, fail with the reason; what the
     * writer knew of the numbering is read from the file again.
     */
    private void fail(List<Post> batch, List<Post> fresh, Exception e) {
        ProtocolException why = new ProtocolException(describe(e), e);
        long held = failureLog.admit();
        if (held >= 0) {
            log.warn("{}: {} posts were not stored: {} ({} more failed batches not logged)",
                    file, fresh.size(), e.getMessage(), held);
        }
        lastSeqs.clear();
        try {
            lastArrival = readLastArrival();
        } catch (SQLException again) {
            log.warn("{}: reading the numbering again failed: {}", file, again.getMessage());
        }
        for (Post p : batch) {
            // Repeats of posts stored before this batch were answered already: this changes nothing for them.
            p.future.completeExceptionally(why);
        }
    }

    /** Why a batch failed, as a post's refusal says it. */
    static String describe(Exception failure) {
        if (!(failure instanceof SQLException e)) {
            return "the store could not store the post (" + failure + ")";
        }
        return switch (StoreFile.primaryCode(e)) {
            case 13 -> "the store is full: the post was not stored";   // SQLITE_FULL
            case 10 -> "the store could not write to its disk (" + StoreFile.reason(e) + "): the post was not stored";
            case 8 -> "the store is read-only: the post was not stored"; // SQLITE_READONLY
            default -> "the store could not store the post (" + StoreFile.reason(e) + ")";
        };
    }

    /** Hands a committed message to the sink; a sink that throws harms no other message. */
    private void deliver(ChatMessage message, Object origin) {
        try {
            sink.stored(message, origin);
        } catch (RuntimeException e) {
            log.warn("the sink failed on {} #{}", message.channel(), message.seq(), e);
        }
    }

    /** No post came for a while: a retention step in a transaction of its own, if one is due. */
    private void idle() {
        boolean ageDue = System.currentTimeMillis() >= nextAgeCheck;
        if (overfull.isEmpty() && !ageDue) {
            return;
        }
        try {
            StoreFile.begin(c);
            trim(TRIM_STEP);
            StoreFile.commit(c);
        } catch (SQLException e) {
            StoreFile.rollbackQuietly(c);
            long held = failureLog.admit();
            if (held >= 0) {
                log.warn("{}: deleting old messages failed: {}", file, e.getMessage());
            }
        }
    }

    /**
     * Deletes up to about {@code budget} messages past the retention bounds, in the caller's
     * transaction: the oldest of channels over {@link #keepPerChannel}, then those stored more
     * than {@link #keepFor} ago. Each statement counts for at least one row, so the time spent
     * is bounded however many channels are over.
     */
    private void trim(int budget) throws SQLException {
        Iterator<String> over = overfull.iterator();
        while (budget > 0 && over.hasNext()) {
            String channel = over.next();
            long cut = lastSeq(channel) - keepPerChannel;
            int asked = budget;
            int deleted = 0;
            if (cut > 0) {
                trimChannel.setString(1, channel);
                trimChannel.setLong(2, cut);
                trimChannel.setInt(3, asked);
                deleted = trimChannel.executeUpdate();
            }
            budget -= Math.max(1, deleted);
            if (deleted < asked) {
                over.remove(); // fewer than asked for: the channel is within its bound now
            }
        }
        long now = System.currentTimeMillis();
        if (budget > 0 && now >= nextAgeCheck) {
            trimAge.setInt(1, budget);
            trimAge.setLong(2, now - keepFor.toMillis());
            int deleted = trimAge.executeUpdate();
            if (deleted < budget) {
                // Caught up: nothing expires before the oldest message left does.
                try (ResultSet r = oldestStored.executeQuery()) {
                    nextAgeCheck = (r.next() ? r.getLong(1) : now) + keepFor.toMillis();
                }
            }
        }
    }
}
