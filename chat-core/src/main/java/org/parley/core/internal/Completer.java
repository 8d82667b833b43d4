package org.parley.core.internal;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that completes a durable or shared store's post futures (named by the store), one
 * batch's answers after another in the order the writer hands them over: so callbacks chained
 * on a post's future run here, never on the writer thread, and a callback that blocks or posts
 * again holds up no other post. The SQLite and the Redis stores use it.
 *
 * <p>At most {@link #CAPACITY} batches wait; then the writer waits too, so callbacks that fall
 * behind slow the store down instead of piling up.
 *
 * <p>Thread safety: {@link #submit} from the writer and the deliverer (each hands over its own
 * answers in order), or the closing thread; {@link #start}, {@link #stop} and {@link #join} from
 * any thread.
 */
public final class Completer {
    private static final Logger log = LoggerFactory.getLogger(Completer.class);
    /** Batches of answers waiting at most. */
    public static final int CAPACITY = 64;
    /** Ends the thread: compared by identity. */
    private static final List<Runnable> STOP = java.util.Collections.unmodifiableList(new java.util.ArrayList<>());

    private final BlockingQueue<List<Runnable>> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final Thread thread;
    private volatile boolean started;
    private volatile boolean stopped;

    public Completer(String name) {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    public void start() {
        started = true;
        thread.start();
    }

    /** Runs {@code answers} on the completion thread, after those handed over before; at once if it never started. */
    public void submit(List<Runnable> answers) {
        if (answers.isEmpty()) {
            return;
        }
        if (!started || !thread.isAlive() && stopped) {
            runAll(answers); // never started, or stopped already: on the caller's thread
            return;
        }
        try {
            queue.put(answers);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            runAll(answers); // an answer is never dropped
        }
    }

    /** Ends the thread once the answers handed over so far are run. */
    public void stop() {
        stopped = true;
        if (!started) {
            return;
        }
        try {
            queue.put(STOP);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code millis} for the thread to end; whether it did. */
    public boolean join(long millis) {
        if (!started) {
            return true;
        }
        try {
            thread.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    private void run() {
        try {
            for (List<Runnable> answers; (answers = queue.take()) != STOP; ) {
                runAll(answers);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void runAll(List<Runnable> answers) {
        for (Runnable answer : answers) {
            try {
                answer.run();
            } catch (RuntimeException e) {
                log.warn("completing a post failed", e); // a future's callbacks do not throw here; this is a bug
            }
        }
    }
}
