package org.parley.store.sqlite;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens the store named by its argument twice, in a JVM of its own, and prints what each open
 * said, after "open: ".
 *
 * <p>Thread safety: runs on its main thread alone.
 */
public final class OpenProbe {
    private OpenProbe() {
    }

    public static void main(String[] args) {
        for (int i = 0; i < 2; i++) {
            try {
                SqliteStore.builder(Path.of(args[0])).open().close();
                System.out.println("open: opened");
            } catch (IOException e) {
                System.out.println("open: " + e.getMessage());
            } catch (Throwable e) {
                System.out.println("open: thrown " + e);
            }
        }
    }
}
