package org.parley.core;

import java.util.HashMap;
import java.util.Map;

/**
 * Follows the sequence numbers of the channels a subscriber receives, to tell the next
 * message from a duplicate and from one that came after a gap.
 *
 * <p>Publication is at most once, so a subscriber that falls behind loses messages; a gap in
 * {@code seq} shows it, and the missing ones can be fetched from the server's log. The usual
 * loop: {@link #check} a message; on {@link Verdict#GAP} fetch the messages after
 * {@link #last} and {@link #accept} each that is {@link Verdict#NEXT}; then accept the message.
 *
 * <p>Thread safety: not thread-safe; use it from one thread (a client's delivery thread).
 */
public final class SequenceTracker {
    /** What a message is, relative to what was accepted before. */
    public enum Verdict {
        /** The first message seen of its channel, or the one right after the last. */
        NEXT,
        /** Already accepted, or older: drop it. */
        DUPLICATE,
        /** Messages between the last accepted and this one are missing. */
        GAP
    }

    private final Map<String, Long> last = new HashMap<>();

    public Verdict check(ChatMessage message) {
        Long seen = last.get(message.channel());
        if (seen == null || message.seq() == seen + 1) {
            return Verdict.NEXT;
        }
        return message.seq() <= seen ? Verdict.DUPLICATE : Verdict.GAP;
    }

    /** Records {@code message} as delivered. */
    public void accept(ChatMessage message) {
        last.merge(message.channel(), message.seq(), Math::max);
    }

    /** Records that everything of {@code channel} up to {@code seq} is known (after a history read). */
    public void advanceTo(String channel, long seq) {
        if (seq > 0) {
            last.merge(channel, seq, Math::max);
        }
    }

    /** The newest accepted {@code seq} of {@code channel}, 0 if none. */
    public long last(String channel) {
        return last.getOrDefault(channel, 0L);
    }

    /** Whether anything of {@code channel} was accepted. */
    public boolean knows(String channel) {
        return last.containsKey(channel);
    }
}
