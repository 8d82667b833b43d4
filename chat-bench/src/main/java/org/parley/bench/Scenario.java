package org.parley.bench;

import java.util.List;

/**
 * One system under test with K subscribers on one channel: the plug-in point of the benchmark.
 *
 * <p>The harness calls, in order: {@link #setup} on the main thread (start servers, connect and
 * subscribe K receivers that report into the sink, wait until they are live where the system can
 * say so), then {@link #openSender} once per posting client, each on that client's own long-lived
 * thread, then {@link Sender#awaitReady} on each sender's thread, then rounds of sends, then
 * {@link Sender#close()} on each sender's thread and {@link #teardown()} on the main thread.
 *
 * <p>Thread safety: see the call order above; a scenario object is used by one run at a time.
 */
interface Scenario {
    /** The system's display name, one of {@link Systems}' names. */
    String system();

    /** K: subscribers on the channel. */
    int subscribers();

    /** Posting clients that send concurrently (each on its own thread). */
    int publishers();

    /** Starts what the system needs and subscribes K receivers that report into {@code sink}. */
    void setup(DeliverySink sink) throws Exception;

    /** Opens posting client {@code index}; called on the thread that will use it. */
    Sender openSender(int index) throws Exception;

    /** Process ids of external servers whose CPU time belongs to this scenario's figures. */
    List<Long> serverPids();

    /** CPU seconds its external servers have used so far (from /proc), or NaN when it runs none. */
    default double serverCpuSeconds() {
        return CpuClock.procSeconds(serverPids());
    }

    /**
     * CPU seconds its K subscribers have used so far, their threads alone (not the posting
     * clients', nor a server's in this JVM), or NaN where they are not told apart.
     */
    default double subscriberCpuSeconds() {
        return Double.NaN;
    }

    /** Stops everything setup started; never throws. */
    void teardown();

    /** One posting client; used by one thread only. */
    interface Sender extends AutoCloseable {
        /** Sends one 100-byte payload to the channel (may buffer: the system's own pipelining). */
        void send(byte[] payload) throws Exception;

        /** Pushes out anything buffered by {@link #send}. */
        default void flush() throws Exception {
        }

        /**
         * Called while the sender must wait (pacing or flow control): flush, do pending I/O,
         * and return within about {@code nanos}.
         */
        default void idle(long nanos) throws Exception {
            flush();
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(nanos, 200_000));
        }

        /** Returns once every subscriber in {@code sink} is live, or throws after the timeout. */
        default void awaitReady(DeliverySink sink, long timeoutNanos) throws Exception {
        }

        /** Releases what this sender alone holds; the default holds nothing of its own. */
        @Override
        default void close() {
        }
    }
}
