package org.parley.store.sqlite;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.MessageStore;

/**
 * A durable {@link MessageStore} in one SQLite file: a server given one keeps its history, its
 * numbering and its epoch across a restart, and acknowledges a post only once it is committed.
 *
 * <pre>{@code
 * try (ChatHub hub = ChatHub.create(HubOptions.defaults(), SqliteStore.builder(Path.of("chat.db")).open());
 *      ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder().hub(hub).build())) {
 *     ...
 * }
 * }</pre>
 *
 * <p>The file is an ordinary SQLite database ({@code sqlite3 chat.db 'SELECT * FROM message'})
 * in WAL mode. One writer thread takes every post waiting, numbers them and commits them in one
 * transaction, then completes their futures and hands them to the hub; a failed commit (a full
 * disk) fails every post of it with the reason, and none of them is ever delivered. With
 * {@link Synchronous#FULL}, the default, a committed post survives a process crash and a power
 * loss; with {@link Synchronous#NORMAL}, a process crash only.
 *
 * <p>Retention: each channel keeps its newest {@link #DEFAULT_KEEP_PER_CHANNEL} messages and
 * every message is kept for {@link #DEFAULT_KEEP_FOR} (both options); older ones are deleted a
 * few hundred at a time while posts go on. A post id is remembered as long as its message is
 * kept, across restarts.
 *
 * <p>Only one store may have a file open: the store holds a lock on {@code <file>.lock}, and a
 * second one, in this process or another, is refused.
 *
 * <p>Threads: {@code parley-sqlite-writer-<file name>}, which owns every write. Reads run on the
 * caller's thread, on {@value Readers#SIZE} read connections, and never wait for a commit.
 *
 * <p>Thread safety: safe from any thread; the sink is called on the writer thread.
 */
public final class SqliteStore implements MessageStore {
    /** Messages each channel keeps at most, by default: its newest. */
    public static final int DEFAULT_KEEP_PER_CHANNEL = 100_000;
    /** How long a message is kept at most, by default, from when it was stored. */
    public static final Duration DEFAULT_KEEP_FOR = Duration.ofDays(365);
    /** How long {@link #close} waits for the writer to commit what is queued. */
    private static final long CLOSE_MILLIS = 2_000;

    /**
     * SQLite's {@code synchronous} setting: what a commit, and so an acknowledgement, promises.
     *
     * <p>Thread safety: immutable.
     */
    public enum Synchronous {
        /**
         * Each commit is on the disk ({@code fsync} of the write-ahead log) before a post is
         * acknowledged: an acknowledged post survives a crash of the process and a power loss.
         */
        FULL,
        /**
         * A commit is in the operating system's hands before a post is acknowledged, and on the
         * disk at the next checkpoint: an acknowledged post survives a crash of the process,
         * but a power loss may take the last ones (the file stays consistent).
         */
        NORMAL
    }

    private final Path file;
    private final String epoch;
    private final Writer writer;
    private final Readers readers;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private SqliteStore(Path file, String epoch, Writer writer, Readers readers) {
        this.file = file;
        this.epoch = epoch;
        this.writer = writer;
        this.readers = readers;
    }

    /** Options for a store in {@code file}, made if it is absent; {@link Builder#open()} opens it. */
    public static Builder builder(Path file) {
        return new Builder(file);
    }

    /** The file this store keeps its messages in. */
    public Path file() {
        return file;
    }

    @Override
    public void start(Sink sink) {
        Objects.requireNonNull(sink, "sink");
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("store already started");
        }
        writer.start(sink);
    }

    /** Kept in the file: the same across restarts, new only for a new file. */
    @Override
    public String epoch() {
        return epoch;
    }

    /**
     * Queues the post for the writer; the future completes once it is committed, or fails with
     * a {@link org.parley.core.ProtocolException} saying why it was not stored (the store is
     * full, the disk failed, too many posts wait).
     *
     * @throws IllegalStateException if the store is closed
     */
    @Override
    public CompletableFuture<ChatMessage> append(String channel, String user, Instant time, String text,
            String postId, Object origin) {
        return writer.submit(channel, user, time, text, postId, origin);
    }

    @Override
    public HistoryPage after(String channel, long after, int limit) {
        requireLimit(limit);
        return readers.after(channel, after, limit);
    }

    @Override
    public HistoryPage latest(String channel, int count) {
        requireLimit(count);
        return readers.latest(channel, count);
    }

    @Override
    public HistoryPage latestOfAll(int count) {
        requireLimit(count);
        return readers.latestOfAll(count);
    }

    @Override
    public long lastSeq(String channel) {
        return readers.lastSeq(channel);
    }

    /** Commits what is queued (waiting up to two seconds), then closes the file and releases its lock. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.close(CLOSE_MILLIS);
        readers.close(CLOSE_MILLIS);
    }

    /** Runs {@code PRAGMA <pragma>} on the writer's connection between batches; its first value, or -1. For tests. */
    long pragma(String pragma) throws SQLException {
        return writer.pragma(pragma);
    }

    /** Commits so far, for tests: fewer than posts when posts are grouped. */
    long commits() {
        return writer.commits();
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit < 0: " + limit);
        }
    }

    /**
     * Options of a {@link SqliteStore}: its file, retention and {@code synchronous} setting.
     *
     * <p>Thread safety: not safe for concurrent use; make one per thread.
     */
    public static final class Builder {
        private final Path file;
        private int keepPerChannel = DEFAULT_KEEP_PER_CHANNEL;
        private Duration keepFor = DEFAULT_KEEP_FOR;
        private Synchronous synchronous = Synchronous.FULL;

        private Builder(Path file) {
            this.file = Objects.requireNonNull(file, "file");
        }

        /** Each channel keeps its newest {@code count} messages; default {@value #DEFAULT_KEEP_PER_CHANNEL}. */
        public Builder keepPerChannel(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("keepPerChannel < 1: " + count);
            }
            this.keepPerChannel = count;
            return this;
        }

        /** A message is deleted once it was stored {@code age} ago; default {@link #DEFAULT_KEEP_FOR}. */
        public Builder keepFor(Duration age) {
            Objects.requireNonNull(age, "age");
            if (age.isNegative() || age.isZero()) {
                throw new IllegalArgumentException("keepFor must be positive, not " + age);
            }
            this.keepFor = age;
            return this;
        }

        /** What an acknowledgement promises; default {@link Synchronous#FULL}. */
        public Builder synchronous(Synchronous synchronous) {
            this.synchronous = Objects.requireNonNull(synchronous, "synchronous");
            return this;
        }

        /**
         * Opens the file, creating a new store if it is absent or empty.
         *
         * @throws IOException one line naming the file and what is wrong: another server holds
         *                     it, it is read-only, damaged, or not a Parley store, its folder is
         *                     missing or not writable
         */
        public SqliteStore open() throws IOException {
            StoreFile.Opened opened = StoreFile.open(file, synchronous);
            Writer writer = null;
            try {
                writer = new Writer(file, opened.connection(), opened.lockFile(), keepPerChannel, keepFor);
                Readers readers = new Readers(file);
                return new SqliteStore(file, opened.epoch(), writer, readers);
            } catch (SQLException e) {
                if (writer != null) {
                    writer.close(0);
                } else {
                    try {
                        opened.connection().close();
                        opened.lockFile().close();
                    } catch (SQLException | IOException again) {
                        e.addSuppressed(again);
                    }
                }
                throw new IOException("cannot open " + file + ": " + StoreFile.reason(e), e);
            }
        }
    }
}
