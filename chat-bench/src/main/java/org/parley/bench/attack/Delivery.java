package org.parley.bench.attack;

/**
 * How many of the messages a good client sent in one phase came back to it.
 *
 * <p>Thread safety: immutable.
 */
record Delivery(int sent, int received) {
    Delivery {
        if (sent < 0 || received < 0 || received > sent) {
            throw new IllegalArgumentException("received " + received + " of " + sent);
        }
    }

    /** {@code received/sent}, with the percentage when some were lost. */
    String text() {
        if (sent == 0) {
            return "0/0";
        }
        if (received == sent) {
            return received + "/" + sent;
        }
        return received + "/" + sent + " (" + (100L * received / sent) + "%)";
    }
}
