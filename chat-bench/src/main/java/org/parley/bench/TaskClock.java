package org.parley.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU time of another process to the nanosecond: the sum of its threads' run times from
 * /proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat. /proc/&lt;pid&gt;/stat, and the JVM's own
 * process clock (OperatingSystemMXBean, from times(2) on Linux), count in hundredths of a
 * second: a server busy 2% of a second-long round is two ticks, give or take one.
 *
 * <p>A thread's time leaves the directory with the thread, so the clock is a counter kept here:
 * each reading adds what every thread has run since the previous one (all of it, for a thread
 * new since then). A thread that ends between two readings takes only what it ran since the
 * first of them; the counter never goes back. Where schedstat cannot be read, it counts /proc
 * stat's ticks ({@link CpuClock#procSeconds(long)}).
 *
 * <p>Thread safety: {@link #seconds} is synchronized.
 */
final class TaskClock {
    private final long pid;
    private Map<Long, Long> last; // run time in ns by thread id, at the previous reading; null before the first
    private long nanos;
    private boolean ticks; // schedstat could not be read: /proc stat from then on

    TaskClock(long pid) {
        this.pid = pid;
    }

    /** CPU seconds the process has used so far, as this counter counts them (see the class comment). */
    synchronized double seconds() {
        if (!ticks) {
            Map<Long, Long> now = read(Path.of("/proc", Long.toString(pid), "task"));
            if (now != null) {
                nanos += advance(last, now);
                last = now;
                return nanos / 1e9;
            }
            ticks = true;
        }
        return CpuClock.procSeconds(pid);
    }

    /**
     * Nanoseconds run between two readings: what each thread of {@code now} has run since
     * {@code before} (all of its time if it is new), or all of {@code now} when there was none.
     */
    static long advance(Map<Long, Long> before, Map<Long, Long> now) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : now.entrySet()) {
            long was = before == null ? 0 : before.getOrDefault(e.getKey(), 0L);
            sum += Math.max(0, e.getValue() - was);
        }
        return sum;
    }

    /** The run time in ns of each thread under {@code tasks}, or null when it cannot be read. */
    private static Map<Long, Long> read(Path tasks) {
        Map<Long, Long> threads = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                try {
                    threads.put(Long.parseLong(task.getFileName().toString()),
                            schedstatNanos(Files.readString(task.resolve("schedstat"))));
                } catch (IOException e) {
                    // the thread ended after the listing: it ran nothing we can count
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return threads.isEmpty() ? null : threads;
    }

    /**
     * The run time in a schedstat line: its first field, nanoseconds on the CPU.
     *
     * @throws IllegalArgumentException if the line does not start with a number
     */
    static long schedstatNanos(String line) {
        String first = line.trim().split("\\s+")[0];
        try {
            return Long.parseLong(first);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a schedstat line: " + line, e);
        }
    }
}
