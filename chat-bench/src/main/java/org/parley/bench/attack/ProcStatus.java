package org.parley.bench.attack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What Linux's {@code /proc} says about a process: its peak resident set ({@code VmHWM}) and
 * its open-files limit.
 *
 * <p>Thread safety: stateless.
 */
final class ProcStatus {
    private ProcStatus() {
    }

    /** {@code VmHWM} in KiB from the text of {@code /proc/<pid>/status}; empty if absent. */
    static OptionalLong vmHwmKib(String status) {
        return kibField(status, "VmHWM:");
    }

    private static OptionalLong kibField(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field)) {
                String[] parts = line.substring(field.length()).trim().split("\\s+");
                if (parts.length == 2 && parts[1].equals("kB")) {
                    try {
                        return OptionalLong.of(Long.parseLong(parts[0]));
                    } catch (NumberFormatException e) {
                        return OptionalLong.empty();
                    }
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The soft "Max open files" from the text of {@code /proc/<pid>/limits}; empty if absent or unlimited. */
    static OptionalLong openFilesLimit(String limits) {
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
                try {
                    return OptionalLong.of(Long.parseLong(parts[0]));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty(); // "unlimited"
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The peak RSS of a live process in KiB; empty once it has gone or off Linux. */
    static OptionalLong peakRssKib(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "status")).map(ProcStatus::vmHwmKib).orElse(OptionalLong.empty());
    }

    /** The open-files limit of a live process ({@code "self"} for this one). */
    static OptionalLong openFilesLimitOf(String pid) {
        return read(Path.of("/proc", pid, "limits")).map(ProcStatus::openFilesLimit).orElse(OptionalLong.empty());
    }

    /**
     * The Java process behind {@code started}: itself when it is a {@code java} binary, else its
     * first descendant that is (a launcher script that execs or forks java).
     */
    static ProcessHandle javaProcess(ProcessHandle started) {
        if (isJava(started)) {
            return started;
        }
        return started.descendants().filter(ProcStatus::isJava).findFirst().orElse(started);
    }

    static boolean isJava(ProcessHandle p) {
        return p.info().command().map(c -> c.equals("java") || c.endsWith("/java")).orElse(false);
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty(); // the process has gone, or this is not Linux: no figure
        }
    }
}
