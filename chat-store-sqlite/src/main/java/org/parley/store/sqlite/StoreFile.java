package org.parley.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.parley.core.internal.ChatTime;
import org.sqlite.SQLiteConfig;

/**
 * Opening a store's file: the lock that keeps a second server out, the checks that refuse a
 * file that is not a Parley store (or is damaged, or read-only) with one line naming the file
 * and what is wrong, the schema of a new store, and the SQL error codes in words.
 *
 * <p>Thread safety: {@link #open} runs on the opening thread; the connection and lock it
 * returns then belong to the store's writer.
 */
final class StoreFile {
    /** {@code PRAGMA application_id} of a Parley store: "Prly", so {@code file(1)} and others can tell. */
    static final int APPLICATION_ID = 0x50726C79;
    /** The schema this code reads and writes, kept in {@code meta} as {@code schema}. */
    static final int SCHEMA_VERSION = 1;
    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    /** The schema of version 1; {@code sqlite3 <file> .schema} shows the same. */
    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE message ("
                    + " channel TEXT NOT NULL,"
                    + " seq INTEGER NOT NULL,"
                    + " user TEXT NOT NULL,"
                    + " time TEXT NOT NULL,"        // the author's time, 2026-11-21T22:50:51.123Z
                    + " text TEXT NOT NULL,"
                    + " post_id TEXT,"              // the client's id of the post, or NULL
                    + " arrival INTEGER NOT NULL,"  // the order stored in, across channels
                    + " stored INTEGER NOT NULL,"   // when stored, ms since 1970: retention by age
                    + " PRIMARY KEY (channel, seq)) WITHOUT ROWID",
            "CREATE UNIQUE INDEX message_arrival ON message (arrival)",
            "CREATE UNIQUE INDEX message_post_id ON message (user, post_id) WHERE post_id IS NOT NULL",
            // The newest seq given per channel: kept when retention empties a channel, so that
            // its numbering goes on with no repeat.
            "CREATE TABLE channel (name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");

    /** What {@link #open} hands the store: the writer's connection, the lock it holds, the epoch. */
    record Opened(Connection connection, FileChannel lockFile, String epoch) {
    }

    private StoreFile() {
    }

    /** The lock file next to {@code file}: {@code <file>.lock}. */
    static Path lockPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    /**
     * Opens {@code file} for writing, creating a new store if it is absent or empty.
     *
     * @throws IOException one line, {@code cannot open <file>: <what is wrong>}
     */
    static Opened open(Path file, SqliteStore.Synchronous synchronous) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw refuse(file, "the folder " + folder + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw refuse(file, "it is a folder");
        }
        FileChannel lockFile;
        try {
            lockFile = FileChannel.open(lockPath(file), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw refuse(file, "cannot write its lock file " + lockPath(file) + ": the folder is not writable");
        } catch (FileSystemException e) {
            throw refuse(file, "cannot write its lock file " + lockPath(file) + ": "
                    + (e.getReason() != null ? e.getReason() : e.getMessage()));
        }
        FileLock lock = null;
        Connection c = null;
        try {
            try {
                lock = lockFile.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this process, by another store
            }
            if (lock == null) {
                throw refuse(file, "another server is using it (it holds " + lockPath(file) + ")");
            }
            requireSqliteHeader(file);
            c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            String epoch = prepare(c, file, synchronous);
            return new Opened(c, lockFile, epoch);
        } catch (SQLException e) {
            close(c, lockFile);
            throw refuse(file, describeAtOpen(e));
        } catch (IOException | RuntimeException e) {
            close(c, lockFile);
            throw e;
        }
    }

    /** A file that exists and is not empty starts as every SQLite database does. */
    private static void requireSqliteHeader(Path file) throws IOException {
        if (!Files.exists(file) || Files.size(file) == 0) {
            return;
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(SQLITE_HEADER.length);
        } catch (AccessDeniedException e) {
            throw refuse(file, "it is not readable");
        }
        if (!Arrays.equals(head, SQLITE_HEADER)) {
            throw refuse(file, "it is not a Parley store (not an SQLite database)");
        }
    }

    /** Checks an existing store or creates a new one, sets the journal and sync modes; the epoch. */
    private static String prepare(Connection c, Path file, SqliteStore.Synchronous synchronous)
            throws SQLException, IOException {
        int applicationId;
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("PRAGMA application_id")) {
                applicationId = r.next() ? r.getInt(1) : 0;
            }
            try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")) {
                while (r.next()) {
                    tables.add(r.getString(1));
                }
            }
        }
        boolean fresh = applicationId == 0 && tables.isEmpty();
        if (!fresh && applicationId != APPLICATION_ID) {
            throw refuse(file, "it is another application's SQLite database"
                    + (tables.isEmpty() ? "" : " (tables " + String.join(", ", tables) + ")")
                    + ", not a Parley store");
        }
        try (Statement s = c.createStatement()) {
            if (!fresh) {
                String schema = meta(c, "schema");
                if (!Integer.toString(SCHEMA_VERSION).equals(schema)) {
                    throw refuse(file, "it is a Parley store of schema version " + schema
                            + "; this Parley reads version " + SCHEMA_VERSION);
                }
                // Every page read once: a damaged file is refused at start, not found mid-run.
                try (ResultSet r = s.executeQuery("PRAGMA quick_check(1)")) {
                    // One line: SQLite's report spans several ("*** in database main ***", then the damage).
                    String verdict = (r.next() ? r.getString(1) : "no answer")
                            .replace("*** in database main ***", "").trim().replaceAll("\\s*\\n\\s*", "; ");
                    if (!"ok".equals(verdict)) {
                        throw refuse(file, "it is damaged (" + verdict + ")");
                    }
                }
            }
            s.execute("PRAGMA busy_timeout = 5000");
            try (ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                String mode = r.next() ? r.getString(1) : "";
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw refuse(file, "it cannot be put in WAL mode (it stays in " + mode + " mode): is it read-only?");
                }
            }
            s.execute("PRAGMA synchronous = " + synchronous.name());
            begin(c);
            try {
                if (fresh) {
                    for (String ddl : SCHEMA) {
                        s.execute(ddl);
                    }
                    s.execute("PRAGMA application_id = " + APPLICATION_ID);
                    setMeta(c, "schema", Integer.toString(SCHEMA_VERSION));
                    // Random rather than a clock: two stores made in the same millisecond still differ.
                    setMeta(c, "epoch", Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36));
                }
                // A write at every start: a file this process cannot write is refused now.
                setMeta(c, "opened", ChatTime.format(Instant.now()));
                commit(c);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
        String epoch = meta(c, "epoch");
        if (epoch == null || epoch.isEmpty()) {
            throw refuse(file, "it is damaged (its epoch is missing)");
        }
        return epoch;
    }

    static String meta(Connection c, String key) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            p.setString(1, key);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    private static void setMeta(Connection c, String key, String value) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")) {
            p.setString(1, key);
            p.setString(2, value);
            p.executeUpdate();
        }
    }

    /*
     * Transactions are begun and ended by statements on a connection left in auto-commit mode:
     * the driver's own commit and rollback chain a BEGIN after them, and its setAutoCommit(true)
     * commits, which after a failure would keep part of what failed.
     */

    /** Begins a write transaction, taking the write lock at once. */
    static void begin(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
        }
    }

    static void commit(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("COMMIT");
        }
    }

    /** Rolls back the transaction under way, if SQLite has not already (it does on a full disk). */
    static void rollbackQuietly(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("ROLLBACK");
        } catch (SQLException e) {
            // SQLite may have rolled the transaction back itself (a full disk does): nothing left to undo.
        }
    }

    private static IOException refuse(Path file, String what) {
        return new IOException("cannot open " + file + ": " + what);
    }

    /** SQLite's primary result code: the low byte of an extended one. */
    static int primaryCode(SQLException e) {
        return e.getErrorCode() & 0xff;
    }

    /** What went wrong at open, in words, for "cannot open <file>: ...". */
    private static String describeAtOpen(SQLException e) {
        return switch (primaryCode(e)) {
            case 8 -> "it is read-only";                                  // SQLITE_READONLY
            case 11, 26 -> "it is damaged or not an SQLite database";    // SQLITE_CORRUPT, SQLITE_NOTADB
            case 13 -> "the disk is full";                               // SQLITE_FULL
            case 5, 6 -> "another program is writing to it";             // SQLITE_BUSY, SQLITE_LOCKED
            case 3, 14 -> "it cannot be opened for writing (" + reason(e) + ")"; // SQLITE_PERM, SQLITE_CANTOPEN
            case 10 -> "the disk failed (" + reason(e) + ")";             // SQLITE_IOERR
            default -> reason(e);
        };
    }

    /** SQLite's own words for {@code e}, without the driver's code prefix. */
    static String reason(SQLException e) {
        String m = String.valueOf(e.getMessage());
        int bracket = m.lastIndexOf('(');
        // sqlite-jdbc writes "[SQLITE_FULL] Insertion failed because database is full (database or disk is full)".
        if (bracket >= 0 && m.endsWith(")")) {
            return m.substring(bracket + 1, m.length() - 1);
        }
        return m;
    }

    private static void close(Connection c, FileChannel lockFile) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // Opening failed already; that is what the caller reports.
            }
        }
        try {
            lockFile.close(); // releases the lock
        } catch (IOException e) {
            // as above
        }
    }
}
