package org.parley.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time of this process (OperatingSystemMXBean) plus that of external server processes
 * (utime + stime from /proc/&lt;pid&gt;/stat), so a figure for Redis or NATS includes the server's
 * share just as a figure for an in-process server does.
 *
 * <p>Thread safety: stateless.
 */
final class CpuClock {
    /** USER_HZ: the unit of /proc/&lt;pid&gt;/stat times; 100 on every mainstream Linux build. */
    private static final double TICKS_PER_SECOND = 100.0;

    private CpuClock() {
    }

    /** CPU seconds used so far by this process and the given processes. */
    static double seconds(List<Long> serverPids) {
        double total = processSeconds();
        for (long pid : serverPids) {
            total += procSeconds(pid);
        }
        return total;
    }

    static double processSeconds() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return 0;
    }

    /** CPU seconds of process {@code pid} from /proc, or 0 where /proc cannot tell. */
    static double procSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // After the name, field 3 (state) is f[0]; utime is field 14 and stime field 15.
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
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
