package org.parley.bench;

import java.io.IOException;

/**
 * What ties a server process of this jar ({@link ParleyServerProcess}, {@link JsonRelay}) to the
 * benchmark that started it: when its standard input closes, the benchmark is gone (ended, or
 * killed), and the server ends at once. It never outlives a run.
 *
 * <p>Thread safety: {@link #endWithTheBenchmark} starts one daemon thread.
 */
final class ServerControl {
    private ServerControl() {
    }

    /** In the server process: halts it once standard input closes; what comes on it is ignored. */
    static void endWithTheBenchmark(String name) {
        Thread t = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the benchmark never writes; the end of input is what counts
                }
            } catch (IOException e) {
                // the benchmark is gone just the same
            }
            Runtime.getRuntime().halt(0);
        }, name + "-stdin");
        t.setDaemon(true);
        t.start();
    }
}
