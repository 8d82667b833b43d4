package org.parley.core;

import org.parley.core.internal.Names;

import java.util.List;
import java.util.Objects;

/**
 * The answer to a history request: messages of one channel, oldest first.
 *
 * <p>Thread safety: immutable.
 *
 * @param channel  the channel asked for ({@value Names#ALL} for the merged view)
 * @param first    the oldest {@code seq} the log still holds for the channel, 0 if none
 *                 (0 for {@value Names#ALL}, where sequence numbers are per channel)
 * @param last     the newest {@code seq} the channel has been given, 0 if none
 *                 (0 for {@value Names#ALL})
 * @param messages the messages, oldest first
 */
public record HistoryPage(String channel, long first, long last, List<ChatMessage> messages) {
    public HistoryPage {
        Objects.requireNonNull(channel, "channel");
        messages = List.copyOf(messages);
    }
}
