package org.parley.web;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.parley.core.ChatHub;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.HubAccess;

/**
 * Settings of a {@link WebServer}: where it listens, which hub it serves, which pages may open
 * its WebSocket, and how much a browser may send it or fall behind.
 *
 * <pre>{@code
 * WebServerOptions options = WebServerOptions.builder()
 *         .host("127.0.0.1").port(8080)
 *         .allowOrigin("https://chat.example.org")
 *         .build();
 * }</pre>
 *
 * <p>Port 0 listens on an ephemeral port; {@link WebServer#port()} reports it.
 *
 * <p>Thread safety: immutable.
 */
public final class WebServerOptions {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /**
     * Bytes of one WebSocket message a browser may send, with a hub of the default limits:
     * twice the hub's frame limit, so a request a little too big still gets an error frame
     * (a larger one closes the connection with status 1009). With another hub, twice its limit.
     */
    public static final int DEFAULT_MAX_INCOMING_BYTES = 2 * ChatLimits.DEFAULT_MAX_FRAME_BYTES;
    /**
     * Bytes sent to one connection and not yet written to the network: past this the
     * connection is a slow reader and is cut off, and nobody else waits for it.
     */
    public static final int DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
    /** Connections open at once; one more is refused at the upgrade (503). */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    /** Connections open at once from one IP address (a NAT may hide many browsers behind one). */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 32;

    private final javax.net.ssl.SSLContext tls;
    private final byte[] tokenSecret;
    private final String host;
    private final int port;
    private final ChatHub hub;
    private final Set<String> allowedOrigins;
    private final Integer maxIncomingBytes;
    private final int maxQueuedBytes;
    private final int maxConnections;
    private final int maxConnectionsPerAddress;

    private WebServerOptions(Builder b) {
        this.tls = b.tls;
        this.tokenSecret = b.tokenSecret;
        this.host = b.host;
        this.port = b.port;
        this.hub = b.hub;
        this.allowedOrigins = Set.copyOf(b.allowedOrigins);
        this.maxIncomingBytes = b.maxIncomingBytes;
        this.maxQueuedBytes = b.maxQueuedBytes;
        this.maxConnections = b.maxConnections;
        this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
    }

    /** The TLS context, or null for plain HTTP. */
    javax.net.ssl.SSLContext tls() {
        return tls;
    }

    /** The secret that signs tokens, or null when browsers do not authenticate. */
    byte[] tokenSecret() {
        return tokenSecret;
    }

    public static Builder builder() {
        return new Builder();
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    /** The hub to attach to, or {@code null}: the server then makes and owns one. */
    ChatHub hub() {
        return hub;
    }

    /** Origins allowed besides the page's own (lower case, no trailing slash). */
    Set<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** {@link Builder#maxIncomingBytes}, or twice {@code hubFrameLimit} when not set. */
    int maxIncomingBytes(int hubFrameLimit) {
        return maxIncomingBytes != null ? maxIncomingBytes : (int) Math.min(Integer.MAX_VALUE, 2L * hubFrameLimit);
    }

    int maxQueuedBytes() {
        return maxQueuedBytes;
    }

    int maxConnections() {
        return maxConnections;
    }

    int maxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    /**
     * Builds {@link WebServerOptions}; {@link #build()} checks the values.
     *
     * <p>Thread safety: not thread-safe; use one builder from one thread.
     */
    public static final class Builder {
        private javax.net.ssl.SSLContext tls;
        private byte[] tokenSecret;
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private ChatHub hub;
        private final Set<String> allowedOrigins = new LinkedHashSet<>();
        private Integer maxIncomingBytes;
        private int maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;

        private Builder() {
        }

        /** The address to listen on ({@value #DEFAULT_HOST} by default; {@code 0.0.0.0} for every interface). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port of the page and of the WebSocket, {@code /ws}; 0 picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Attaches the server to this hub (a bridge with the other transports on it); the server does not close it. */
        public Builder hub(ChatHub hub) {
            this.hub = Objects.requireNonNull(hub, "hub");
            return this;
        }

        /**
         * Lets pages of {@code origin} ({@code https://chat.example.org}, scheme, host and port
         * if not the default) open the WebSocket too. The page the server serves itself (the
         * same origin) may always; a browser page of any other origin is refused (403), so a
         * site a user visits cannot chat in their name. A client that sends no {@code Origin}
         * (not a browser) is not a page, and is let in.
         */
        public Builder allowOrigin(String origin) {
            Objects.requireNonNull(origin, "origin");
            String o = origin.toLowerCase(Locale.ROOT);
            if (!o.matches("https?://[^/\\s]+")) {
                throw new IllegalArgumentException("origin " + origin
                        + " is not a scheme and a host like https://chat.example.org (no path, no trailing slash)");
            }
            allowedOrigins.add(o);
            return this;
        }

        /** Bytes of one message a browser may send (see {@link WebServerOptions#DEFAULT_MAX_INCOMING_BYTES}). */
        public Builder maxIncomingBytes(int bytes) {
            this.maxIncomingBytes = bytes;
            return this;
        }

        /** Bytes queued for one connection before it is cut off as too slow. */
        public Builder maxQueuedBytes(int bytes) {
            this.maxQueuedBytes = bytes;
            return this;
        }

        /**
         * Serves the page and the WebSocket over TLS only ({@code https://}, {@code wss://}), with
         * this context's key and certificate.
         */
        public Builder tls(javax.net.ssl.SSLContext context) {
            this.tls = java.util.Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * The secret that signs tokens ({@code keygen --secret}; at least 32 bytes): on a hub that
         * authenticates, a connection proves its user with a token signed with it, first.
         */
        public Builder tokenSecret(byte[] secret) {
            new org.parley.core.internal.SignedTokens(secret); // checks its length
            this.tokenSecret = secret.clone();
            return this;
        }

        /** Connections open at once. */
        public Builder maxConnections(int connections) {
            this.maxConnections = connections;
            return this;
        }

        /** Connections open at once from one IP address. */
        public Builder maxConnectionsPerAddress(int connections) {
            this.maxConnectionsPerAddress = connections;
            return this;
        }

        /** @throws IllegalArgumentException naming the value that breaks its rule */
        public WebServerOptions build() {
            ChatLimits.checkPort("port", port, 0);
            if (host.isBlank()) {
                throw new IllegalArgumentException("host is blank");
            }
            if (maxIncomingBytes != null && maxIncomingBytes < 1024) {
                throw new IllegalArgumentException("maxIncomingBytes " + maxIncomingBytes + " is below 1024");
            }
            if (maxQueuedBytes < 1024) {
                throw new IllegalArgumentException("maxQueuedBytes " + maxQueuedBytes + " is below 1024");
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections " + maxConnections + " is below 1");
            }
            if (maxConnectionsPerAddress < 1) {
                throw new IllegalArgumentException("maxConnectionsPerAddress " + maxConnectionsPerAddress + " is below 1");
            }
            if (hub != null && HubAccess.isClosed(hub)) {
                throw new IllegalArgumentException("hub is closed");
            }
            if (hub != null && HubAccess.authenticates(hub) && (tls == null || tokenSecret == null)) {
                // A browser proves who it is with a signed token, which only TLS keeps from others.
                throw new IllegalArgumentException("the hub authenticates its users: the WebSocket server needs TLS "
                        + "(tls(context)) and a token secret (tokenSecret(secret)), with which browsers prove who they are");
            }
            if (tokenSecret != null && (hub == null || !HubAccess.authenticates(hub))) {
                throw new IllegalArgumentException("a token secret needs a hub that authenticates its users "
                        + "(HubOptions.Builder.usersFile): its rules are what a token's user may do");
            }
            return new WebServerOptions(this);
        }
    }
}
