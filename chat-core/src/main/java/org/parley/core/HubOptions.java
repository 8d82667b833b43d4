package org.parley.core;

import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.Names;
import org.parley.core.internal.Users;

import java.io.IOException;
import java.nio.file.Path;

import java.time.Clock;
import java.util.Objects;

/**
 * Settings of a {@link ChatHub}: how much history it keeps (per channel and in bytes), how many channels it allows,
 * and the protocol's size limits.
 *
 * <p>Thread safety: immutable.
 */
public final class HubOptions {
    public static final int DEFAULT_LOG_CAPACITY = 1000;
    public static final int DEFAULT_MAX_CHANNELS = 1024;
    /**
     * Estimated bytes of messages the log keeps in all ({@link MessageLog}): 128 MiB, a quarter
     * of a JVM's default heap on a machine with 2 GiB of memory.
     */
    public static final long DEFAULT_MAX_LOG_BYTES = 128L * 1024 * 1024;
    /** The most messages one history request returns. */
    public static final int MAX_HISTORY_LIMIT = 1000;

    private final int logCapacity;
    private final int maxChannels;
    private final long maxLogBytes;
    private final ChatLimits limits;
    private final Clock clock;
    private final Users users;

    private HubOptions(Builder b, ChatLimits limits) {
        this.logCapacity = b.logCapacity;
        this.maxChannels = b.maxChannels;
        this.maxLogBytes = b.maxLogBytes;
        this.limits = limits;
        this.clock = b.clock;
        this.users = b.users;
    }

    /** The defaults: {@value #DEFAULT_LOG_CAPACITY} messages per channel, {@value #DEFAULT_MAX_CHANNELS} channels. */
    public static HubOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Messages kept per channel, for the in-memory log. */
    int logCapacity() {
        return logCapacity;
    }

    /** Channels holding messages at once, for the in-memory log. */
    int maxChannels() {
        return maxChannels;
    }

    /** Estimated bytes the in-memory log keeps in all. */
    long maxLogBytes() {
        return maxLogBytes;
    }

    /** Both size limits, for the hub's rules (and the transports', through the hub). */
    ChatLimits limits() {
        return limits;
    }

    /** The clock that stamps posts that come without a time. */
    Clock clock() {
        return clock;
    }

    /** The users of an authenticating hub, or {@code null} when anyone may post as anyone. */
    Users users() {
        return users;
    }

    /**
     * Builds {@link HubOptions}; {@link #build()} checks the values.
     *
     * <p>Thread safety: not thread-safe; fill it in on one thread, then share what it builds.
     */
    public static final class Builder {
        private int logCapacity = DEFAULT_LOG_CAPACITY;
        private int maxChannels = DEFAULT_MAX_CHANNELS;
        private long maxLogBytes = DEFAULT_MAX_LOG_BYTES;
        private int maxTextBytes = ChatLimits.DEFAULT_MAX_TEXT_BYTES;
        private int maxFrameBytes = ChatLimits.DEFAULT_MAX_FRAME_BYTES;
        private Clock clock = Clock.systemUTC();
        private Users users;

        private Builder() {
        }

        /**
         * Makes the hub authenticate: only the users of this file (docs/SECURITY.md) may post,
         * each to the channels the file lets them, and the transports bind each connection to
         * the user whose credential it proved. Read now.
         *
         * @throws IOException if the file cannot be read or breaks the format (the message
         *                     names the file, the line and what is wrong)
         */
        public Builder usersFile(Path file) throws IOException {
            this.users = Users.read(Objects.requireNonNull(file, "file"));
            return this;
        }

        /** Messages kept per channel: {@value HubOptions#DEFAULT_LOG_CAPACITY} by default; at least 1. */
        public Builder logCapacity(int messagesPerChannel) {
            this.logCapacity = messagesPerChannel;
            return this;
        }

        /**
         * Channels holding messages at once: {@value HubOptions#DEFAULT_MAX_CHANNELS} by default;
         * at least 1. A post to one more makes the log forget the oldest messages of all channels
         * until one channel is empty, and that channel; it is never refused.
         */
        public Builder maxChannels(int maxChannels) {
            this.maxChannels = maxChannels;
            return this;
        }

        /**
         * Estimated bytes of messages (and channels) kept in all ({@link HubOptions#DEFAULT_MAX_LOG_BYTES}
         * by default); past them the oldest messages of all channels are forgotten. At least four
         * of the largest messages.
         */
        public Builder maxLogBytes(long bytes) {
            this.maxLogBytes = bytes;
            return this;
        }

        /** The largest text of a message, in bytes of UTF-8: {@value ChatLimits#DEFAULT_MAX_TEXT_BYTES} by default. */
        public Builder maxTextBytes(int bytes) {
            this.maxTextBytes = bytes;
            return this;
        }

        /**
         * The largest wire message (a ZeroMQ frame, a JSON object), in bytes:
         * {@value ChatLimits#DEFAULT_MAX_FRAME_BYTES} by default; at least {@link #maxTextBytes}.
         */
        public Builder maxFrameBytes(int bytes) {
            this.maxFrameBytes = bytes;
            return this;
        }

        /** The clock that stamps posts that come without a time: the system's UTC clock by default. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public HubOptions build() {
            ChatLimits limits = new ChatLimits(maxTextBytes, maxFrameBytes); // checks them
            if (logCapacity < 1) {
                throw new IllegalArgumentException("logCapacity < 1: " + logCapacity);
            }
            if (maxChannels < 1) {
                throw new IllegalArgumentException("maxChannels < 1: " + maxChannels);
            }
            // Room for a few of the largest messages, so a message acknowledged is not forgotten at once.
            long least = 4 * (MessageLog.MESSAGE_OVERHEAD_BYTES + MessageLog.channelCost(MessageLog.FIRST_RING_CAPACITY)
                    + 2L * (limits.maxTextBytes() + Names.MAX_USER_LENGTH + Names.MAX_CHANNEL_LENGTH));
            if (maxLogBytes < least) {
                throw new IllegalArgumentException("maxLogBytes " + maxLogBytes + " < " + least
                        + ": four of the largest messages would not fit");
            }
            return new HubOptions(this, limits);
        }
    }
}
