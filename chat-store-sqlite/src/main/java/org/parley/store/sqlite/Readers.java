package org.parley.store.sqlite;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.internal.Names;
import org.sqlite.SQLiteConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * History from a store's file, on read connections of their own: in WAL mode a reader sees the
 * last commit and never waits for the writer, nor the writer for it. Each read is one read
 * transaction, so a page's bounds and messages agree.
 *
 * <p>Thread safety: safe from any thread; a read takes one of {@link #SIZE} connections and
 * gives it back, so at most that many reads run at once and the others wait for one.
 */
final class Readers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Readers.class);
    /** Read connections, so reads at once. */
    static final int SIZE = 4;
    private static final String COLUMNS = "channel, seq, user, time, text";

    /** One read connection and its statements. */
    private static final class Reader {
        final Connection c;
        final PreparedStatement after;
        final PreparedStatement latest;
        final PreparedStatement latestOfAll;
        final PreparedStatement bounds;

        Reader(Connection c) throws SQLException {
            this.c = c;
            after = c.prepareStatement("SELECT " + COLUMNS + " FROM message WHERE channel = ? AND seq > ?"
                    + " ORDER BY seq LIMIT ?");
            latest = c.prepareStatement("SELECT " + COLUMNS + " FROM message WHERE channel = ?"
                    + " ORDER BY seq DESC LIMIT ?");
            latestOfAll = c.prepareStatement("SELECT " + COLUMNS + " FROM message ORDER BY arrival DESC LIMIT ?");
            bounds = c.prepareStatement("SELECT (SELECT min(seq) FROM message WHERE channel = ?1),"
                    + " (SELECT last_seq FROM channel WHERE name = ?1)");
        }
    }

    @FunctionalInterface
    private interface Read<T> {
        T apply(Reader r) throws SQLException;
    }

    private final Path file;
    private final BlockingQueue<Reader> idle = new ArrayBlockingQueue<>(SIZE);
    private final List<Reader> all = new ArrayList<>(SIZE);
    private volatile boolean closed;

    Readers(Path file) throws SQLException {
        this.file = file;
        try {
            for (int i = 0; i < SIZE; i++) {
                SQLiteConfig config = new SQLiteConfig();
                config.setBusyTimeout(5000);
                Connection c = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
                try (Statement s = c.createStatement()) {
                    s.execute("PRAGMA query_only = 1");
                }
                c.setAutoCommit(false); // each read a transaction, ended by its commit
                Reader r = new Reader(c);
                all.add(r);
                idle.add(r);
            }
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    HistoryPage after(String channel, long after, int limit) {
        return read(r -> {
            long[] b = bounds(r, channel);
            List<ChatMessage> messages = List.of();
            if (limit > 0 && after < b[1]) {
                r.after.setString(1, channel);
                r.after.setLong(2, after);
                r.after.setInt(3, limit);
                messages = messages(r.after);
            }
            return new HistoryPage(channel, b[0], b[1], messages);
        });
    }

    HistoryPage latest(String channel, int count) {
        return read(r -> {
            long[] b = bounds(r, channel);
            List<ChatMessage> messages = List.of();
            if (count > 0) {
                r.latest.setString(1, channel);
                r.latest.setInt(2, count);
                messages = messages(r.latest);
                Collections.reverse(messages);
            }
            return new HistoryPage(channel, b[0], b[1], messages);
        });
    }

    HistoryPage latestOfAll(int count) {
        return read(r -> {
            List<ChatMessage> messages = List.of();
            if (count > 0) {
                r.latestOfAll.setInt(1, count);
                messages = messages(r.latestOfAll);
                Collections.reverse(messages);
            }
            return new HistoryPage(Names.ALL, 0, 0, messages);
        });
    }

    long lastSeq(String channel) {
        return read(r -> bounds(r, channel)[1]);
    }

    /** The oldest seq held and the newest given in {@code channel}, 0 for none. */
    private static long[] bounds(Reader r, String channel) throws SQLException {
        r.bounds.setString(1, channel);
        try (ResultSet rs = r.bounds.executeQuery()) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)}; // NULL reads as 0
        }
    }

    private static List<ChatMessage> messages(PreparedStatement p) throws SQLException {
        List<ChatMessage> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
                out.add(new ChatMessage(rs.getString(1), rs.getLong(2), rs.getString(3),
                        Instant.parse(rs.getString(4)), rs.getString(5)));
            }
        }
        return out;
    }

    private <T> T read(Read<T> read) {
        if (closed) {
            throw new IllegalStateException("store is closed");
        }
        Reader r;
        try {
            r = idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read " + file, e);
        }
        try {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            try {
                return read.apply(r);
            } finally {
                r.c.commit(); // ends the read transaction: the next read sees later commits
            }
        } catch (SQLException e) {
            throw new UncheckedIOException(new IOException("reading " + file + " failed: " + e.getMessage(), e));
        } finally {
            idle.add(r);
        }
    }

    /**
     * Closes every read connection, waiting up to {@code millis} in all for reads under way to
     * give theirs back; one not back by then is left to the garbage collector, and logged.
     */
    void close(long millis) {
        closed = true;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        for (int i = 0; i < all.size(); i++) {
            Reader r;
            try {
                r = idle.poll(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r = null;
            }
            if (r == null) {
                log.warn("a read of {} did not end within {} ms; its connection is left open", file, millis);
                return;
            }
            try {
                r.c.close();
            } catch (SQLException e) {
                log.warn("closing a read connection of {} failed: {}", file, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        close(0);
    }
}
