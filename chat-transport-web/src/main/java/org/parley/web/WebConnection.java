package org.parley.web;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.HubOptions;
import org.parley.core.ProtocolException;
import org.parley.core.internal.ChatTime;
import org.parley.core.internal.HubAccess;
import org.parley.core.internal.Names;
import org.parley.web.internal.Endpoint;

/**
 * One browser's WebSocket: reads its requests (on Jetty's threads, one message at a time),
 * answers each with exactly one reply in the order they came, and sends it the messages of the
 * channel it subscribed to (from the server's hub dispatcher), history first, each once.
 *
 * <p>Everything sent goes through {@link #send}, which counts the bytes Jetty has yet to
 * write: past the server's bound the connection is a slow reader and is dropped, so nobody else
 * waits for it and its memory stays bounded.
 *
 * <p>Thread safety: Jetty calls the {@link Endpoint.Events} one at a time; {@link #deliver} comes from
 * the dispatcher's thread. The subscription state is guarded by {@code this}, which also orders
 * what is sent: a subscription's earlier messages, then its live ones.
 */
final class WebConnection implements Endpoint.Events {
    /** Posts of one connection waiting for the store; one more is refused. */
    static final int MAX_POSTS_IN_FLIGHT = 1000;

    private final WebServer server;
    private final ChatHub hub;
    private final String address;
    private final String peer;
    /** The user this connection proved it is, on a server whose hub authenticates; else null. */
    private volatile String user;
    /** Requests answered "authenticate first": a few, then the connection is closed. Guarded by this. */
    private int unauthenticated;
    /** Requests a connection may make before it authenticates, and the time it has. */
    static final int MAX_UNAUTHENTICATED_REQUESTS = 8;
    static final long AUTHENTICATE_WITHIN_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    private volatile Session session;
    /** Bytes (of UTF-8) handed to Jetty and not yet written to the network. */
    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean cutOff = new AtomicBoolean();
    private final AtomicBoolean gone = new AtomicBoolean();
    private final AtomicInteger postsInFlight = new AtomicInteger();

    /** The channel subscribed to, or null. Guarded by this. */
    private String channel;
    /**
     * Per channel, the newest seq sent as an earlier message of the subscription: a live message
     * at or below it was sent already. Dropped once a live message passes it. Guarded by this.
     */
    private final Map<String, Long> sentUpTo = new HashMap<>();
    /** Whether the subscription has sent its earlier messages; live ones wait until then. Guarded by this. */
    private boolean caughtUp = true;
    /** Live messages that came while the subscription read its earlier ones. Guarded by this. */
    private final List<Live> meanwhile = new ArrayList<>();
    private long meanwhileBytes;
    /** Subscriptions made, so that one replaced while it read the store sends nothing. Guarded by this. */
    private int subscriptions;

    private record Live(ChatMessage message, String frame, int bytes) {
    }
    /** Completes when every reply before the next one was sent: replies keep the requests' order. Guarded by this. */
    private CompletableFuture<Void> replies = CompletableFuture.completedFuture(null);

    WebConnection(WebServer server, String address, int port) {
        this.server = server;
        this.hub = server.hub();
        this.address = address;
        this.peer = address + ":" + port;
    }

    /** The peer's IP address. */
    String address() {
        return address;
    }

    @Override
    public String toString() {
        return "web connection " + peer;
    }

    // ---------------------------------------------------------------- Jetty's side

    @Override
    public void opened(Session session) {
        this.session = session;
        server.opened(this);
        if (server.tokens() != null) {
            // Closed once its time is up unless it authenticated, whether it sends anything or not.
            server.schedule(() -> {
                if (user == null) {
                    refuseUnauthenticated();
                }
            }, AUTHENTICATE_WITHIN_NANOS);
        }
    }

    /** Closes a connection that did not authenticate in time: it holds no slot for long. */
    private void refuseUnauthenticated() {
        Session s = session;
        if (s != null) {
            s.close(StatusCode.POLICY_VIOLATION, "not authenticated", Callback.NOOP);
        }
    }

    /** Whether an unauthenticated connection used up its requests (its time is the timer's): then it is closed. */
    private synchronized boolean overUnauthenticated() {
        if (server.tokens() == null || user != null) {
            return false;
        }
        if (++unauthenticated > MAX_UNAUTHENTICATED_REQUESTS) {
            refuseUnauthenticated();
            return true;
        }
        return false;
    }

    @Override
    public void text(String frame) {
        answer(frame);
    }

    @Override
    public void binary() {
        if (overUnauthenticated()) {
            return;
        }
        reply(WebWire.error("binary messages are not read; send each request as one JSON text message", null));
    }

    @Override
    public void ended(Throwable cause) {
        if (cause != null) {
            server.peerError(this, cause);
        }
        left();
    }

    private void left() {
        if (gone.compareAndSet(false, true)) {
            String was;
            synchronized (this) {
                was = channel;
                channel = null;
            }
            server.left(this, was);
        }
    }

    // ---------------------------------------------------------------- requests

    /** Answers one request, at once or, for a post its store is still storing, once stored. */
    private void answer(String frame) {
        int limit = server.maxFrameBytes();
        // A text of n characters takes n to 3n bytes: counted only when it may be over.
        int bytes = (long) frame.length() * 3 <= limit ? frame.length() : WebWire.utf8Length(frame);
        if (bytes > limit) {
            reply(WebWire.error("request of " + bytes + " bytes exceeds the limit of " + limit, null));
            return;
        }
        String ref = null;
        try {
            WebWire.Request request = WebWire.read(frame);
            ref = request.string("ref");
            if (server.isStopping()) {
                reply(WebWire.error(WebServer.SHUTTING_DOWN, ref)); // not taken: a client sends it again
                return;
            }
            String type = request.string("type");
            if (overUnauthenticated()) {
                return;
            }
            if (WebWire.TYPE_AUTH.equals(type)) {
                authenticate(request, ref);
                return;
            }
            if (server.tokens() != null && user == null) {
                throw new ProtocolException("authenticate first: this server takes {\"type\":\"auth\",\"token\":...} "
                        + "before anything else");
            }
            if (type == null || WebWire.TYPE_POST.equals(type)) {
                post(request, ref);
            } else if (WebWire.TYPE_SUBSCRIBE.equals(type)) {
                subscribe(request, ref);
            } else if (WebWire.TYPE_HISTORY.equals(type)) {
                reply(history(request, ref));
            } else if (WebWire.TYPE_PRESENCE.equals(type)) {
                String in = orDefault(request.string("channel"));
                String who = request.string("user");
                requireOwn(who);
                requireReadable(in);
                reply(WebWire.presence(in, HubAccess.presence(hub, in, who), ref, hub.epoch(), limit));
            } else if (WebWire.TYPE_CHANNELS.equals(type)) {
                reply(channels(ref, limit));
            } else {
                throw new ProtocolException("unknown type " + Names.quote(type)
                        + "; expected \"post\", \"subscribe\", \"history\", \"presence\", \"channels\" or \"auth\"");
            }
        } catch (ProtocolException e) {
            reply(WebWire.error(e.getMessage(), ref));
        } catch (RuntimeException e) {
            if (e instanceof IllegalStateException && HubAccess.isClosed(hub)) {
                reply(WebWire.error(WebServer.SHUTTING_DOWN, ref));
                return;
            }
            server.bug("handling a request from " + peer, e);
            reply(WebWire.error(WebServer.INTERNAL_ERROR, ref));
        }
    }

    private static String orDefault(String channel) {
        return channel == null ? Names.DEFAULT_CHANNEL : channel;
    }

    /**
     * A connection proves its user with a token the server's secret signed ({@code keygen --sign}),
     * once, before anything else; the user's rules in the users file apply from then on.
     */
    private void authenticate(WebWire.Request request, String ref) throws ProtocolException {
        if (server.tokens() == null) {
            throw new ProtocolException("this server does not authenticate: send no \"auth\"");
        }
        if (user != null) {
            throw new ProtocolException("this connection is authenticated already, as " + user);
        }
        String who = server.tokens().verify(request.required("token"), Instant.now());
        user = who;
        reply(WebWire.authenticated(who, ref, hub.epoch()));
    }

    /** On an authenticating server: {@code named}, as a request names a user, must be this connection's. */
    private void requireOwn(String named) throws ProtocolException {
        if (user != null && named != null && !user.equals(named)) {
            throw new ProtocolException("user " + Names.quote(named) + " is not this connection's user, " + user);
        }
    }

    /** On an authenticating server: this connection's user may read {@code channel}. */
    private void requireReadable(String channel) throws ProtocolException {
        if (user != null && !HubAccess.mayRead(hub, user, channel)) {
            throw new ProtocolException("user " + user + " may not read " + channel);
        }
    }

    private void post(WebWire.Request request, String ref) throws ProtocolException {
        String user = request.required("user");
        requireOwn(user);
        String in = orDefault(request.string("channel"));
        String text = request.required("text");
        String time = request.string("time");
        String id = request.string("id");
        Instant stamped = time == null ? null : ChatTime.parse(time);
        if (postsInFlight.get() >= MAX_POSTS_IN_FLIGHT) {
            throw new ProtocolException("too many posts waiting to be stored: " + MAX_POSTS_IN_FLIGHT
                    + "; wait for their replies");
        }
        CompletableFuture<ChatMessage> stored = HubAccess.postAsync(hub, in, user, text, stamped, id, this);
        if (stored.isDone()) {
            reply(postReply(stored, id, ref)); // the in-memory store: at once
            return;
        }
        postsInFlight.incrementAndGet();
        CompletableFuture<String> answer = stored.handle((m, e) -> {
            postsInFlight.decrementAndGet();
            try {
                return postReply(stored, id, ref);
            } catch (RuntimeException failure) {
                // Never let a step fail the chain: the replies behind it would never go.
                server.bug("answering a post from " + peer, failure);
                return WebWire.error(WebServer.INTERNAL_ERROR, ref);
            }
        });
        synchronized (this) {
            replies = replies.thenCombine(answer, (before, reply) -> {
                send(reply);
                return null;
            });
        }
    }

    /** The reply to a post its store has finished with: the acknowledgement, or the store's refusal. */
    private String postReply(CompletableFuture<ChatMessage> stored, String id, String ref) {
        try {
            return WebWire.posted(stored.join(), id, ref, hub.epoch());
        } catch (CompletionException e) {
            if (e.getCause() instanceof ProtocolException p) {
                return WebWire.error(p.getMessage(), ref);
            }
            server.bug("storing a post from " + peer, e);
            return WebWire.error(WebServer.INTERNAL_ERROR, ref);
        }
    }

    /**
     * Subscribes this connection to a channel, or to every channel with {@value Names#ALL},
     * replacing its subscription: the reply, the earlier messages it asked for (oldest first),
     * then every live one, each once.
     */
    private void subscribe(WebWire.Request request, String ref) throws ProtocolException {
        String to = Names.requireChannel(request.required("channel"));
        requireReadable(to);
        boolean all = Names.ALL.equals(to);
        boolean hasAfter = request.has("after");
        boolean hasLast = request.has("last");
        if (hasAfter && hasLast) {
            throw new ProtocolException("\"last\" cannot be combined with \"after\"");
        }
        if (all && hasAfter) {
            throw new ProtocolException("a subscription to ALL takes \"last\", not \"after\": sequence numbers are per channel");
        }
        long after = request.count("after", 0);
        long last = request.count("last", WebWire.DEFAULT_SUBSCRIBE_LAST);
        String epoch = request.string("epoch");
        synchronized (this) {
            if (!replies.isDone()) {
                // Behind a post still being stored: the reply keeps its place among the replies.
                replies = replies.thenRun(() -> {
                    try {
                        subscribeNow(to, hasAfter, after, last, epoch, ref);
                    } catch (ProtocolException e) {
                        send(WebWire.error(e.getMessage(), ref)); // the checks above passed: the store refused
                    } catch (RuntimeException e) {
                        // Never let a step fail the chain: the replies behind it would never go.
                        server.bug("a subscription held behind a post from " + peer, e);
                        send(WebWire.error(WebServer.INTERNAL_ERROR, ref));
                    }
                });
                return;
            }
        }
        subscribeNow(to, hasAfter, after, last, epoch, ref);
    }

    /** {@link #subscribe}, its request read and checked; the caller holds this connection's lock. */
    private void subscribeNow(String to, boolean hasAfter, long after, long last, String epoch, String ref)
            throws ProtocolException {
        // Three steps, so that reading the store (which may wait for a database) never holds the
        // lock the hub's dispatcher takes to deliver to this connection: switch, read, then send
        // the reply, the earlier messages and the live ones that came meanwhile, each once.
        boolean all = Names.ALL.equals(to);
        int generation;
        synchronized (this) {
            if (!gone.get()) {
                server.move(this, channel, to);
            }
            channel = to;
            sentUpTo.clear();
            caughtUp = false;
            meanwhile.clear();
            meanwhileBytes = 0;
            generation = ++subscriptions;
        }
        String now = hub.epoch();
        List<ChatMessage> earlier;
        long from = 0;
        if (hasAfter) {
            // Under another epoch (a restarted server) the client's numbers mean nothing here:
            // all the channel holds is new to it.
            from = epoch == null || epoch.equals(now) ? after : 0;
            List<ChatMessage> held = hub.recent(to, HubOptions.MAX_HISTORY_LIMIT).messages();
            earlier = new ArrayList<>();
            for (ChatMessage m : held) {
                if (m.seq() > from) {
                    earlier.add(m);
                }
            }
        } else {
            earlier = hub.recent(to, (int) Math.min(last, HubOptions.MAX_HISTORY_LIMIT)).messages();
        }
        List<String> frames = newestWithin(earlier, server.maxQueuedBytes() / 2);
        int skipped = earlier.size() - frames.size();
        long newest = all ? 0 : hub.lastSeq(to);
        synchronized (this) {
            if (generation != subscriptions) {
                return; // replaced meanwhile by a later subscription
            }
            if (hasAfter) {
                sentUpTo.put(to, from);
            }
            send(WebWire.subscribed(to, newest, frames.size(), ref, now));
            for (int i = 0; i < earlier.size(); i++) {
                ChatMessage m = earlier.get(i);
                if (i >= skipped) {
                    send(frames.get(i - skipped));
                }
                sentUpTo.merge(m.channel(), m.seq(), Math::max);
            }
            caughtUp = true;
            for (Live l : meanwhile) {
                deliverNow(l.message(), l.frame(), l.bytes());
            }
            meanwhile.clear();
            meanwhileBytes = 0;
        }
    }

    /** The frames of the newest of {@code messages} that fit in {@code budget} bytes together. */
    private static List<String> newestWithin(List<ChatMessage> messages, long budget) {
        List<String> frames = new ArrayList<>();
        long used = 0;
        for (int i = messages.size() - 1; i >= 0; i--) {
            String frame = WebWire.message(messages.get(i));
            used += WebWire.utf8Length(frame);
            if (used > budget) {
                break;
            }
            frames.add(0, frame);
        }
        return frames;
    }

    private String history(WebWire.Request request, String ref) throws ProtocolException {
        String in = orDefault(request.string("channel"));
        requireReadable(Names.requireChannel(in));
        boolean hasAfter = request.has("after");
        boolean hasLast = request.has("last");
        HistoryPage page;
        if (hasLast) {
            if (hasAfter || request.has("limit")) {
                throw new ProtocolException("\"last\" cannot be combined with \"after\" or \"limit\"");
            }
            page = hub.recent(in, (int) Math.min(request.count("last", 0), HubOptions.MAX_HISTORY_LIMIT));
        } else {
            long after = request.count("after", 0);
            long limit = request.count("limit", WebWire.DEFAULT_HISTORY_LIMIT);
            page = hub.history(in, after, (int) Math.min(limit, HubOptions.MAX_HISTORY_LIMIT));
        }
        return WebWire.history(page, ref, server.maxFrameBytes(), hasLast || Names.ALL.equals(in), hub.epoch());
    }

    private String channels(String ref, int limit) throws ProtocolException {
        List<WebWire.ChannelInfo> infos = new ArrayList<>();
        int chars = 64;
        for (String c : HubAccess.channels(hub)) {
            if (user != null && !HubAccess.mayRead(hub, user, c)) {
                continue; // a channel this user may not read is not shown to exist
            }
            chars += c.length() * 4 + 64;
            if (chars > limit) {
                break;
            }
            infos.add(new WebWire.ChannelInfo(c, hub.lastSeq(c), HubAccess.presence(hub, c, null).size()));
        }
        return WebWire.channels(infos, ref, hub.epoch());
    }

    // ---------------------------------------------------------------- sending

    /** Sends a reply now, or after the replies still waiting for their posts to be stored. */
    private void reply(String frame) {
        synchronized (this) {
            if (replies.isDone()) {
                send(frame);
                return;
            }
            // Held behind a post the store is still storing: counted with what waits for this
            // connection from now on, so a peer that asks on behind a slow store is a slow reader.
            int size = WebWire.utf8Length(frame);
            long waiting = queued.addAndGet(size);
            if (waiting > server.maxQueuedBytes()) {
                queued.addAndGet(-size);
                Session s = session;
                if (s != null && cutOff.compareAndSet(false, true)) {
                    server.slowReader(this, waiting);
                    s.disconnect();
                }
                return;
            }
            replies = replies.thenRun(() -> {
                queued.addAndGet(-size);
                send(frame, size);
            });
        }
    }

    /**
     * On the server's dispatcher: a live message of the hub, encoded once for every connection,
     * sent if this connection subscribed to its channel (or to ALL) and has not had it yet.
     */
    void deliver(ChatMessage m, String frame, int bytes) {
        synchronized (this) {
            if (channel == null || !(channel.equals(m.channel()) || Names.ALL.equals(channel))) {
                return; // subscribed elsewhere meanwhile
            }
            if (!caughtUp) {
                // The subscription reads its earlier messages: this one waits for them, counted
                // with what waits for the connection.
                meanwhileBytes += bytes;
                if (meanwhileBytes > server.maxQueuedBytes()) {
                    Session s = session;
                    if (s != null && cutOff.compareAndSet(false, true)) {
                        server.slowReader(this, meanwhileBytes);
                        s.disconnect();
                    }
                    return;
                }
                meanwhile.add(new Live(m, frame, bytes));
                return;
            }
            deliverNow(m, frame, bytes);
        }
    }

    /** Sends a live message unless it was among the subscription's earlier ones. Holds the lock. */
    private void deliverNow(ChatMessage m, String frame, int bytes) {
        {
            Long upTo = sentUpTo.get(m.channel());
            if (upTo != null) {
                if (m.seq() <= upTo) {
                    return; // sent among the subscription's earlier messages
                }
                sentUpTo.remove(m.channel()); // seq order per channel: every later one is newer still
            }
            send(frame, bytes);
        }
    }

    /**
     * Hands one text message to Jetty, which writes it when the network lets it. Past the
     * server's bound of what may wait, the peer is too slow: it is disconnected at once (a close
     * frame would wait behind what it has not read) and nothing more is sent to it.
     */
    private void send(String frame) {
        send(frame, WebWire.utf8Length(frame));
    }

    /** {@link #send(String)} of a frame whose UTF-8 takes {@code size} bytes. */
    private void send(String frame, int size) {
        Session s = session;
        if (s == null || cutOff.get()) {
            return;
        }
        long waiting = queued.addAndGet(size);
        if (waiting > server.maxQueuedBytes()) {
            queued.addAndGet(-size);
            if (cutOff.compareAndSet(false, true)) {
                server.slowReader(this, waiting);
                s.disconnect();
            }
            return;
        }
        s.sendText(frame, Callback.from(() -> queued.addAndGet(-size), failed -> queued.addAndGet(-size)));
    }

    /** Closes with 1001 (going away) once what is queued is written; completes when the close frame is. */
    CompletableFuture<Void> goAway() {
        Session s = session;
        if (s == null) {
            return CompletableFuture.completedFuture(null);
        }
        Callback.Completable sent = new Callback.Completable();
        s.close(StatusCode.SHUTDOWN, WebServer.SHUTTING_DOWN, sent);
        return sent;
    }
}
