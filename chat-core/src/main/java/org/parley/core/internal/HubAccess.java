package org.parley.core.internal;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HubListener;
import org.parley.core.ProtocolException;
import org.parley.core.Subscription;

/**
 * What a transport asks of a {@link ChatHub} beyond its public API: the post that does not
 * wait for the store, presence, the channels in use, the access rules of an authenticating hub
 * and the size limits. The hub keeps these methods package-private and hands this class their
 * implementation when it is loaded, so only the modules this package is exported to reach them.
 * Each method here is the hub's method of the same name; its documentation is there.
 *
 * <p>Part of Parley's implementation, shared by its modules; not API.
 *
 * <p>Thread safety: safe from any thread, as the hub's methods are.
 */
public final class HubAccess {
    /**
     * The hub's side of this class, which {@link ChatHub} alone implements.
     *
     * <p>Thread safety: safe from any thread.
     */
    public interface Hub {
        ChatLimits limits(ChatHub hub);

        boolean isClosed(ChatHub hub);

        boolean authenticates(ChatHub hub);

        String authenticate(ChatHub hub, String scheme, String credential);

        boolean mayRead(ChatHub hub, String user, String channel);

        List<String> presence(ChatHub hub, String channel, String user) throws ProtocolException;

        List<String> channels(ChatHub hub);

        CompletableFuture<ChatMessage> postAsync(ChatHub hub, String channel, String user, String text, Instant time,
                String postId, Object origin) throws ProtocolException;

        Subscription subscribeInline(ChatHub hub, String channel, HubListener listener);
    }

    private static volatile Hub access;

    private HubAccess() {
    }

    /**
     * Called once, by {@link ChatHub} as it is loaded.
     *
     * @throws IllegalStateException if called again
     */
    public static synchronized void install(Hub implementation) {
        if (access != null) {
            throw new IllegalStateException("the hub's access is installed already");
        }
        access = Objects.requireNonNull(implementation, "implementation");
    }

    /** The hub's size limits ({@link org.parley.core.HubOptions.Builder#maxFrameBytes}, {@code maxTextBytes}). */
    public static ChatLimits limits(ChatHub h) {
        return access().limits(h);
    }

    /** Whether the hub is closed. */
    public static boolean isClosed(ChatHub h) {
        return access().isClosed(h);
    }

    /** Whether the hub authenticates (it has a users file). */
    public static boolean authenticates(ChatHub h) {
        return access().authenticates(h);
    }

    /** The user whose credential this is ({@link Users#CURVE}, {@link Users#TOKEN}), or {@code null}. */
    public static String authenticate(ChatHub h, String scheme, String credential) {
        return access().authenticate(h, scheme, credential);
    }

    /** Whether {@code user} may read {@code channel}: always on a hub that does not authenticate. */
    public static boolean mayRead(ChatHub h, String user, String channel) {
        return access().mayRead(h, user, channel);
    }

    /** Says that {@code user} is in {@code channel} ({@code null}: only asks) and returns who is there. */
    public static List<String> presence(ChatHub h, String channel, String user) throws ProtocolException {
        return access().presence(h, channel, user);
    }

    /** The channels in use, sorted. */
    public static List<String> channels(ChatHub h) {
        return access().channels(h);
    }

    /** {@link ChatHub#post}, returning once the post is checked: the future completes when it is stored. */
    public static CompletableFuture<ChatMessage> postAsync(ChatHub h, String channel, String user, String text,
            Instant time, String postId, Object origin) throws ProtocolException {
        return access().postAsync(h, channel, user, text, time, postId, origin);
    }

    /**
     * Subscribes a transport's {@code listener} on the storing thread, not on a dispatcher: it
     * must only hand each message to a thread of its own, never block and never post.
     */
    public static Subscription subscribeInline(ChatHub h, String channel, HubListener listener) {
        return access().subscribeInline(h, channel, listener);
    }

    private static Hub access() {
        Hub installed = access;
        if (installed == null) {
            // Whoever holds a hub has had ChatHub loaded; this covers a caller that has none yet.
            try {
                Class.forName(ChatHub.class.getName(), true, ChatHub.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            installed = access;
        }
        return installed;
    }
}
