package org.parley.core;

import org.parley.core.internal.Names;
import org.parley.core.internal.ChatTime;

import java.time.Instant;
import java.util.Objects;

/**
 * One chat message as the server recorded it: the channel, the server's per-channel
 * sequence number, the author, the author's time and the text.
 *
 * <p>The constructor checks the shape (names, a positive {@code seq}, a text present);
 * the size and content rules of the text, which depend on configured limits, are the hub's.
 *
 * <p>Thread safety: immutable.
 *
 * @param channel the channel it was posted to; never {@value Names#ALL}
 * @param seq     the per-channel sequence number, from 1 with no gaps
 * @param user    the author's name
 * @param time    when the author posted it, at millisecond precision
 * @param text    the text
 */
public record ChatMessage(String channel, long seq, String user, Instant time, String text) {
    public ChatMessage {
        if (!Names.isValidChannel(channel) || Names.ALL.equals(channel)) {
            throw new IllegalArgumentException("channel " + Names.quote(channel)
                    + " is not a channel one can post to (rule " + Names.CHANNEL_RULE + ", not ALL)");
        }
        if (seq < 1) {
            throw new IllegalArgumentException("seq < 1: " + seq);
        }
        Names.checkUser(user);
        time = ChatTime.truncate(Objects.requireNonNull(time, "time"));
        Objects.requireNonNull(text, "text");
    }

    /**
     * The line a channel client prints: {@code username: message (HH:mm:ss)} in local time,
     * the text under the display rule of {@link Names#printable}.
     */
    public String displayLine() {
        return user + ": " + Names.printable(text) + " (" + ChatTime.clock(time) + ")";
    }

    /** The line an {@code ALL} client prints: {@code [channel] username: message (HH:mm:ss)}. */
    public String displayLineWithChannel() {
        return "[" + channel + "] " + displayLine();
    }
}
