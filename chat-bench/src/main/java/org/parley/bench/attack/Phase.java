package org.parley.bench.attack;

/** Where a run is when a good client sends a message; the figures are kept per phase. */
enum Phase {
    /** Before the attack: the good client proves it works. */
    WARMUP,
    /** The attack's own preparation (filling the log, say): not counted. */
    PREPARE,
    /** The attack runs. */
    DURING,
    /** The attack has stopped and its connections are closed. */
    AFTER,
    /** Nothing more is sent; late deliveries still count for the phase they were sent in. */
    DONE
}
