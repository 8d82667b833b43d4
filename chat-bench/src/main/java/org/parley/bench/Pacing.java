package org.parley.bench;

/**
 * The arithmetic of a round's posting: which posting client sends which of its messages, and
 * when a paced one is meant to go. Message numbers are global: client {@code index} of {@code p}
 * sends messages {@code index}, {@code index + p}, {@code index + 2p}, ..., so that at a fixed
 * rate the clients take turns and together offer exactly that rate.
 *
 * <p>Thread safety: stateless.
 */
final class Pacing {
    private Pacing() {
    }

    /** How many of {@code messages} client {@code index} of {@code p} sends: one more for the first {@code messages % p}. */
    static long share(long messages, int p, int index) {
        return messages / p + (index < messages % p ? 1 : 0);
    }

    /**
     * When client {@code index} of {@code p} is meant to send its {@code j}-th message of a round
     * that started at {@code start} (nanoTime), at {@code rate} messages/s in all; 0 means
     * unpaced, and the answer is {@code start}.
     */
    static long intendedNanos(long start, long j, int p, int index, double rate) {
        if (rate <= 0) {
            return start;
        }
        return start + (long) ((j * p + index) * (1e9 / rate));
    }
}
