package org.parley.zmq;

import java.util.Objects;
import org.parley.core.ChatHub;
import org.parley.core.ChatLimits;

/**
 * Settings of a {@link ZmqChatServer}: where it binds, which hub it serves, whether it
 * publishes, and how much it buffers.
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

    private final String host;
    private final int postPort;
    private final int pubPort;
    private final boolean publish;
    private final ChatHub hub;
    private final int sendHighWaterMark;
    private final int receiveHighWaterMark;
    private final int publishQueueCapacity;

    private ZmqServerOptions(Builder b) {
        this.host = b.host;
        this.postPort = b.postPort;
        this.pubPort = b.pubPort;
        this.publish = b.publish;
        this.hub = b.hub;
        this.sendHighWaterMark = b.sendHighWaterMark;
        this.receiveHighWaterMark = b.receiveHighWaterMark;
        this.publishQueueCapacity = b.publishQueueCapacity;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String host() {
        return host;
    }

    public int postPort() {
        return postPort;
    }

    public int pubPort() {
        return pubPort;
    }

    /** Whether the server binds a PUB socket and publishes what it records. */
    public boolean publish() {
        return publish;
    }

    /** The hub to attach to, or {@code null}: the server then makes and owns one. */
    public ChatHub hub() {
        return hub;
    }

    public int sendHighWaterMark() {
        return sendHighWaterMark;
    }

    public int receiveHighWaterMark() {
        return receiveHighWaterMark;
    }

    public int publishQueueCapacity() {
        return publishQueueCapacity;
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
        private int sendHighWaterMark = DEFAULT_SEND_HIGH_WATER_MARK;
        private int receiveHighWaterMark = DEFAULT_RECEIVE_HIGH_WATER_MARK;
        private int publishQueueCapacity = DEFAULT_PUBLISH_QUEUE_CAPACITY;

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

        public ZmqServerOptions build() {
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
            return new ZmqServerOptions(this);
        }

        static void checkPositive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " < 1: " + value);
            }
        }
    }
}
