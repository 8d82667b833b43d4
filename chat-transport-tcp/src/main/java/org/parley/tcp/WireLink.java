package org.parley.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.parley.core.internal.ChatLimits;
import org.parley.core.ProtocolException;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection seen through the codec: the stage between a {@link NioLoop}, which moves
 * bytes, and a {@link Handler}, which knows the rules. The bytes the loop reads go through a
 * {@link WireCodec.Reader} (framing, strict UTF-8, the codec) and reach the handler as frames; a
 * peer that breaks the protocol, or takes too long over an object, gets {@code {"error":...}}
 * here and is closed, so the handler sees good frames only.
 *
 * <p>The framing lives here, not in the loop, because its rules (the object limit, nesting, a
 * byte order mark, the object deadline, the error the peer is sent) are the protocol's: the
 * loop stays a byte mover that any protocol could use.
 *
 * <p>Thread safety: selector thread only, except {@link #remote()} and {@link #local()}.
 */
final class WireLink implements Connection.Handler {
    private static final Logger log = LoggerFactory.getLogger(WireLink.class);

    /** What an owner of links does with them; every method runs on the selector thread. */
    interface Handler {
        /** The connection is registered with the selector. */
        default void onOpen(WireLink link) {
        }

        /** A frame arrived; throwing makes the link send the error and close. */
        void onFrame(WireLink link, WireCodec.Frame frame) throws ProtocolException;

        /** Every frame of one read has been handed to {@link #onFrame}. */
        default void onReadComplete(WireLink link) {
        }

        /** The peer broke the protocol; the link sends it {@code error} and closes. */
        default void onProtocolError(WireLink link, String error) {
        }

        /** The deadline set with {@link WireLink#deadline} has passed. */
        default void onDeadline(WireLink link) {
        }

        /** The connection is closed: {@code cause} null for an orderly end. Called once. */
        void onClose(WireLink link, IOException cause);
    }

    /**
     * What the links of one owner share: their limits, and the throttles of the lines a peer can
     * cause at will. Thread safety: safe from any thread.
     */
    static final class Settings {
        final int maxFrameBytes;
        final Duration objectTimeout;
        private final long objectTimeoutNanos;
        private final LogThrottle badInputLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
        private final LogThrottle failureLog = new LogThrottle(NioLoop.LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);

        /**
         * @param maxFrameBytes the largest JSON object, in bytes
         * @param objectTimeout how long an object may take from its first byte to its last
         */
        Settings(int maxFrameBytes, Duration objectTimeout) {
            this.maxFrameBytes = maxFrameBytes;
            this.objectTimeout = objectTimeout;
            this.objectTimeoutNanos = objectTimeout.toNanos();
        }

        /** What clients use: the defaults of {@link TopicServerOptions}. */
        static Settings clientDefaults() {
            return new Settings(ChatLimits.DEFAULT_MAX_FRAME_BYTES, TopicServerOptions.DEFAULT_OBJECT_TIMEOUT);
        }
    }

    private final Connection connection;
    private final Handler handler;
    private final Settings settings;
    private final WireCodec.Reader reader;
    // Deadlines, System.nanoTime() or Connection.NO_DEADLINE; the connection's is the earlier.
    private long objectDeadline = Connection.NO_DEADLINE;  // by which the object begun must be complete
    private long handlerDeadline = Connection.NO_DEADLINE; // at which the handler's onDeadline is called
    /** The owner's per-connection state; selector thread only. */
    Object attachment;

    WireLink(Connection connection, Handler handler, Settings settings) {
        this.connection = connection;
        this.handler = handler;
        this.settings = settings;
        this.reader = new WireCodec.Reader(settings.maxFrameBytes);
    }

    /** The other side's address as observed on this connection. */
    TcpAddress remote() {
        return connection.remote();
    }

    /** This side's address on this connection. */
    TcpAddress local() {
        return connection.local();
    }

    /** Whether the connection is still open. */
    boolean isOpen() {
        return connection.isOpen();
    }

    /** The handler this link reads for. */
    Handler handler() {
        return handler;
    }

    /** Whether the reader stopped inside an object, whose bytes so far are kept (for tests). */
    boolean inObject() {
        return reader.inObject();
    }

    /** Queues encoded bytes (shared with other links, never changed); false if not queued (see {@link Connection#send}). */
    boolean send(ByteBuffer bytes) {
        return connection.send(bytes);
    }

    /** Reports a protocol violation to the peer ({@code {"error":...}}), then closes once that is written. */
    void fail(String error) {
        if (!connection.isOpen()) {
            return;
        }
        connection.send(WireCodec.encodeError(error));
        closeAfterFlush();
    }

    /** Stops reading and closes once everything queued is written (or after a grace time). */
    void closeAfterFlush() {
        reader.release(); // nothing more is read: no unfinished object is kept while the queue drains
        connection.closeAfterFlush();
    }

    /** Closes now, without writing what is queued. */
    void close() {
        connection.close();
    }

    /**
     * Calls the handler's {@link Handler#onDeadline} once {@code delayNanos} have passed,
     * unless {@link #clearDeadline()} comes first; replaces a deadline set before.
     */
    void deadline(long delayNanos) {
        handlerDeadline = Connection.deadlineIn(delayNanos);
        armDeadline();
    }

    /** Takes back the deadline set with {@link #deadline}, if any; may be called again. */
    void clearDeadline() {
        handlerDeadline = Connection.NO_DEADLINE;
        armDeadline();
    }

    /** Gives the connection the earlier of this link's two deadlines. */
    private void armDeadline() {
        long o = objectDeadline;
        long h = handlerDeadline;
        connection.deadline(o == Connection.NO_DEADLINE || (h != Connection.NO_DEADLINE && h - o < 0) ? h : o);
    }

    @Override
    public void onOpen(Connection c) {
        handler.onOpen(this);
    }

    @Override
    public void onRead(Connection c, byte[] bytes, int from, int to) {
        boolean wasInObject = reader.inObject();
        try {
            int objects = reader.feed(bytes, from, to - from, this::deliver);
            if (!reader.inObject() || !connection.isOpen()) { // closed while reading: nothing to watch
                objectDeadline = Connection.NO_DEADLINE;
                armDeadline();
            } else if (!wasInObject || objects > 0) { // an object began in this read: its clock starts
                objectDeadline = Connection.deadlineIn(settings.objectTimeoutNanos);
                armDeadline();
            }
            handler.onReadComplete(this);
        } catch (ProtocolException e) {
            refuse(e.getMessage());
        } catch (RuntimeException e) {
            // A bug or a closed hub: this connection ends, the loop and the others go on.
            long held = settings.failureLog.admit();
            if (held >= 0) {
                log.error("closing {}: handling its input failed ({} more like it not logged)", this, held, e);
            }
            fail("internal error: " + e.getMessage());
        }
    }

    private void deliver(WireCodec.Frame frame) throws ProtocolException {
        if (connection.isOpen()) {
            handler.onFrame(this, frame);
        } else {
            reader.release(); // closed by the handler: the rest of the read is dropped
        }
    }

    @Override
    public void onEndOfInput(Connection c) {
        try {
            reader.endOfInput();
        } catch (ProtocolException e) {
            // The peer is gone; nobody to tell.
            long held = settings.badInputLog.admit();
            if (held >= 0) {
                log.info("{} ended: {} ({} more like it not logged)", this, PeerText.excerpt(e.getMessage()), held);
            }
            connection.close();
        }
    }

    @Override
    public void onDeadline(Connection c) {
        long now = System.nanoTime();
        if (Connection.due(objectDeadline, now)) {
            objectDeadline = Connection.NO_DEADLINE;
            refuse("message not complete within " + settings.objectTimeout.toMillis() + " ms");
            return;
        }
        if (Connection.due(handlerDeadline, now)) {
            handlerDeadline = Connection.NO_DEADLINE;
            try {
                handler.onDeadline(this);
            } catch (RuntimeException e) {
                log.error("handler of {} failed on its deadline", this, e);
                fail("internal error: " + e.getMessage());
            }
        }
        armDeadline(); // the other one, if set
    }

    @Override
    public long keptInputBytes() {
        return reader.bufferCapacity();
    }

    @Override
    public void onClose(Connection c, IOException cause) {
        reader.release();
        handler.onClose(this, cause);
    }

    /** Tells the peer what it did wrong, closes, and logs it (an excerpt, now and then). */
    private void refuse(String error) {
        long held = settings.badInputLog.admit();
        if (held >= 0) {
            log.warn("closing {}: {} ({} more like it not logged)", this, PeerText.excerpt(error), held);
        }
        handler.onProtocolError(this, error);
        fail(error);
    }

    @Override
    public String toString() {
        return connection.toString();
    }
}
