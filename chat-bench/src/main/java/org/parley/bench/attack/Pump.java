package org.parley.bench.attack;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Sends requests on a DEALER with up to {@code window} unanswered, for as long as the attack
 * runs, and counts the replies: accepted, refused (by error text) and never answered.
 *
 * <p>Thread safety: one thread runs it.
 */
final class Pump {
    private static final int MAX_DISTINCT_ERRORS = 4;

    private int sent;
    private int ok;
    private int refused;
    private long bytesSent;
    private final Map<String, Integer> errors = new LinkedHashMap<>();

    /**
     * Runs until {@code requests} is exhausted or {@code running} turns false, then waits up to
     * {@code drainMillis} for the replies still due.
     */
    Pump run(Dealer dealer, Iterator<byte[]> requests, int window, BooleanSupplier running, long drainMillis,
            Consumer<String> onReply) {
        int outstanding = 0;
        while (running.getAsBoolean()) {
            boolean more = requests.hasNext();
            if (more && outstanding < window) {
                byte[] body = requests.next();
                if (dealer.send(body)) {
                    sent++;
                    bytesSent += body.length;
                    outstanding++;
                    continue;
                }
            }
            if (!more && outstanding == 0) {
                return this;
            }
            String reply = dealer.receive(50);
            while (reply != null) {
                outstanding--;
                count(reply, onReply);
                reply = dealer.receiveNow();
            }
        }
        long drainUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        while (outstanding > 0 && System.nanoTime() < drainUntil && !Thread.currentThread().isInterrupted()) {
            String reply = dealer.receive(50);
            if (reply != null) {
                outstanding--;
                count(reply, onReply);
            }
        }
        return this;
    }

    private void count(String reply, Consumer<String> onReply) {
        if (Json.ok(reply)) {
            ok++;
        } else {
            refused++;
            String error = Json.field(reply, "error").orElse(reply);
            if (errors.containsKey(error) || errors.size() < MAX_DISTINCT_ERRORS) {
                errors.merge(error, 1, Integer::sum);
            }
        }
        if (onReply != null) {
            onReply.accept(reply);
        }
    }

    /** {@code count} requests made on demand by {@code make} from their number, 0 first. */
    static Iterator<byte[]> numbered(long count, java.util.function.LongFunction<byte[]> make) {
        return new Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public byte[] next() {
                if (next >= count) {
                    throw new java.util.NoSuchElementException("all " + count + " requests made");
                }
                return make.apply(next++);
            }
        };
    }

    int sent() {
        return sent;
    }

    int ok() {
        return ok;
    }

    int refused() {
        return refused;
    }

    long bytesSent() {
        return bytesSent;
    }

    int unanswered() {
        return sent - ok - refused;
    }

    /** "sent 10, accepted 2, refused 8 (error ×8), unanswered 0". */
    String summary() {
        StringBuilder b = new StringBuilder();
        b.append("sent ").append(sent).append(", accepted ").append(ok).append(", refused ").append(refused);
        if (!errors.isEmpty()) {
            b.append(" (");
            boolean first = true;
            for (Map.Entry<String, Integer> e : errors.entrySet()) {
                b.append(first ? "" : "; ").append('"').append(Json.excerpt(e.getKey(), 80)).append("\" ×").append(e.getValue());
                first = false;
            }
            b.append(')');
        }
        if (unanswered() > 0) {
            b.append(", unanswered ").append(unanswered());
        }
        return b.toString();
    }
}
