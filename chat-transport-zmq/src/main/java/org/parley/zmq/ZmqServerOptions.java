package org.parley.zmq;

import java.util.Objects;
import org.parley.core.ChatHub;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.HubAccess;

/**
 * Settings of a {@link ZmqChatServer}: where it binds, which hub it serves, whether it
 * publishes, how much it buffers, and how much a peer may send it.
 *
 * <pre>{@code
 * ZmqServerOptions options = ZmqServerOptions.builder()
 *         .host("127.0.0.1").postPort(5555).pubPort(5556)
 *         .build();
 * }</pre>
 *
 * <p>Port 0 binds an ephemeral port; {@link ZmqChatServer#postPort()} and
 * {@link ZmqChatServer#pubPort()} report the ports actually bound.
 *
 * <p>Thread safety: immutable.
 */
public final class ZmqServerOptions {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_POST_PORT = 5555;
    public static final int DEFAULT_PUB_PORT = 5556;
    /** Messages queued per subscriber on the PUB socket before ZeroMQ drops for it. */
    public static final int DEFAULT_SEND_HIGH_WATER_MARK = 10_000;
    /** Requests queued per peer on the post socket. */
    public static final int DEFAULT_RECEIVE_HIGH_WATER_MARK = 1_000;
    /** Posts from other threads (a bridge) waiting to be published. */
    public static final int DEFAULT_PUBLISH_QUEUE_CAPACITY = 100_000;
    /**
     * Bytes of one frame that a peer may send to the post socket, with a hub of the default
     * limits: twice the hub's frame limit, so a request a little too big still gets an error
     * reply. With another hub, twice its frame limit (at most {@link Integer#MAX_VALUE}).
     */
    public static final int DEFAULT_MAX_INCOMING_BYTES = 2 * ChatLimits.DEFAULT_MAX_FRAME_BYTES;
    /** Frames of one message a peer may send to the post socket; a request needs two. */
    public static final int DEFAULT_MAX_INCOMING_FRAMES = 16;
    /**
     * Bytes of frames under way and of unfinished messages that all peers of the post socket
     * together may make it hold: 64 MiB, or four times {@code maxIncomingBytes} if that is more.
     */
    public static final long DEFAULT_MAX_INCOMING_BUFFERED_BYTES = 64L * 1024 * 1024;
    /** Subscriptions one connection to the PUB socket may hold at once. */
    public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_PEER = 256;
    /**
     * Bytes of subscription prefixes all connections to the PUB socket may hold together: 1 MiB,
     * about 4,000 of the longest (258 bytes) or 90,000 of channels of ten characters.
     */
    public static final long DEFAULT_MAX_SUBSCRIPTION_BYTES = 1024 * 1024;

    private final String host;
    private final int postPort;
    private final int pubPort;
    private final boolean publish;
    private final ChatHub hub;
    private final int sendHighWaterMark;
    private final int receiveHighWaterMark;
    private final int publishQueueCapacity;
    private final int maxIncomingBytes;
    private final int maxIncomingFrames;
    private final long maxIncomingBufferedBytes;
    private final int maxSubscriptionsPerPeer;
    private final long maxSubscriptionBytes;
    private final String curveSecretKey;
    private final long maxHeldAnswerBytes;

    private ZmqServerOptions(Builder b) {
        this.host = b.host;
        this.postPort = b.postPort;
        this.pubPort = b.pubPort;
        this.publish = b.publish;
        this.hub = b.hub;
        this.sendHighWaterMark = b.sendHighWaterMark;
        this.receiveHighWaterMark = b.receiveHighWaterMark;
        this.publishQueueCapacity = b.publishQueueCapacity;
        this.maxIncomingBytes = b.incomingBytes();
        this.maxIncomingFrames = b.maxIncomingFrames;
        this.maxIncomingBufferedBytes = b.maxIncomingBufferedBytes != null ? b.maxIncomingBufferedBytes
                : Math.max(DEFAULT_MAX_INCOMING_BUFFERED_BYTES, 4L * maxIncomingBytes);
        this.maxSubscriptionsPerPeer = b.maxSubscriptionsPerPeer;
        this.maxSubscriptionBytes = b.maxSubscriptionBytes;
        this.curveSecretKey = b.curveSecretKey;
        this.maxHeldAnswerBytes = b.maxHeldAnswerBytes;
    }

    public static Builder builder() {
        return new Builder();
    }

    String host() {
        return host;
    }

    int postPort() {
        return postPort;
    }

    int pubPort() {
        return pubPort;
    }

    /** Whether the server binds a PUB socket and publishes what it records. */
    boolean publish() {
        return publish;
    }

    /** The hub to attach to, or {@code null}: the server then makes and owns one. */
    ChatHub hub() {
        return hub;
    }

    /** Bytes of answers held for posts being stored, past which no request is read (see ZmqChatServer). */
    long maxHeldAnswerBytes() {
        return maxHeldAnswerBytes;
    }

    /** The server's CurveZMQ secret key in Z85, or {@code null} for plain connections. */
    String curveSecretKey() {
        return curveSecretKey;
    }

    int sendHighWaterMark() {
        return sendHighWaterMark;
    }

    int receiveHighWaterMark() {
        return receiveHighWaterMark;
    }

    int publishQueueCapacity() {
        return publishQueueCapacity;
    }

    /** See {@link Builder#maxIncomingBytes}. */
    int maxIncomingBytes() {
        return maxIncomingBytes;
    }

    /** See {@link Builder#maxIncomingFrames}. */
    int maxIncomingFrames() {
        return maxIncomingFrames;
    }

    /** See {@link Builder#maxIncomingBufferedBytes}. */
    long maxIncomingBufferedBytes() {
        return maxIncomingBufferedBytes;
    }

    /** See {@link Builder#maxSubscriptionsPerPeer}. */
    int maxSubscriptionsPerPeer() {
        return maxSubscriptionsPerPeer;
    }

    /** See {@link Builder#maxSubscriptionBytes}. */
    long maxSubscriptionBytes() {
        return maxSubscriptionBytes;
    }

    /**
     * Builds {@link ZmqServerOptions}; {@link #build()} checks the values.
     *
     * <p>Thread safety: not thread-safe; fill it in on one thread, then share what it builds.
     */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int postPort = DEFAULT_POST_PORT;
        private int pubPort = DEFAULT_PUB_PORT;
        private boolean publish = true;
        private ChatHub hub;
        private String curvePublicKey;
        private String curveSecretKey;
        private long maxHeldAnswerBytes = ZmqChatServer.MAX_HELD_ANSWER_BYTES;
        private int sendHighWaterMark = DEFAULT_SEND_HIGH_WATER_MARK;
        private int receiveHighWaterMark = DEFAULT_RECEIVE_HIGH_WATER_MARK;
        private int publishQueueCapacity = DEFAULT_PUBLISH_QUEUE_CAPACITY;
        private Integer maxIncomingBytes; // null: twice the hub's frame limit
        private int maxIncomingFrames = DEFAULT_MAX_INCOMING_FRAMES;
        private Long maxIncomingBufferedBytes; // null: see DEFAULT_MAX_INCOMING_BUFFERED_BYTES
        private int maxSubscriptionsPerPeer = DEFAULT_MAX_SUBSCRIPTIONS_PER_PEER;
        private long maxSubscriptionBytes = DEFAULT_MAX_SUBSCRIPTION_BYTES;

        private Builder() {
        }

        /** The address to bind: an IP address or a host name, {@code *} for every interface. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The post (ROUTER) port; 0 for an ephemeral one. */
        public Builder postPort(int port) {
            this.postPort = port;
            return this;
        }

        /** The PUB port; 0 for an ephemeral one. Ignored with {@code publish(false)}. */
        public Builder pubPort(int port) {
            this.pubPort = port;
            return this;
        }

        /** {@code false}: record posts and answer requests, but bind no PUB socket (Part 1). */
        public Builder publish(boolean publish) {
            this.publish = publish;
            return this;
        }

        /** Serve this hub (shared with other transports: a bridge); the caller closes it. */
        public Builder hub(ChatHub hub) {
            this.hub = Objects.requireNonNull(hub, "hub");
            return this;
        }

        public Builder sendHighWaterMark(int messages) {
            this.sendHighWaterMark = messages;
            return this;
        }

        public Builder receiveHighWaterMark(int messages) {
            this.receiveHighWaterMark = messages;
            return this;
        }

        public Builder publishQueueCapacity(int messages) {
            this.publishQueueCapacity = messages;
            return this;
        }

        /**
         * The most bytes a peer may send to the post socket in one frame, and the bound on one
         * multipart message in all; default twice the hub's frame limit (saturating), that is
         * {@value ZmqServerOptions#DEFAULT_MAX_INCOMING_BYTES} with the default limits. A peer
         * that declares a larger frame is disconnected. A message is ended at the frame that
         * brings its frames so far (all but a last one) to the bound or past it (the request is
         * refused with an error reply) and the rest of it is dropped; that frame is kept whole
         * and a last frame is not counted, so a message holds less than twice the bound. At
         * least the hub's frame limit.
         */
        public Builder maxIncomingBytes(int bytes) {
            this.maxIncomingBytes = bytes;
            return this;
        }

        /**
         * The most frames of one message a peer may send to the post socket; default
         * {@value ZmqServerOptions#DEFAULT_MAX_INCOMING_FRAMES}. A longer message is ended at
         * that frame (the request is refused with an error reply) and the rest of it is
         * dropped. At least 2: a request is an empty delimiter and a body.
         */
        public Builder maxIncomingFrames(int frames) {
            this.maxIncomingFrames = frames;
            return this;
        }

        /**
         * The most bytes that all peers of the post socket together may make it hold in frames
         * under way (allocated whole when their header arrives) and in multipart messages not
         * yet complete; default {@value ZmqServerOptions#DEFAULT_MAX_INCOMING_BUFFERED_BYTES}, or
         * four times {@link #maxIncomingBytes} if that is more. Past it, a peer that declares a
         * frame of more than 8 KiB is treated as one that declared a bogus length: nothing
         * more is read from it (a message it had under way is ended and refused). At least
         * {@link #maxIncomingBytes}.
         */
        public Builder maxIncomingBufferedBytes(long bytes) {
            this.maxIncomingBufferedBytes = bytes;
            return this;
        }

        /**
         * The most subscriptions one connection to the PUB socket may hold at once; default
         * {@value ZmqServerOptions#DEFAULT_MAX_SUBSCRIPTIONS_PER_PEER}. Subscriptions past it
         * are dropped (logged), as are subscriptions a Parley client never sends.
         */
        public Builder maxSubscriptionsPerPeer(int subscriptions) {
            this.maxSubscriptionsPerPeer = subscriptions;
            return this;
        }

        /** What {@link #maxIncomingBytes} comes to: as set, or twice the hub's frame limit. */
        private int incomingBytes() {
            if (maxIncomingBytes != null) {
                return maxIncomingBytes;
            }
            return (int) Math.min(Integer.MAX_VALUE, 2L * frameLimit());
        }

        private int frameLimit() {
            return hub != null ? HubAccess.limits(hub).maxFrameBytes() : ChatLimits.DEFAULT_MAX_FRAME_BYTES;
        }

        /**
         * The most bytes of subscription prefixes all connections to the PUB socket may hold
         * together, each connection's distinct prefixes counted once (the empty prefix as 1);
         * default {@value ZmqServerOptions#DEFAULT_MAX_SUBSCRIPTION_BYTES}. A connection's
         * subscriptions leave the count when it cancels them or when JeroMQ has dropped the
         * closed connection (its state is collected). Subscriptions past it are dropped
         * (logged at most once per 10 s). At least 258, the longest subscription.
         */
        public Builder maxSubscriptionBytes(long bytes) {
            this.maxSubscriptionBytes = bytes;
            return this;
        }

        /**
         * Encrypts every connection with CurveZMQ under this key pair (each 40 characters of
         * Z85, as {@code parley keygen} writes them); clients need the public key. The hub must
         * authenticate ({@link org.parley.core.HubOptions.Builder#usersFile}): a client is let in
         * only with a key of the hub's users file, and posts and reads as that user.
         */
        public Builder curve(String publicKey, String secretKey) {
            this.curvePublicKey = CurveKeys.requireKey("public key", publicKey);
            this.curveSecretKey = CurveKeys.requireKey("secret key", secretKey);
            if (!CurveKeys.publicKeyOf(curveSecretKey).equals(curvePublicKey)) {
                throw new IllegalArgumentException("the public key is not the secret key's");
            }
            return this;
        }

        /** For tests: a smaller bound on the answers held for a store that takes its time. */
        Builder maxHeldAnswerBytes(long bytes) {
            this.maxHeldAnswerBytes = bytes;
            return this;
        }

        public ZmqServerOptions build() {
            if (hub != null && HubAccess.authenticates(hub) && curveSecretKey == null) {
                throw new IllegalArgumentException("the hub authenticates its users: the server needs "
                        + "its CurveZMQ key pair (curve(publicKey, secretKey))");
            }
            if (curveSecretKey != null && (hub == null || !HubAccess.authenticates(hub))) {
                // Under CurveZMQ the frame guard sees only encrypted frames: its bounds on a
                // message's frames and on subscriptions hold for no peer, so only users may connect.
                throw new IllegalArgumentException("CurveZMQ needs a hub that authenticates its users "
                        + "(HubOptions.Builder.usersFile): the server lets in only their keys");
            }
            if (host.isBlank()) {
                throw new IllegalArgumentException("host is blank");
            }
            ChatLimits.checkPort("postPort", postPort, 0);
            ChatLimits.checkPort("pubPort", pubPort, 0);
            if (publish && postPort != 0 && postPort == pubPort) {
                throw new IllegalArgumentException("postPort and pubPort are both " + postPort);
            }
            checkPositive("sendHighWaterMark", sendHighWaterMark);
            checkPositive("receiveHighWaterMark", receiveHighWaterMark);
            checkPositive("publishQueueCapacity", publishQueueCapacity);
            int frameLimit = frameLimit();
            int incomingBytes = incomingBytes();
            if (incomingBytes < frameLimit) {
                throw new IllegalArgumentException("maxIncomingBytes " + incomingBytes
                        + " is below the hub's frame limit of " + frameLimit);
            }
            if (maxIncomingFrames < 2) {
                throw new IllegalArgumentException("maxIncomingFrames < 2: " + maxIncomingFrames);
            }
            if (maxIncomingBufferedBytes != null && maxIncomingBufferedBytes < incomingBytes) {
                throw new IllegalArgumentException("maxIncomingBufferedBytes " + maxIncomingBufferedBytes
                        + " is below maxIncomingBytes " + incomingBytes);
            }
            checkPositive("maxSubscriptionsPerPeer", maxSubscriptionsPerPeer);
            if (maxSubscriptionBytes < FrameGuard.MAX_SUBSCRIPTION_BYTES) {
                throw new IllegalArgumentException("maxSubscriptionBytes " + maxSubscriptionBytes
                        + " is below the longest subscription, " + FrameGuard.MAX_SUBSCRIPTION_BYTES + " bytes");
            }
            return new ZmqServerOptions(this);
        }

        static void checkPositive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " < 1: " + value);
            }
        }
    }
}
