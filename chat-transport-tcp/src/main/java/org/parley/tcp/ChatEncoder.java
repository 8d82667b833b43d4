package org.parley.tcp;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Encodes chat messages to the bytes {@link WireCodec#encodeChat} describes, keeping those
 * before and after the text of the last message: a connection sends to, and a server forwards
 * from, the same addresses on the same topic over and over, so most messages need only their
 * text checked and copied. The mirror of the head and tail that {@link PlainChatScanner} keeps when reading.
 *
 * <p>Thread safety: not thread-safe; one per selector thread.
 */
final class ChatEncoder {
    private TcpAddress source; // null before the first message: no source equals it
    private TcpAddress destination;
    private String topic;
    private byte[] head; // up to the text's opening quote; null if a string in it is not verbatim
    private String user; // none, whose tail is the one below to begin with
    private byte[] tail = WireCodec.plainTail(null); // from the text's closing quote through the newline
    private String verbatimText; // a text known to be verbatim (this very object), or null

    /**
     * Tells that {@code text}, this very string, is verbatim: a text the loop's scanner read
     * (printable ASCII, no quote, no backslash), which the server forwards at once. Its next
     * encoding then skips the check.
     */
    void knownVerbatim(String text) {
        verbatimText = text;
    }

    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): see below
    ByteBuffer encode(TcpAddress source, TcpAddress destination, String topic, String text, String user) {
        if (!source.equals(this.source) || !Objects.equals(destination, this.destination) || !topic.equals(this.topic)) {
            this.head = WireCodec.plainHead(source, destination, topic);
            this.source = source;
            this.destination = destination;
            this.topic = topic;
        }
        if (!Objects.equals(user, this.user)) {
            this.tail = WireCodec.plainTail(user); // null if the user is not verbatim
            this.user = user;
        }
        if (head == null || tail == null || (text != verbatimText && !WireCodec.isVerbatim(text))) {
            return WireCodec.encodeChatWithJackson(source, destination, topic, text, user);
        }
        byte[] out = Arrays.copyOf(head, head.length + text.length() + tail.length);
        text.getBytes(0, text.length(), out, head.length); // ASCII: the deprecated copy is exact and cheapest
        System.arraycopy(tail, 0, out, head.length + text.length(), tail.length);
        return ByteBuffer.wrap(out).asReadOnlyBuffer();
    }
}
