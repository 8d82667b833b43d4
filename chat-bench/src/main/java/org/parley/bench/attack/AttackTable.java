package org.parley.bench.attack;

import java.util.List;

/**
 * The suite's results as one markdown table.
 *
 * <p>Thread safety: stateless.
 */
final class AttackTable {
    static final String HEADER = "| attack | scale | good delivery during | good delivery after | server alive "
            + "| SIGTERM at the end | peak RSS MiB | notes |";

    private AttackTable() {
    }

    static String markdown(List<AttackResult> results) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        b.append("|---|---|---|---|---|---|---:|---|\n");
        for (AttackResult r : results) {
            b.append(row(r)).append('\n');
        }
        return b.toString();
    }

    static String row(AttackResult r) {
        return "| " + String.join(" | ", cell(r.id()), cell(r.scale()), cell(r.during()), cell(r.after()),
                cell(r.alive()), cell(r.stop()), r.peakRssMib(), cell(String.join("; ", r.notes()))) + " |";
    }

    /** Text safe in a table cell: one line, bars escaped. */
    static String cell(String s) {
        return s.replace("\r", " ").replace("\n", " ").replace("|", "\\|");
    }
}
