package org.parley.tcp;

import java.net.InetAddress;
import java.util.Objects;
import org.parley.core.ChatHub;
import org.parley.core.ChatLimits;

/**
 * Settings of a {@link TopicServer}: where it listens, which hub it serves and its limits.
 *
 * <pre>{@code
 * TopicServerOptions options = TopicServerOptions.builder().port(7777).build();
 * }</pre>
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

    private final InetAddress bindAddress;
    private final int port;
    private final ChatHub hub;
    private final ChatLimits limits;
    private final long maxOutboundBytes;
    private final int maxTopics;
    private final int maxConnections;

    private TopicServerOptions(Builder b, ChatLimits limits) {
        this.bindAddress = b.bindAddress;
        this.port = b.port;
        this.hub = b.hub;
        this.limits = limits;
        this.maxOutboundBytes = b.maxOutboundBytes;
        this.maxTopics = b.maxTopics;
        this.maxConnections = b.maxConnections;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The address to listen on, or {@code null} for every interface. */
    public InetAddress bindAddress() {
        return bindAddress;
    }

    /** The port; 0 picks a free one ({@link TopicServer#port()} tells which). */
    public int port() {
        return port;
    }

    /** The hub to attach to, or {@code null} if the server makes (and closes) its own. */
    public ChatHub hub() {
        return hub;
    }

    /** The size limits: the hub's when one is given. */
    public ChatLimits limits() {
        return limits;
    }

    public long maxOutboundBytes() {
        return maxOutboundBytes;
    }

    public int maxTopics() {
        return maxTopics;
    }

    public int maxConnections() {
        return maxConnections;
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
        private ChatLimits limits;
        private long maxOutboundBytes = DEFAULT_MAX_OUTBOUND_BYTES;
        private int maxTopics = DEFAULT_MAX_TOPICS;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;

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

        /** Serve this hub (shared with another transport, say); the server will not close it. */
        public Builder hub(ChatHub hub) {
            this.hub = Objects.requireNonNull(hub, "hub");
            return this;
        }

        /** The limits of the server's own hub; not allowed together with {@link #hub}. */
        public Builder limits(ChatLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
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

        public TopicServerOptions build() {
            ChatLimits.checkPort("port", port, 0);
            if (hub != null && limits != null) {
                throw new IllegalArgumentException("limits come from the hub when a hub is given; set one or the other");
            }
            if (hub != null && hub.isClosed()) {
                throw new IllegalArgumentException("hub is closed");
            }
            ChatLimits effective = hub != null ? hub.limits() : limits != null ? limits : ChatLimits.DEFAULT;
            int frame = effective.maxFrameBytes();
            if (maxOutboundBytes < frame) {
                throw new IllegalArgumentException("maxOutboundBytes " + maxOutboundBytes
                        + " < the frame limit " + frame + ": one message would not fit");
            }
            if (maxTopics < 1) {
                throw new IllegalArgumentException("maxTopics < 1: " + maxTopics);
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
            }
            return new TopicServerOptions(this, effective);
        }
    }
}
