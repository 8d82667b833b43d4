package org.parley.apps;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Presence as an interactive client shows it (docs/PROTOCOL.md, "presence"), whatever its
 * transport: says every 5 s that the user is in its channel, prints {@code <who>: bob joined dev}
 * and {@code <who>: bob left dev} as the list changes, and answers {@code /who}.
 *
 * <p>After a lost connection the server may be a new one, whose list starts empty and fills as
 * its clients say they are there: for a little more than two refreshes the list is learnt again
 * and no change is told, so nobody seems to leave and come back.
 *
 * <p>Thread safety: {@link #start}, {@link #who} and {@link #forget} may be called from any
 * thread; the asking and printing happen on a daemon thread of its own, {@code parley-presence},
 * so neither the input thread nor a client's socket thread waits for the server.
 */
final class WhoIsHere implements AutoCloseable {
    /** How often the user says it is there: within the server's expiry of 15 s. */
    static final long REFRESH_SECONDS = 5;
    private static final long RELEARN_NANOS = TimeUnit.SECONDS.toNanos(2 * REFRESH_SECONDS + 1);

    private final String who;
    private final Console console;
    private final String user;
    private final Supplier<String> channel;
    /** Says the user is in a channel and answers who is there. */
    private final Function<String, CompletableFuture<List<String>>> ask;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "parley-presence");
        t.setDaemon(true);
        return t;
    });
    /** Who was in {@link #lastChannel} at the last answer; null before the first. Presence thread only. */
    private Set<String> last;
    private String lastChannel;
    private volatile long relearnUntil;

    /**
     * @param who     the command's name, before each line it prints
     * @param channel the channel the client is in now (it may change with {@code /join})
     * @param ask     says the user is in a channel and completes with who is there, sorted
     */
    WhoIsHere(String who, Console console, String user, Supplier<String> channel,
            Function<String, CompletableFuture<List<String>>> ask) {
        this.who = who;
        this.console = console;
        this.user = user;
        this.channel = channel;
        this.ask = ask;
    }

    /** Says every {@value #REFRESH_SECONDS} s that the user is there, telling who came and went. */
    WhoIsHere start() {
        thread.scheduleWithFixedDelay(this::refresh, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
        return this;
    }

    /** The connection was lost: the list is learnt again before changes are told. */
    void forget() {
        relearnUntil = System.nanoTime() + RELEARN_NANOS;
    }

    /** {@code /who}: prints who is in the channel, or why that cannot be told, in one line. */
    void who() {
        thread.execute(() -> {
            String now = channel.get();
            try {
                console.error(who + ": in " + now + ": " + String.join(", ", answer(now)));
            } catch (ExecutionException e) {
                console.error(who + ": cannot tell who is in " + now + ": " + e.getCause().getMessage());
            } catch (TimeoutException e) {
                console.error(who + ": cannot tell who is in " + now + ": no answer from the server");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private List<String> answer(String now) throws ExecutionException, TimeoutException, InterruptedException {
        return ask.apply(now).get(6, TimeUnit.SECONDS); // the clients' request timeouts are 5 s
    }

    /** Says the user is there and prints, against the last answer for the channel, who joined and who left. */
    private void refresh() {
        String now = channel.get();
        Set<String> seen;
        try {
            seen = new TreeSet<>(answer(now));
        } catch (ExecutionException | TimeoutException e) {
            return; // no answer now (no server, or one without presence): the next turn tells
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        boolean sameChannel = last != null && now.equals(lastChannel);
        if (System.nanoTime() - relearnUntil < 0) {
            if (sameChannel) {
                seen.addAll(last); // still learning who is here: nobody left
            }
        } else if (sameChannel) {
            for (String u : seen) {
                if (!last.contains(u) && !u.equals(user)) {
                    console.error(who + ": " + u + " joined " + now);
                }
            }
            for (String u : last) {
                if (!seen.contains(u) && !u.equals(user)) {
                    console.error(who + ": " + u + " left " + now);
                }
            }
        }
        last = seen;
        lastChannel = now;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
