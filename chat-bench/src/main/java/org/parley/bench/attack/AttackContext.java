package org.parley.bench.attack;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZContext;

/**
 * What an attack gets to work with: the server's addresses, its time budget, its scale, a
 * place for everything it opens, and where it writes its scale and notes.
 *
 * <p>Thread safety: the attack's thread uses it; the runner reads the notes once the attack
 * has ended or been abandoned (notes and scale are synchronized for that).
 */
final class AttackContext {
    private final ServerProcess server;
    private final int seconds;
    private final double scale;
    private final Closer closer = new Closer();
    private final List<String> notes = new ArrayList<>(); // guarded by this
    private String scaleText = ""; // guarded by this
    private ZContext zmq; // attack thread only
    private volatile long endNanos = Long.MAX_VALUE;

    AttackContext(ServerProcess server, int seconds, double scale) {
        this.server = server;
        this.seconds = seconds;
        this.scale = scale;
    }

    ServerProcess server() {
        return server;
    }

    /** The attack's duration in seconds (--seconds). */
    int seconds() {
        return seconds;
    }

    /** {@code n} times the run's scale, at least 1. */
    int scaled(int n) {
        return (int) Math.max(1, Math.round(n * scale));
    }

    /** Starts the attack's clock: {@link #running()} is true for {@code seconds()} from now. */
    void startClock() {
        endNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    /** Ends the attack's time early (the runner does so when it gives up on it). */
    void endClock() {
        endNanos = System.nanoTime();
    }

    /** True until the attack's time is up or its thread is interrupted. */
    boolean running() {
        return System.nanoTime() < endNanos && !Thread.currentThread().isInterrupted();
    }

    /** Nanoseconds left of the attack's time; 0 when it is up. */
    long remainingNanos() {
        return Math.max(0, endNanos - System.nanoTime());
    }

    long endNanos() {
        return endNanos;
    }

    /** Registers {@code c} to be closed when the attack ends; returns it. */
    <T extends AutoCloseable> T own(T c) {
        return closer.add(c);
    }

    /** The attack's ZeroMQ context (one I/O thread), made on first use and closed last. */
    ZContext zmq() {
        if (zmq == null) {
            zmq = own(TickingContext.create());
        }
        return zmq;
    }

    InetSocketAddress post() {
        return server.post();
    }

    InetSocketAddress pub() {
        return server.pub();
    }

    InetSocketAddress tcp() {
        return server.tcp();
    }

    synchronized void scale(String text) {
        scaleText = text;
    }

    synchronized String scaleText() {
        return scaleText;
    }

    /** Adds a note to the attack's row. */
    synchronized void note(String note) {
        notes.add(note);
    }

    synchronized List<String> notes() {
        return List.copyOf(notes);
    }

    /** Closes everything the attack opened; idempotent. */
    void closeAll() {
        closer.closeAll();
    }
}
