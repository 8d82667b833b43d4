package org.parley.tcp;

import java.util.Objects;

/**
 * A chat message of the TCP transport, as received: who sent it, to whom, its topic and text.
 *
 * <p>Thread safety: immutable.
 *
 * @param source      the sender; a topic server rewrites it to the address it observed
 * @param destination the receiver as the sender named it, or {@code null} if absent
 * @param topic       the topic ({@value #DIRECT_TOPIC} in direct mode)
 * @param text        the text
 * @param user        the author's name if the message carries one ({@code message.user}), else {@code null}
 */
public record TcpMessage(TcpAddress source, TcpAddress destination, String topic, String text, String user) {
    /** The topic of every direct-mode message. */
    public static final String DIRECT_TOPIC = "direct";

    public TcpMessage {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(text, "text");
    }

    /**
     * The line the {@code chat} command prints: {@code topic:text} (the seed's form) for a
     * message without a user name, {@code topic:user: text} for one with a name.
     */
    public String displayLine() {
        return user == null ? topic + ":" + text : topic + ":" + user + ": " + text;
    }
}
