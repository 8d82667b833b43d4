package org.parley.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time, three ways: of this process (OperatingSystemMXBean, in hundredths of a second on
 * Linux), of another process (utime + stime from /proc/&lt;pid&gt;/stat, the same; {@link
 * TaskClock} counts to the nanosecond), and of a group of this process's threads (ThreadMXBean:
 * the subscribers of a scenario, told apart from its posting clients).
 *
 * <p>Thread safety: stateless.
 */
final class CpuClock {
    /** USER_HZ: the unit of /proc/&lt;pid&gt;/stat times; 100 on every mainstream Linux build. */
    private static final double TICKS_PER_SECOND = 100.0;

    private CpuClock() {
    }

    static double processSeconds() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return 0;
    }

    /** CPU seconds of the given processes from /proc, summed; NaN for none. */
    static double procSeconds(List<Long> pids) {
        if (pids.isEmpty()) {
            return Double.NaN;
        }
        double total = 0;
        for (long pid : pids) {
            total += procSeconds(pid);
        }
        return total;
    }

    /** CPU seconds of process {@code pid} from /proc, or 0 where /proc cannot tell. */
    static double procSeconds(long pid) {
        try {
            return statSeconds(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * utime + stime of one /proc/&lt;pid&gt;/stat line, in seconds.
     *
     * @throws IllegalArgumentException if the line does not have the fields
     */
    static double statSeconds(String stat) {
        // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
        int close = stat.lastIndexOf(')');
        String[] f = close < 0 ? new String[0] : stat.substring(close + 1).trim().split("\\s+");
        if (f.length < 13) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat);
        }
        // After the name, field 3 (state) is f[0]; utime is field 14 and stime field 15.
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    /**
     * CPU seconds of the live threads of {@code group} and its subgroups. A thread that has ended
     * no longer counts: measure over spans in which the group's threads live on.
     */
    static double threadSeconds(ThreadGroup group) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long nanos = 0;
        for (Thread t : threads(group)) {
            @SuppressWarnings("deprecation") // Thread.threadId() is Java 19's
            long id = t.getId();
            nanos += Math.max(0, mx.getThreadCpuTime(id)); // -1 once it has ended
        }
        return nanos / 1e9;
    }

    /** The live threads of {@code group} and its subgroups. */
    static java.util.List<Thread> threads(ThreadGroup group) {
        Thread[] threads = new Thread[group.activeCount() + 16];
        int n;
        while ((n = group.enumerate(threads, true)) == threads.length) {
            threads = new Thread[threads.length * 2]; // more came meanwhile: all must fit
        }
        return java.util.Arrays.asList(threads).subList(0, n);
    }

    /** Resident memory of process {@code pid} in bytes (VmRSS), or -1 where /proc cannot tell. */
    static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
