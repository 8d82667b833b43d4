package org.parley.core.internal;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.HubOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a subscriber's messages to its listener in {@code seq} order, each once: the gap repair
 * of every client. Part of Parley's implementation, shared by its modules; not API.
 *
 * <p>Publication is at most once, so a subscriber that falls behind loses messages; a gap in
 * {@code seq} shows it. A duplicate is dropped; before a message that follows a gap, the missing
 * ones are fetched from history and delivered first. A server that restarts with an empty log
 * numbers from 1 again: each message comes with the epoch it was counted under (any number that
 * changes on a restart), and under a new one every channel counts from 0.
 *
 * <p>A post that its author sent again because the old server went before acknowledging it
 * may have been delivered by the old server and be recorded again by the new one. So the last
 * {@value #REMEMBERED} messages delivered under an epoch are remembered (as 64-bit keys), and
 * under the next one a message with the same channel, user, time and text as one of them (a
 * client stamps a post's time once, however often it sends it) is taken for that post and not
 * delivered again.
 *
 * <p>Thread safety: not thread-safe; one thread (a client's delivery thread) calls
 * {@link #deliver} and {@link #catchUp}. The epoch supplier is read on that thread.
 */
public final class OrderedDelivery {
    private static final Logger log = LoggerFactory.getLogger(OrderedDelivery.class);

    /**
     * Where missing messages are read (a hub's log, a server's history), on the delivering thread:
     * those of {@code channel} with {@code seq > after}, oldest first, at most {@code limit}; an
     * empty page when there are none or the caller should stop.
     */
    @FunctionalInterface
    public interface HistorySource {
        HistoryPage after(String channel, long after, int limit) throws IOException;
    }

    private final HistorySource source;
    private final Consumer<ChatMessage> listener;
    private final LongSupplier epoch;
    /**
     * Messages delivered under an epoch that the next one may bring again: more than a client
     * keeps in flight ({@code maxPendingRequests}, 10,000 by default).
     */
    static final int REMEMBERED = 16_384;

    private final Map<String, Long> last = new HashMap<>();
    /** The newest delivered (or skipped as delivered), by {@link #key}, in a ring. */
    private final long[] recent = new long[REMEMBERED];
    private int recentNext;
    private int recentCount;
    /** After a restart: what the old epoch delivered last, each to be skipped once; null if none. */
    private Set<Long> before;
    private long counted; // the epoch that last counts under
    /** After a restart: a channel not seen yet counts from 0, not from its first message. */
    private boolean fromZero;

    /**
     * {@code epoch}: the current one, which a restart may change while a gap is being filled; a
     * number that only grows, so that a message counted under an older one is told apart.
     */
    public OrderedDelivery(HistorySource source, Consumer<ChatMessage> listener, LongSupplier epoch) {
        this.source = source;
        this.listener = listener;
        this.epoch = epoch;
        this.counted = epoch.getAsLong();
    }

    /**
     * Hands {@code message}, counted under {@code epoch}, to the listener, after the ones missing
     * before it; drops it if it was delivered already, or if it was counted under an older epoch
     * than the newest seen, or the server restarted while its gap was being filled (it is the
     * old server's).
     */
    public void deliver(ChatMessage message, long epoch) {
        if (epoch < counted) {
            return; // the old server's, handed over before the restart was known: void
        }
        follow(epoch);
        Long seen = last.get(message.channel());
        long previous = seen != null ? seen : fromZero ? 0 : message.seq() - 1;
        boolean gap = message.seq() > previous + 1;
        if (message.seq() > previous && (!gap || fill(message.channel(), message.seq() - 1))) {
            accept(message); // a fill that stopped short of it leaves it next now
        }
    }

    /**
     * Delivers the messages of {@code channel} {@code from} (the first one lost) up to
     * {@code upTo}: messages counted under {@code epoch} that were lost before they reached
     * {@link #deliver}. For a channel delivered from before, it starts after the last one
     * delivered; for one not seen yet, at {@code from}, as {@link #deliver} would have started
     * at the first of them (under a new epoch, at 1). Does nothing if the epoch has changed since.
     */
    public void catchUp(String channel, long from, long upTo, long epoch) {
        if (epoch == this.epoch.getAsLong()) {
            follow(epoch);
            if (!fromZero) {
                last.putIfAbsent(channel, from - 1);
            }
            fill(channel, upTo);
        }
    }

    private void follow(long epoch) {
        if (epoch != counted) {
            last.clear();
            fromZero = true;
            counted = epoch;
            Set<Long> older = before;
            before = new HashSet<>(recentCount * 2);
            for (int i = 0; i < recentCount; i++) {
                before.add(recent[i]);
            }
            // What the epoch before last delivered and this one did not bring again: a post that
            // server recorded, the next did not, and a third does.
            if (older != null) {
                for (Long key : older) {
                    if (before.size() >= 2 * REMEMBERED) {
                        break;
                    }
                    before.add(key);
                }
            }
            recentCount = 0;
            recentNext = 0;
        }
    }

    private void accept(ChatMessage m) {
        last.put(m.channel(), m.seq());
        long key = key(m);
        // Remembered even when skipped, so that a post sent again to a third server is skipped too.
        recent[recentNext] = key;
        recentNext = (recentNext + 1) % REMEMBERED;
        recentCount = Math.min(recentCount + 1, REMEMBERED);
        if (before != null && !before.isEmpty() && before.remove(key)) {
            return; // delivered under the old epoch: sent again to the new server
        }
        listener.accept(m);
    }

    /**
     * What makes a message the same post under another epoch, all but its {@code seq}, as 64
     * bits: two posts of one user in one channel at the same millisecond with texts of the same
     * hash are taken for one.
     */
    private static long key(ChatMessage m) {
        long h = m.channel().hashCode();
        h = h * 0x9E3779B97F4A7C15L + m.user().hashCode();
        h = h * 0x9E3779B97F4A7C15L + m.time().toEpochMilli();
        return h * 0x9E3779B97F4A7C15L + m.text().hashCode();
    }

    /**
     * Delivers what the source holds of {@code channel} after the last delivered up to {@code upTo}.
     * Stops early when the source has no more (the log no longer holds them), stops advancing,
     * or fails; false if the epoch changed meanwhile, so the pages were not the ones asked for.
     */
    private boolean fill(String channel, long upTo) {
        long after = last.getOrDefault(channel, 0L);
        try {
            while (after < upTo) {
                int limit = (int) Math.min(HubOptions.MAX_HISTORY_LIMIT, upTo - after);
                HistoryPage page = source.after(channel, after, limit);
                if (epoch.getAsLong() != counted) {
                    return false;
                }
                long before = after;
                for (ChatMessage m : page.messages()) {
                    if (m.seq() > after && m.seq() <= upTo && m.channel().equals(channel)) {
                        accept(m);
                        after = m.seq();
                    }
                }
                if (after == before) {
                    break; // nothing newer: the log no longer holds them, or the source stopped
                }
            }
        } catch (IOException e) {
            log.warn("cannot fetch missed messages of {} up to {}: {}", channel, upTo, PeerText.excerpt(e.getMessage()));
        }
        return true;
    }
}
