package org.parley.core.internal;

/**
 * Size limits of the protocol: the text of one message and one whole wire message.
 *
 * <p>Thread safety: immutable.
 *
 * @param maxTextBytes  the largest text, in bytes of UTF-8
 * @param maxFrameBytes the largest wire message (a ZeroMQ frame or a JSON object), in bytes
 */
public record ChatLimits(int maxTextBytes, int maxFrameBytes) {
    public static final int DEFAULT_MAX_TEXT_BYTES = 16 * 1024;
    public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024;
    public static final ChatLimits DEFAULT = new ChatLimits(DEFAULT_MAX_TEXT_BYTES, DEFAULT_MAX_FRAME_BYTES);
    /** Nesting allowed in a JSON wire message: the protocol's own objects are two levels deep. */
    public static final int MAX_JSON_NESTING = 16;
    /** Digits allowed in a JSON number: a seq, a port or a limit needs at most 19. */
    public static final int MAX_JSON_NUMBER_DIGITS = 100;

    /**
     * Checks a TCP port given to a transport: {@code lowest}..65535, where 0 (an ephemeral port)
     * makes sense to bind to and never to connect to. One message for every transport.
     *
     * @throws IllegalArgumentException naming {@code what} and the range
     */
    public static void checkPort(String what, int port, int lowest) {
        if (port < lowest || port > 65535) {
            throw new IllegalArgumentException(what + " " + port + " is outside " + lowest + "..65535");
        }
    }

    public ChatLimits {
        if (maxTextBytes < 1) {
            throw new IllegalArgumentException("maxTextBytes < 1: " + maxTextBytes);
        }
        if (maxFrameBytes < maxTextBytes) {
            throw new IllegalArgumentException(
                    "maxFrameBytes " + maxFrameBytes + " < maxTextBytes " + maxTextBytes);
        }
    }
}
