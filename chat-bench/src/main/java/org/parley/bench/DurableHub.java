package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.store.sqlite.SqliteStore;

/**
 * A hub on a SQLite store in a fresh temporary folder, with the store's defaults, for the
 * durable benchmarks; closing it closes the hub and deletes the folder.
 *
 * <p>Thread safety: as {@link ChatHub}; {@link #close} once, from one thread.
 */
final class DurableHub implements AutoCloseable {
    private final Path dir;
    private final ChatHub hub;

    private DurableHub(Path dir, ChatHub hub) {
        this.dir = dir;
        this.hub = hub;
    }

    static DurableHub open() throws IOException {
        Path dir = Files.createTempDirectory("parley-bench-sqlite");
        SqliteStore store = SqliteStore.builder(dir.resolve("bench.db")).open();
        return new DurableHub(dir, ChatHub.create(HubOptions.defaults(), store));
    }

    ChatHub hub() {
        return hub;
    }

    @Override
    public void close() {
        hub.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder: left for the system to clean
        }
    }
}
