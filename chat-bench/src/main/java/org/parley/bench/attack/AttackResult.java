package org.parley.bench.attack;

import java.util.List;
import java.util.Objects;

/**
 * One row of the table: an attack's scale, what the good clients got during and after it,
 * whether the server lived and answered, how it stopped, its peak RSS, and notes.
 *
 * <p>Thread safety: immutable.
 */
record AttackResult(String id, String scale, String during, String after, String alive, String stop,
        long peakRssKib, List<String> notes) {
    AttackResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(scale, "scale");
        Objects.requireNonNull(during, "during");
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(alive, "alive");
        Objects.requireNonNull(stop, "stop");
        notes = List.copyOf(notes);
    }

    /** Peak RSS in MiB, or "?" if never read. */
    String peakRssMib() {
        return peakRssKib < 0 ? "?" : Long.toString(Math.round(peakRssKib / 1024.0));
    }
}
