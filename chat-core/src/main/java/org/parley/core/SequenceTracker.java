package org.parley.core;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Follows the sequence numbers of the channels a subscriber receives, to tell the next
 * message from a duplicate and from one that came after a gap.
 *
 * <p>Publication is at most once, so a subscriber that falls behind loses messages; a gap in
 * {@code seq} shows it, and the missing ones can be fetched from the server's log. The usual
 * loop: {@link #check} a message; on {@link Verdict#GAP} {@link #fill} the gap from history;
 * then {@link #accept} the message.
 *
 * <p>Thread safety: not thread-safe; use it from one thread (a client's delivery thread).
 */
public final class SequenceTracker {
    /** What a message is, relative to what was accepted before. Thread safety: immutable. */
    public enum Verdict {
        /** The first message seen of its channel, or the one right after the last. */
        NEXT,
        /** Already accepted, or older: drop it. */
        DUPLICATE,
        /** Messages between the last accepted and this one are missing. */
        GAP
    }

    /**
     * Where {@link #fill} reads missing messages: a hub's log, or a server's history.
     *
     * <p>Thread safety: called on the thread that calls {@link #fill}.
     */
    @FunctionalInterface
    public interface HistorySource {
        /**
         * Messages of {@code channel} with {@code seq > after}, oldest first, at most
         * {@code limit}; an empty page when there are none or the caller should stop.
         */
        HistoryPage after(String channel, long after, int limit) throws IOException;
    }

    private final Map<String, Long> last = new HashMap<>();
    /** After {@link #restart()}: a channel not seen yet counts from 0, not from its first message. */
    private boolean fromZero;

    public Verdict check(ChatMessage message) {
        Long seen = last.get(message.channel());
        if (seen == null) {
            seen = fromZero ? 0L : message.seq() - 1;
        }
        if (message.seq() == seen + 1) {
            return Verdict.NEXT;
        }
        return message.seq() <= seen ? Verdict.DUPLICATE : Verdict.GAP;
    }

    /** Records {@code message} as delivered. */
    public void accept(ChatMessage message) {
        last.merge(message.channel(), message.seq(), Math::max);
    }

    /** The newest accepted {@code seq} of {@code channel}, 0 if none. */
    public long last(String channel) {
        return last.getOrDefault(channel, 0L);
    }

    /**
     * Forgets every channel because the server's numbering began again (it restarted with an
     * empty log): from now on every channel counts from 0, so a first message with
     * {@code seq > 1} is a {@link Verdict#GAP} whose start can be fetched from the new log.
     */
    public void restart() {
        last.clear();
        fromZero = true;
    }

    /**
     * Fetches the messages of {@code channel} after {@link #last} up to {@code upTo} from
     * {@code source}, accepting and handing to {@code deliver}, in order, each one not yet
     * accepted. Stops early when the source has no more (the log no longer holds them) or
     * stops advancing.
     *
     * @throws IOException what the source threw; what was delivered before stays accepted
     */
    public void fill(String channel, long upTo, HistorySource source, Consumer<ChatMessage> deliver)
            throws IOException {
        long after = last(channel);
        while (after < upTo) {
            int want = (int) Math.min(HubOptions.MAX_HISTORY_LIMIT, upTo - after);
            HistoryPage page = source.after(channel, after, want);
            long before = after;
            for (ChatMessage m : page.messages()) {
                if (m.seq() <= upTo && m.channel().equals(channel) && check(m) != Verdict.DUPLICATE) {
                    accept(m);
                    deliver.accept(m);
                }
                after = Math.max(after, m.seq());
            }
            if (after == before) {
                return; // nothing newer: the log no longer holds them, or the source stopped
            }
        }
    }
}
