package org.parley.zmq;

import java.time.Duration;
import java.util.Objects;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.Names;

/**
 * Settings of a {@link ZmqChatClient}: the server's address and ports, the user name, and
 * the client's time limits and buffers.
 *
 * <pre>{@code
 * ZmqClientOptions options = ZmqClientOptions.builder()
 *         .host("127.0.0.1").postPort(5555).pubPort(5556).user("alice")
 *         .build();
 * }</pre>
 *
 * <p>A client needs the post port to post and to read history, and the PUB port to
 * subscribe; either may be left out ({@link #NO_PORT}) for a client that only does the other.
 *
 * <p>Thread safety: immutable.
 */
public final class ZmqClientOptions {
    /** A port not given: the client does without that socket. */
    public static final int NO_PORT = -1;
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_USER = "anonymous";
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** How long a post is sent again, across reconnections and server restarts, before it fails. */
    public static final Duration DEFAULT_POST_TIMEOUT = Duration.ofSeconds(30);
    /** Messages held for slow listeners (SUB socket and delivery queue) before dropping. */
    public static final int DEFAULT_RECEIVE_HIGH_WATER_MARK = 10_000;
    /** Requests waiting to be sent or answered. */
    public static final int DEFAULT_MAX_PENDING_REQUESTS = 10_000;
    /**
     * Bytes of one frame a server may send: 1 MiB, sixteen times the protocol's default frame
     * limit, which bounds a Parley server's replies and publications.
     */
    public static final int DEFAULT_MAX_INCOMING_BYTES = 1024 * 1024;

    private final String host;
    private final int postPort;
    private final int pubPort;
    private final String user;
    private final Duration requestTimeout;
    private final Duration postTimeout;
    private final java.util.function.Consumer<Boolean> onConnection;
    private final int receiveHighWaterMark;
    private final int maxPendingRequests;
    private final int maxIncomingBytes;
    /** The server's public key, this client's public and secret keys, in Z85; null for plain connections. */
    private final String[] curve;

    private ZmqClientOptions(Builder b) {
        this.host = b.host;
        this.postPort = b.postPort;
        this.pubPort = b.pubPort;
        this.user = b.user;
        this.requestTimeout = b.requestTimeout;
        this.postTimeout = b.postTimeout;
        this.onConnection = b.onConnection;
        this.receiveHighWaterMark = b.receiveHighWaterMark;
        this.maxPendingRequests = b.maxPendingRequests;
        this.maxIncomingBytes = b.maxIncomingBytes;
        this.curve = b.curve;
    }

    public static Builder builder() {
        return new Builder();
    }

    String host() {
        return host;
    }

    /** The server's post port, or {@link #NO_PORT}. */
    int postPort() {
        return postPort;
    }

    /** The server's PUB port, or {@link #NO_PORT}. */
    int pubPort() {
        return pubPort;
    }

    /** The CurveZMQ keys in Z85, {server public, own public, own secret}, or null for plain connections. */
    String[] curve() {
        return curve;
    }

    String user() {
        return user;
    }

    /** How long a history request waits for its reply before failing. */
    Duration requestTimeout() {
        return requestTimeout;
    }

    /** How long a post is sent (and sent again) before it fails. */
    Duration postTimeout() {
        return postTimeout;
    }

    /** See {@link Builder#onConnection}; null for none. */
    java.util.function.Consumer<Boolean> onConnection() {
        return onConnection;
    }

    int receiveHighWaterMark() {
        return receiveHighWaterMark;
    }

    int maxPendingRequests() {
        return maxPendingRequests;
    }

    /** See {@link Builder#maxIncomingBytes}. */
    int maxIncomingBytes() {
        return maxIncomingBytes;
    }

    /**
     * Builds {@link ZmqClientOptions}; {@link #build()} checks the values.
     *
     * <p>Thread safety: not thread-safe; fill it in on one thread, then share what it builds.
     */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int postPort = NO_PORT;
        private int pubPort = NO_PORT;
        private String user = DEFAULT_USER;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration postTimeout = DEFAULT_POST_TIMEOUT;
        private java.util.function.Consumer<Boolean> onConnection;
        private int receiveHighWaterMark = DEFAULT_RECEIVE_HIGH_WATER_MARK;
        private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
        private int maxIncomingBytes = DEFAULT_MAX_INCOMING_BYTES;
        private String[] curve;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        public Builder postPort(int port) {
            this.postPort = port;
            return this;
        }

        public Builder pubPort(int port) {
            this.pubPort = port;
            return this;
        }

        /** The name posts are made as; it must follow the user-name rule. */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /** How long a history request waits for its reply; default {@code 5 s}. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * How long a post may take to be acknowledged, default {@code 30 s}. Until then it is
         * sent again each time the client connects to the server anew (the server records it
         * once: see {@link ZmqChatClient}); then it fails.
         */
        public Builder postTimeout(Duration timeout) {
            this.postTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Hears the client's connection to the post port go and come back: {@code false} when a
         * connection on which the server had answered is lost, {@code true} when the server
         * answers again after that (not for the first). ZeroMQ reconnects by itself meanwhile;
         * requests wait for it. Called on the client's delivery thread, as listeners are, in
         * order; must not block.
         */
        public Builder onConnection(java.util.function.Consumer<Boolean> listener) {
            this.onConnection = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder receiveHighWaterMark(int messages) {
            this.receiveHighWaterMark = messages;
            return this;
        }

        public Builder maxPendingRequests(int requests) {
            this.maxPendingRequests = requests;
            return this;
        }

        /**
         * The most bytes of one frame a server may send, checked by ZeroMQ before the frame is
         * read; default {@value ZmqClientOptions#DEFAULT_MAX_INCOMING_BYTES}. A server that
         * declares a larger frame is disconnected (ZeroMQ then connects again). A multipart message ends where its frames but the last
         * reach it, so it holds less than twice this. Raise it for a server whose hub has a
         * frame limit above it; at least 1 KiB.
         */
        public Builder maxIncomingBytes(int bytes) {
            this.maxIncomingBytes = bytes;
            return this;
        }

        /**
         * Encrypts both connections with CurveZMQ: {@code serverKey} is the server's public key,
         * {@code publicKey} and {@code secretKey} this client's pair (each 40 characters of Z85,
         * as {@code parley keygen} writes them). A server that authenticates lets the client in
         * as the user whose key this is; the client's user name must be that user's.
         */
        public Builder curve(String serverKey, String publicKey, String secretKey) {
            String server = CurveKeys.requireKey("server's public key", serverKey);
            String own = CurveKeys.requireKey("public key", publicKey);
            String secret = CurveKeys.requireKey("secret key", secretKey);
            if (!CurveKeys.publicKeyOf(secret).equals(own)) {
                throw new IllegalArgumentException("the public key is not the secret key's");
            }
            this.curve = new String[] {server, own, secret};
            return this;
        }

        public ZmqClientOptions build() {
            if (host.isBlank()) {
                throw new IllegalArgumentException("host is blank");
            }
            checkPort("postPort", postPort);
            checkPort("pubPort", pubPort);
            if (postPort == NO_PORT && pubPort == NO_PORT) {
                throw new IllegalArgumentException("neither postPort nor pubPort is given");
            }
            Names.checkUser(user);
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout <= 0: " + requestTimeout);
            }
            if (postTimeout.isNegative() || postTimeout.isZero()) {
                throw new IllegalArgumentException("postTimeout <= 0: " + postTimeout);
            }
            ZmqServerOptions.Builder.checkPositive("receiveHighWaterMark", receiveHighWaterMark);
            ZmqServerOptions.Builder.checkPositive("maxPendingRequests", maxPendingRequests);
            if (maxIncomingBytes < 1024) {
                throw new IllegalArgumentException("maxIncomingBytes < 1024: " + maxIncomingBytes);
            }
            return new ZmqClientOptions(this);
        }

        /** A port to connect to: 1..65535, or {@link #NO_PORT} for a socket not wanted. */
        private static void checkPort(String name, int port) {
            if (port != NO_PORT) {
                ChatLimits.checkPort(name, port, 1);
            }
        }
    }
}
