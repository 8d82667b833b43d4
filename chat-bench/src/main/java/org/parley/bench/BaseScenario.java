package org.parley.bench;

import java.util.List;

/**
 * What every scenario shares: its system's name, K, the number of posting clients, and the
 * external server process whose CPU time counts toward its figures, if it started one.
 *
 * <p>Thread safety: as {@link Scenario}; {@link #server} is set in setup, before any round.
 */
abstract class BaseScenario implements Scenario {
    private final String system;
    /** K: the subscribers on the channel. */
    protected final int k;
    private final int publishers;
    /** The server process this scenario started, or null when everything runs in this JVM. */
    protected ExternalServer server;

    BaseScenario(String system, int k, int publishers) {
        if (k < 1 || publishers < 1) {
            throw new IllegalArgumentException("K " + k + " and posting clients " + publishers + " must be >= 1");
        }
        this.system = system;
        this.k = k;
        this.publishers = publishers;
    }

    @Override
    public final String system() {
        return system;
    }

    @Override
    public final int subscribers() {
        return k;
    }

    @Override
    public final int publishers() {
        return publishers;
    }

    @Override
    public final List<Long> serverPids() {
        ExternalServer s = server;
        return s == null ? List.of() : List.of(s.pid());
    }

    /** The external server's CPU seconds, to the nanosecond ({@link ExternalServer#cpuSeconds}); NaN without one. */
    @Override
    public double serverCpuSeconds() {
        ExternalServer s = server;
        return s == null ? Double.NaN : s.cpuSeconds();
    }

    /**
     * Sends a probe every 10 ms until every subscriber has heard one: for systems whose
     * subscriptions take effect a moment after they are made, with no acknowledgement.
     */
    static void probeUntilReady(DeliverySink sink, long timeoutNanos, String system, Runnable sendProbe) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!sink.allReady()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(system + " subscribers not live after probing");
            }
            sendProbe.run();
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
        }
    }

    /** Stops the external server, if any. */
    protected final void stopServer() {
        if (server != null) {
            server.close();
        }
    }
}
