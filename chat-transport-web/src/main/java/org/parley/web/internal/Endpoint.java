package org.parley.web.internal;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * Jetty's view of one WebSocket connection, handing each event to the transport's own class.
 * Jetty finds a listener's methods by reflection and so needs a public class; this one is it,
 * in a package exported to Jetty alone, so that the transport's classes stay package-private.
 *
 * <p>Thread safety: Jetty calls it one event at a time; it keeps no state of its own.
 */
public final class Endpoint implements Session.Listener.AutoDemanding {
    /** What a connection does with Jetty's events. Thread safety: called one event at a time. */
    public interface Events {
        void opened(Session session);

        void text(String message);

        /** A binary message came; its bytes were not read. */
        void binary();

        /** The connection ended (closed by either side, or failed: {@code cause} then). */
        void ended(Throwable cause);
    }

    private final Events events;

    public Endpoint(Events events) {
        this.events = Objects.requireNonNull(events, "events");
    }

    @Override
    public void onWebSocketOpen(Session session) {
        events.opened(session);
    }

    @Override
    public void onWebSocketText(String message) {
        events.text(message);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        callback.succeed();
        events.binary();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        events.ended(null);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        events.ended(cause);
    }
}
