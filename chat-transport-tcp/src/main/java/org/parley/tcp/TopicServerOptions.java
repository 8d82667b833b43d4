package org.parley.tcp;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import org.parley.core.ChatHub;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.HubAccess;

/**
 * Settings of a {@link TopicServer}: where it listens, which hub it serves and its limits.
 *
 * <pre>{@code
 * TopicServerOptions options = TopicServerOptions.builder().port(7777).build();
 * }</pre>
 *
 * <p>What a connection may hold, and for how long: at most one unfinished object of at most
 * the frame limit (raw bytes, nothing more), for at most {@link #objectTimeout()}; a
 * registration within {@link #registrationTimeout()} of connecting; at most
 * {@link #maxConnectionsPerAddress()} connections from one IP address. A peer that crosses a
 * limit gets {@code {"error":"..."}} naming it, and is closed. A registered client that only
 * listens is never cut for being quiet: it is TCP keep-alive ({@link #keepAliveIdle()}), which
 * the peer's kernel answers, that finds a peer gone without a word, and nothing new goes on the
 * wire.
 *
 * <p>Thread safety: immutable.
 */
public final class TopicServerOptions {
    /** Bytes waiting to be written to one client before it is cut off as a non-reader. */
    public static final long DEFAULT_MAX_OUTBOUND_BYTES = 4L * 1024 * 1024;
    /** Topics one connection may register for. */
    public static final int DEFAULT_MAX_TOPICS = 64;
    /**
     * Connections served at once; one more gets an error and is closed. Ten thousand clients
     * are a goal of the server (about 4 KiB of heap each), so the default leaves room above it;
     * the process's file descriptor limit usually binds first.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 16_384;
    /**
     * Connections served at once from one IP address; one more gets an error and is closed. A
     * host running many clients (a load test, a gateway) needs this raised.
     */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
    /** How long a new connection has to send its registration; then it gets an error and is closed. */
    public static final Duration DEFAULT_REGISTRATION_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a JSON object may take from its first byte to its last; then the connection gets
     * an error and is closed. A client writes an object at once, so this only cuts a peer that
     * trickles one (a slowloris) to hold a connection and its buffer.
     */
    public static final Duration DEFAULT_OBJECT_TIMEOUT = Duration.ofSeconds(30);
    /** Silence on a connection after which TCP keep-alive probes the peer. */
    public static final Duration DEFAULT_KEEP_ALIVE_IDLE = Duration.ofSeconds(60);
    /** Time between two keep-alive probes. */
    public static final Duration DEFAULT_KEEP_ALIVE_INTERVAL = Duration.ofSeconds(10);
    /**
     * Unanswered keep-alive probes after which the kernel drops the connection: a peer gone
     * without a word is cut after about 60 + 3 x 10 = 90 s of silence by default.
     */
    public static final int DEFAULT_KEEP_ALIVE_PROBES = 3;
    /**
     * The longest {@link #registrationTimeout()} or {@link #objectTimeout()}: a day, far past
     * any use, and far inside what the loop's clock (nanoseconds in a {@code long}) can hold.
     */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(1);
    /** The largest keep-alive time the kernel takes (Linux: 32,767 s). */
    static final long MAX_KEEP_ALIVE_SECONDS = 32_767;
    /** The most keep-alive probes the kernel takes (Linux: 127). */
    static final int MAX_KEEP_ALIVE_PROBES = 127;

    private final InetAddress bindAddress;
    private final int port;
    private final ChatHub hub;
    private final int maxFrameBytes;
    private final long maxOutboundBytes;
    private final int maxTopics;
    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final Duration registrationTimeout;
    private final Duration objectTimeout;
    private final Duration keepAliveIdle;
    private final Duration keepAliveInterval;
    private final int keepAliveProbes;
    private final SSLContext tls;

    private TopicServerOptions(Builder b, int maxFrameBytes) {
        this.bindAddress = b.bindAddress;
        this.port = b.port;
        this.hub = b.hub;
        this.maxFrameBytes = maxFrameBytes;
        this.maxOutboundBytes = b.maxOutboundBytes;
        this.maxTopics = b.maxTopics;
        this.maxConnections = b.maxConnections;
        this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
        this.registrationTimeout = b.registrationTimeout;
        this.objectTimeout = b.objectTimeout;
        this.keepAliveIdle = b.keepAliveIdle;
        this.keepAliveInterval = b.keepAliveInterval;
        this.keepAliveProbes = b.keepAliveProbes;
        this.tls = b.tls;
    }

    /** The TLS context connections are accepted with, or null for plain TCP. */
    SSLContext tls() {
        return tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The address to listen on, or {@code null} for every interface. */
    InetAddress bindAddress() {
        return bindAddress;
    }

    /** The port; 0 picks a free one ({@link TopicServer#port()} tells which). */
    int port() {
        return port;
    }

    /** The hub to attach to, or {@code null} if the server makes (and closes) its own. */
    ChatHub hub() {
        return hub;
    }

    long maxOutboundBytes() {
        return maxOutboundBytes;
    }

    int maxTopics() {
        return maxTopics;
    }

    int maxConnections() {
        return maxConnections;
    }

    /** Connections served at once from one IP address ({@link #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}). */
    int maxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    /** How long a connection has to register ({@link #DEFAULT_REGISTRATION_TIMEOUT}). */
    Duration registrationTimeout() {
        return registrationTimeout;
    }

    /** How long one object may take from its first byte to its last ({@link #DEFAULT_OBJECT_TIMEOUT}). */
    Duration objectTimeout() {
        return objectTimeout;
    }

    /** Silence after which TCP keep-alive probes the peer ({@link #DEFAULT_KEEP_ALIVE_IDLE}). */
    Duration keepAliveIdle() {
        return keepAliveIdle;
    }

    /** Time between keep-alive probes ({@link #DEFAULT_KEEP_ALIVE_INTERVAL}). */
    Duration keepAliveInterval() {
        return keepAliveInterval;
    }

    /** Unanswered probes after which the peer is dropped ({@link #DEFAULT_KEEP_ALIVE_PROBES}). */
    int keepAliveProbes() {
        return keepAliveProbes;
    }

    /** What the server's selector loop enforces on each connection. */
    NioLoop.Settings loopSettings() {
        return new NioLoop.Settings(maxOutboundBytes, keepAliveIdle, keepAliveInterval, keepAliveProbes);
    }

    /** What the server's connections share through the codec stage: the frame limit and the object deadline. */
    WireLink.Settings wireSettings() {
        return new WireLink.Settings(maxFrameBytes, objectTimeout);
    }

    /**
     * Builds {@link TopicServerOptions}; {@link #build()} checks the values.
     *
     * <p>Thread safety: not thread-safe; fill it in on one thread, then share what it builds.
     */
    public static final class Builder {
        private InetAddress bindAddress;
        private int port;
        private ChatHub hub;
        private long maxOutboundBytes = DEFAULT_MAX_OUTBOUND_BYTES;
        private int maxTopics = DEFAULT_MAX_TOPICS;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private Duration registrationTimeout = DEFAULT_REGISTRATION_TIMEOUT;
        private Duration objectTimeout = DEFAULT_OBJECT_TIMEOUT;
        private Duration keepAliveIdle = DEFAULT_KEEP_ALIVE_IDLE;
        private Duration keepAliveInterval = DEFAULT_KEEP_ALIVE_INTERVAL;
        private int keepAliveProbes = DEFAULT_KEEP_ALIVE_PROBES;
        private SSLContext tls;

        private Builder() {
        }

        /** Listen on this address only; {@code null} (the default) for every interface. */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = address;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * Accepts connections over TLS only, with this context's key and certificate (its key
         * managers); clients must trust that certificate. Plain TCP without it.
         */
        public Builder tls(SSLContext context) {
            this.tls = Objects.requireNonNull(context, "context");
            return this;
        }

        /** Serve this hub (shared with another transport, say); the server will not close it. */
        public Builder hub(ChatHub hub) {
            this.hub = Objects.requireNonNull(hub, "hub");
            return this;
        }

        public Builder maxOutboundBytes(long bytes) {
            this.maxOutboundBytes = bytes;
            return this;
        }

        public Builder maxTopics(int topics) {
            this.maxTopics = topics;
            return this;
        }

        public Builder maxConnections(int connections) {
            this.maxConnections = connections;
            return this;
        }

        /**
         * Connections served at once from one IP address; the one more gets
         * {@code {"error":"connection 257 from 10.0.0.7 exceeds the limit of 256 per address"}}
         * and is closed.
         */
        public Builder maxConnectionsPerAddress(int connections) {
            this.maxConnectionsPerAddress = connections;
            return this;
        }

        /**
         * How long a new connection has to send its registration (its first object, in
         * practice); then it gets {@code {"error":"no registration within 10000 ms"}} and is
         * closed. A client that registered is never cut for being quiet afterwards. From 1 ms
         * to {@link #MAX_TIMEOUT}.
         */
        public Builder registrationTimeout(Duration timeout) {
            this.registrationTimeout = Objects.requireNonNull(timeout, "registrationTimeout");
            return this;
        }

        /**
         * How long one JSON object may take from its first byte to its last; then the
         * connection gets {@code {"error":"message not complete within 30000 ms"}} and is closed.
         * From 1 ms to {@link #MAX_TIMEOUT}.
         */
        public Builder objectTimeout(Duration timeout) {
            this.objectTimeout = Objects.requireNonNull(timeout, "objectTimeout");
            return this;
        }

        /**
         * TCP keep-alive on every connection: after {@code idle} of silence the kernel probes
         * the peer every {@code interval}, and drops the connection after {@code probes}
         * unanswered probes. Whole seconds; where the platform does not let them be set, the
         * kernel's own keep-alive times apply.
         */
        public Builder keepAlive(Duration idle, Duration interval, int probes) {
            this.keepAliveIdle = Objects.requireNonNull(idle, "idle");
            this.keepAliveInterval = Objects.requireNonNull(interval, "interval");
            this.keepAliveProbes = probes;
            return this;
        }

        public TopicServerOptions build() {
            ChatLimits.checkPort("port", port, 0);
            if (hub != null && HubAccess.isClosed(hub)) {
                throw new IllegalArgumentException("hub is closed");
            }
            if (hub != null && HubAccess.authenticates(hub) && tls == null) {
                // Clients prove who they are with a token, which only TLS keeps from others.
                throw new IllegalArgumentException("the hub authenticates its users: the TCP topic server needs TLS "
                        + "(tls(context)), over which its clients send their tokens");
            }
            int maxFrameBytes = hub != null ? HubAccess.limits(hub).maxFrameBytes() : ChatLimits.DEFAULT_MAX_FRAME_BYTES;
            if (maxOutboundBytes < maxFrameBytes) {
                throw new IllegalArgumentException("maxOutboundBytes " + maxOutboundBytes
                        + " < the frame limit " + maxFrameBytes + ": one message would not fit");
            }
            if (maxTopics < 1) {
                throw new IllegalArgumentException("maxTopics < 1: " + maxTopics);
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
            }
            if (maxConnectionsPerAddress < 1) {
                throw new IllegalArgumentException("maxConnectionsPerAddress < 1: " + maxConnectionsPerAddress);
            }
            checkTimeout("registrationTimeout", registrationTimeout);
            checkTimeout("objectTimeout", objectTimeout);
            checkKeepAlive("keepAlive idle", keepAliveIdle);
            checkKeepAlive("keepAlive interval", keepAliveInterval);
            if (keepAliveProbes < 1 || keepAliveProbes > MAX_KEEP_ALIVE_PROBES) {
                throw new IllegalArgumentException("keepAlive probes " + keepAliveProbes + " is outside 1.."
                        + MAX_KEEP_ALIVE_PROBES);
            }
            return new TopicServerOptions(this, maxFrameBytes);
        }

        /** At least a millisecond, the loop's resolution, and at most {@link #MAX_TIMEOUT}. */
        private static void checkTimeout(String name, Duration timeout) {
            if (timeout.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException(name + " " + timeout + " is under the minimum of 1 ms");
            }
            if (timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException(name + " " + timeout + " exceeds the limit of " + MAX_TIMEOUT);
            }
        }

        /** Whole seconds the kernel takes. */
        private static void checkKeepAlive(String name, Duration time) {
            if (time.getNano() != 0 || time.getSeconds() < 1 || time.getSeconds() > MAX_KEEP_ALIVE_SECONDS) {
                throw new IllegalArgumentException(name + " " + time + " is not a whole number of seconds in 1.."
                        + MAX_KEEP_ALIVE_SECONDS);
            }
        }
    }
}
