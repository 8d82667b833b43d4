package org.parley.core;

import java.time.Instant;
import java.util.Objects;

/**
 * The server's acknowledgement of a post: the message is in its log and on its way to the
 * subscribers.
 *
 * <p>Thread safety: immutable.
 *
 * @param channel the channel the message was recorded in
 * @param seq     the sequence number it was given
 * @param time    the message's time as recorded
 */
public record PostAck(String channel, long seq, Instant time) {
    public PostAck {
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(time, "time");
        if (seq < 1) {
            throw new IllegalArgumentException("seq < 1: " + seq);
        }
    }

    /** The acknowledgement of a recorded message, for the in-process client. */
    static PostAck of(ChatMessage message) {
        return new PostAck(message.channel(), message.seq(), message.time());
    }
}
