package org.parley.bench.attack;

/**
 * How many connections an attack may open: both this process and the server need a file
 * descriptor per connection, so the smaller open-files limit of the two, less a reserve for
 * everything else each of them has open.
 *
 * <p>Thread safety: stateless.
 */
final class FileLimits {
    static final int RESERVE = 1_000;
    private static final long UNKNOWN = 1_024;

    private FileLimits() {
    }

    /** Connections that fit under both limits. */
    static long forConnections(long serverPid) {
        long mine = ProcStatus.openFilesLimitOf("self").orElse(UNKNOWN);
        long server = ProcStatus.openFilesLimitOf(Long.toString(serverPid)).orElse(UNKNOWN);
        return Math.max(1, Math.min(mine, server) - RESERVE);
    }

    /** "fd limit 20000 here, 20000 in the server". */
    static String describe(long serverPid) {
        return "fd limit " + text(ProcStatus.openFilesLimitOf("self")) + " here, "
                + text(ProcStatus.openFilesLimitOf(Long.toString(serverPid))) + " in the server";
    }

    private static String text(java.util.OptionalLong limit) {
        return limit.isPresent() ? Long.toString(limit.getAsLong()) : "unknown";
    }
}
