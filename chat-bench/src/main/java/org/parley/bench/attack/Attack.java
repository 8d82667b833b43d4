package org.parley.bench.attack;

/**
 * One attack of the suite: what server it needs and what it does to it.
 *
 * <p>An attack is bounded: it stops by itself when {@link AttackContext#running()} turns false
 * (or earlier, when it has a fixed count), opens only loopback connections, and registers what
 * it opens with {@link AttackContext#own}, so the runner can close it all whatever happens.
 *
 * <p>Thread safety: the runner calls each method from one attack thread.
 */
interface Attack {
    /** The id used by {@code --only} and in the table. */
    String id();

    /** The server it attacks. */
    ServerProcess.Kind server();

    /** A one-line description, for the usage text. */
    String description();

    /** Work before the attack's clock starts (filling the log, say); the good clients' figures then are not counted. */
    default void prepare(AttackContext ctx) throws Exception {
    }

    /** Runs the attack until its time is up or its count is done; writes the scale and notes into {@code ctx}. */
    void run(AttackContext ctx) throws Exception;

    /** True if the row should carry the good ZeroMQ client's acknowledgement latency during the attack. */
    default boolean reportsAckLatency() {
        return false;
    }
}
