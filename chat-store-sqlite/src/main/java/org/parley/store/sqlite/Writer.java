package org.parley.store.sqlite;

import org.parley.core.internal.Completer;
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
 * and their futures to the {@link Completer}, which completes them on a thread of its own. So
 * one commit (one {@code fsync} with {@code synchronous=FULL}) serves every post that arrived
 * while the one before was being written: commits are grouped exactly as much as posts outrun
 * them.
 *
 * <p>A batch that cannot be committed (a full disk, an I/O error) fails every post in it with
 * the reason; nothing of it was stored, none of it is ever delivered, and the numbering is read
 * again from the file, so the next posts take the numbers the failed ones had. An I/O error on
 * {@code COMMIT} itself is the exception: the batch may be in the write-ahead log after all, so
 * the writer refuses every later post until the server is restarted ({@link #fatalAtCommit}).
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
    /** How long {@link #close} waits, past its own limit, for a commit under way to end. */
    static final long COMMIT_WAIT_MILLIS = 30_000;
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

    /** How a batch's transaction is committed: {@link StoreFile#commit}, or a test's stand-in for a failing disk. */
    @FunctionalInterface
    interface Commit {
        void commit(Connection c) throws SQLException;
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
    private volatile Commit committer = StoreFile::commit;
    /** Completes the futures, off this thread: a callback chained on one never runs on the writer. */
    private final Completer completer;
    /**
     * Why the store takes no more posts, once a commit failed with an I/O error: such a batch
     * may be in the write-ahead log or not, so nothing written after it could be trusted.
     * {@code null} while the store works.
     */
    private volatile String fatal;
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
    /** The answers of the batch being written, handed to the completer when it is done. */
    private final List<Runnable> answers = new ArrayList<>();
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
        completer = new Completer("parley-sqlite-complete-" + file.getFileName());
    }

    void start(MessageStore.Sink sink) {
        this.sink = sink;
        completer.start();
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

    /** Replaces how batches are committed: a test's way to make a commit fail as a disk would. */
    void commitWith(Commit commit) {
        this.committer = commit;
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
            if (fatal != null) {
                post.future.completeExceptionally(new ProtocolException(fatal));
                return post.future;
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
     * {@code millis}. Then what is still queued fails, and the batch being committed is waited
     * for, up to {@link #COMMIT_WAIT_MILLIS} more: the writer closes the connection and releases
     * the lock as it ends, so a commit under way is never cut short, and the file is released
     * when this returns unless that commit outlasted the wait too (a disk that hangs; logged).
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
        join(thread, millis);
        if (thread.isAlive()) {
            // The deadline: what the writer has not taken yet is not written. It ends after its batch.
            ProtocolException closing = new ProtocolException("the store is closed: the post was not stored");
            int refused = 0;
            for (Post p; (p = queue.poll()) != null; ) {
                if (p != STOP) {
                    p.future.completeExceptionally(closing);
                    refused++;
                }
            }
            log.warn("{}: {} posts were not written within {} ms of closing and fail; waiting for the commit"
                    + " under way", file, refused, millis);
            join(thread, COMMIT_WAIT_MILLIS);
            if (thread.isAlive()) {
                log.error("{}: a commit is still under way {} ms after closing; the file and its lock are released"
                        + " when it ends", file, millis + COMMIT_WAIT_MILLIS);
                return;
            }
        }
        if (!completer.join(millis)) {
            log.warn("callbacks on posts to {} still run {} ms after the store closed", file, millis);
        }
    }

    private static void join(Thread thread, long millis) {
        try {
            thread.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
                handOver();
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
                refuse(p, new ProtocolException("the store is closed: the post was not stored"));
            }
        }
        handOver();
        completer.stop();
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
        if (fatal != null) {
            ProtocolException why = new ProtocolException(fatal);
            batch.forEach(p -> refuse(p, why));
            return;
        }
        List<Post> fresh = new ArrayList<>(batch.size());
        Map<String, Post> byId = new HashMap<>();
        // Ids this batch found in the file: a later repeat in the batch is answered at once, as the first was.
        Map<String, ChatMessage> inFile = new HashMap<>();
        Map<String, Long> numbered = new HashMap<>(); // this batch's newest seq per channel
        Trimmed trimmed = null;
        boolean committing = false;
        try {
            for (Post p : batch) {
                if (p.postId != null) {
                    ChatMessage known = inFile.get(p.key());
                    if (known != null) {
                        answerRepeat(p, known);
                        continue;
                    }
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
                        inFile.put(p.key(), stored);
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
            trimmed = trim(Math.max(TRIM_STEP, 2 * fresh.size()));
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
            committing = true;
            committer.commit(c);
        } catch (SQLException | RuntimeException e) {
            StoreFile.rollbackQuietly(c); // before anything else: no part of a failed batch may stay
            clearBatches();
            if (committing && e instanceof SQLException sql && fatalAtCommit(sql)) {
                fatal = "the store failed: " + StoreFile.reason(sql) + "; restart the server";
                log.error("{}: committing {} posts failed ({}); the store takes no more posts until the server"
                        + " is restarted", file, fresh.size(), e.getMessage());
                ProtocolException why = new ProtocolException(fatal, e);
                batch.forEach(p -> refuse(p, why));
                return;
            }
            fail(batch, fresh, e);
            return;
        }
        commits.incrementAndGet();
        lastArrival += fresh.size();
        lastSeqs.putAll(numbered);
        apply(trimmed);
        for (Map.Entry<String, Long> e : numbered.entrySet()) {
            if (e.getValue() > keepPerChannel) {
                overfull.add(e.getKey());
            }
        }
        for (Post p : fresh) {
            deliver(p.message, p.origin);
        }
        for (Post p : fresh) {
            answer(p, p.message);
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

    private void answer(Post p, ChatMessage message) {
        CompletableFuture<ChatMessage> f = p.future;
        answers.add(() -> f.complete(message));
    }

    private void refuse(Post p, Throwable why) {
        CompletableFuture<ChatMessage> f = p.future;
        answers.add(() -> f.completeExceptionally(why));
    }

    /** Hands the answers gathered so far to the completer, in order. */
    private void handOver() {
        if (!answers.isEmpty()) {
            completer.submit(new ArrayList<>(answers));
            answers.clear();
        }
    }

    /** A repeat gets the first post's message if it is the same post, else the protocol's refusal. */
    private void answerRepeat(Post repeat, ChatMessage first) {
        if (first.channel().equals(repeat.channel) && first.text().equals(repeat.text)) {
            answer(repeat, first);
        } else {
            refuse(repeat, PostIds.reused(repeat.postId));
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
            refuse(p, why);
        }
    }

    /**
     * Whether a failed {@code COMMIT} ends the writer: an I/O error (not a full disk, not a busy
     * file) may leave the batch in the write-ahead log, where recovery would bring it back at
     * the next start although its posts were refused; so no more is written until a restart.
     */
    static boolean fatalAtCommit(SQLException e) {
        return StoreFile.primaryCode(e) == 10; // SQLITE_IOERR and its extended codes
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
        if (fatal != null || overfull.isEmpty() && !ageDue) {
            return;
        }
        try {
            StoreFile.begin(c);
            Trimmed trimmed = trim(TRIM_STEP);
            StoreFile.commit(c);
            apply(trimmed);
        } catch (SQLException e) {
            StoreFile.rollbackQuietly(c);
            long held = failureLog.admit();
            if (held >= 0) {
                log.warn("{}: deleting old messages failed: {}", file, e.getMessage());
            }
        }
    }

    /**
     * What a retention step learnt: channels back within their bound, and when messages next
     * expire. Applied only once its transaction is committed, so a step rolled back (a full
     * disk) leaves the bookkeeping as it was, and the same messages are deleted again later.
     */
    private record Trimmed(List<String> withinBound, long nextAgeCheck) {
    }

    private void apply(Trimmed trimmed) {
        trimmed.withinBound().forEach(overfull::remove);
        nextAgeCheck = trimmed.nextAgeCheck();
    }

    /**
     * Deletes up to about {@code budget} messages past the retention bounds, in the caller's
     * transaction: the oldest of channels over {@link #keepPerChannel}, then those stored more
     * than {@link #keepFor} ago. Each statement counts for at least one row, so the time spent
     * is bounded however many channels are over. Changes nothing but the file: the caller
     * applies what it returns once the transaction is committed.
     */
    private Trimmed trim(int budget) throws SQLException {
        List<String> within = new ArrayList<>();
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
                within.add(channel); // fewer than asked for: the channel is within its bound now
            }
        }
        long ageCheck = nextAgeCheck;
        long now = System.currentTimeMillis();
        if (budget > 0 && now >= nextAgeCheck) {
            trimAge.setInt(1, budget);
            trimAge.setLong(2, now - keepFor.toMillis());
            int deleted = trimAge.executeUpdate();
            if (deleted < budget) {
                // Caught up: nothing expires before the oldest message left does.
                try (ResultSet r = oldestStored.executeQuery()) {
                    ageCheck = (r.next() ? r.getLong(1) : now) + keepFor.toMillis();
                }
            }
        }
        return new Trimmed(within, ageCheck);
    }
}
