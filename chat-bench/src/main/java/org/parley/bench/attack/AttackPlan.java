package org.parley.bench.attack;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What one run of the suite does: which attacks, for how long, at what scale, against which
 * launcher jar, and where the table goes besides standard output.
 *
 * <p>Thread safety: immutable.
 *
 * @param only attack ids to run, in the suite's order; empty for all
 * @param seconds how long each attack runs, 1..120
 * @param scale a factor on every count (connections, posts, sockets), 0.001..1
 * @param afterSeconds how long the good clients go on after each attack
 * @param heap the servers' -Xmx, as java takes it ("1g")
 * @param jar {@code parley.jar}
 * @param out a markdown file for the table, or null
 */
record AttackPlan(List<String> only, int seconds, double scale, int afterSeconds, String heap, Path jar, Path out) {
    static final int DEFAULT_SECONDS = 10;
    static final int DEFAULT_AFTER_SECONDS = 3;
    static final String DEFAULT_HEAP = "1g";
    static final String USAGE = "usage: attack [--only <id>[,<id>...]] [--seconds N] [--scale F] [--after N] "
            + "[--heap 1g] [--jar parley.jar] [--out file.md]";

    AttackPlan {
        only = List.copyOf(only);
        for (String id : only) {
            if (!Attacks.ids().contains(id)) {
                throw new IllegalArgumentException("unknown attack \"" + id + "\"; the attacks are " + String.join(", ", Attacks.ids()));
            }
        }
        if (seconds < 1 || seconds > 120) {
            throw new IllegalArgumentException("--seconds " + seconds + " is outside 1..120");
        }
        if (!(scale >= 0.001 && scale <= 1)) {
            throw new IllegalArgumentException("--scale " + scale + " is outside 0.001..1");
        }
        if (afterSeconds < 1 || afterSeconds > 60) {
            throw new IllegalArgumentException("--after " + afterSeconds + " is outside 1..60");
        }
        if (!heap.matches("[0-9]+[kKmMgG]?")) {
            throw new IllegalArgumentException("--heap \"" + heap + "\" is not a size like 1g or 512m");
        }
        Objects.requireNonNull(jar, "jar");
    }

    /** Parses the command line; {@code home} is the repository, where {@code chat-apps/target/parley.jar} lies. */
    static AttackPlan parse(String[] args, String home) {
        List<String> only = List.of();
        int seconds = DEFAULT_SECONDS;
        double scale = 1;
        int after = DEFAULT_AFTER_SECONDS;
        String heap = DEFAULT_HEAP;
        Path jar = Path.of(home == null ? "." : home, "chat-apps", "target", "parley.jar");
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option.startsWith("--") ? option + " needs a value" : "unexpected \"" + option + "\"");
            }
            String value = args[++i];
            switch (option) {
                case "--only" -> only = List.of(value.split(","));
                case "--seconds" -> seconds = integer(option, value);
                case "--scale" -> scale = number(option, value);
                case "--after" -> after = integer(option, value);
                case "--heap" -> heap = value;
                case "--jar" -> jar = Path.of(value);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option \"" + option + "\"");
            }
        }
        return new AttackPlan(only, seconds, scale, after, heap, jar, out);
    }

    /** The attacks this plan runs, in the suite's order. */
    List<Attack> attacks() {
        return Attacks.all().stream().filter(a -> only.isEmpty() || only.contains(a.id())).toList();
    }

    /** About how long the run takes, in seconds: each attack's time, its after-time and the server's start and stop. */
    int estimatedSeconds() {
        return attacks().size() * (seconds + afterSeconds + 4);
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " \"" + value + "\" is not a whole number");
        }
    }

    private static double number(String option, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " \"" + value + "\" is not a number");
        }
    }
}
