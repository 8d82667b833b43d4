package org.parley.zmq;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.parley.core.ChatHub;
import org.parley.core.internal.HubAccess;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.Names;
import org.parley.core.internal.PeerText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;
import zmq.Msg;
import zmq.pipe.Pipe;
import zmq.socket.pubsub.XPub;
import zmq.util.Blob;

/**
 * The read rules of an authenticating hub on the publishing socket: an XPUB socket in manual
 * mode, whose subscriptions take effect only when the server applies them, which it does for
 * a user who may read the channel.
 *
 * <p>Who sent a subscription: JeroMQ 0.6.0 keeps it in the XPUB's private {@code lastPipe}
 * (the connection the subscription just read came from), whose credential is the User-Id the
 * ZAP handler gave that connection; nothing public tells it, so it is read by reflection, and
 * a server that cannot read it does not start. A subscription is judged by the connection
 * {@code lastPipe} names, which is the one {@code subscribe} applies it to, so the rules hold
 * whatever peers send. XPUB keeps the senders in a queue beside the messages, which does not
 * always stay in step: a frame that is not a subscription adds no sender, and a connection
 * that closes empties the queue of senders. A subscription whose sender is then unknown is
 * refused, and one matched with another connection is judged and applied as that one's (an
 * allowed reader of the channel, or refused): a subscriber can lose a subscription, never
 * gain a channel it may not read. A client whose subscription was lost still gets the
 * channel's messages, from history, when its position check finds the channel quiet (every
 * 2 s). Cancellations are not applied (they could name the wrong connection).
 * ({@link FrameGuard} cannot check subscriptions here: with CurveZMQ the frames it sees are
 * encrypted, and JeroMQ decrypts them into messages of its own.)
 *
 * <p>Thread safety: confined to the server thread, which owns the socket.
 */
final class ReadRules {
    private static final Logger log = LoggerFactory.getLogger(ReadRules.class);
    private static final Field LAST_PIPE;
    private static final boolean REENCODES_EXACTLY = StandardCharsets.UTF_8.equals(java.nio.charset.Charset.defaultCharset());

    static {
        Field last;
        try {
            last = XPub.class.getDeclaredField("lastPipe");
            last.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            last = null; // see install
        }
        LAST_PIPE = last;
    }

    private final ZMQ.Socket xpub;
    private final ChatHub hub;
    /** The user a connection's credential names, or null if it is not one the server sealed. */
    private final java.util.function.UnaryOperator<String> users;
    private final LogThrottle refusedLog = new LogThrottle(10, TimeUnit.SECONDS);

    private ReadRules(ZMQ.Socket xpub, ChatHub hub, java.util.function.UnaryOperator<String> users) {
        this.xpub = xpub;
        this.hub = hub;
        this.users = users;
    }

    /**
     * Makes {@code xpub}, not yet bound, apply only the subscriptions that {@code hub}'s read
     * rules allow.
     *
     * @throws IOException if this JeroMQ does not let the sender of a subscription be known
     */
    static ReadRules install(ZMQ.Socket xpub, ChatHub hub, java.util.function.UnaryOperator<String> users)
            throws IOException {
        if (LAST_PIPE == null || !(xpub.base() instanceof XPub)) {
            throw new IOException("this JeroMQ does not tell who sent a subscription: "
                    + "the read rules of an authenticating server cannot be enforced");
        }
        xpub.setXpubManual(true);
        return new ReadRules(xpub, hub, users);
    }

    /** Applies or refuses the subscriptions that have come; never blocks. */
    void apply() {
        Msg m;
        while ((m = xpub.recvMsg(ZMQ.DONTWAIT)) != null) {
            byte[] data = m.data();
            String topic = FrameGuard.topicOf(data);
            if (topic == null) {
                refuse(null, data, "not a subscription a Parley client sends");
                continue;
            }
            if (!REENCODES_EXACTLY && !topic.chars().allMatch(c -> c < 0x80)) {
                // JeroMQ 0.6.0 turns a manual subscription into a String and back with the
                // JVM's default charset: another than UTF-8 would subscribe to other bytes.
                refuse(null, data, "a channel name outside ASCII needs a JVM whose default charset is UTF-8 "
                        + "(java -Dfile.encoding=UTF-8)");
                continue;
            }
            if (data[0] == 0) {
                // Not applied: XPUB may name the wrong connection for it (see the class comment),
                // and a cancelled subscription costs only traffic, which the client's SUB socket
                // filters out. A connection's subscriptions go when it closes.
                continue;
            }
            Pipe sender = lastPipe();
            if (sender == null) {
                refuse(null, data, "its connection is not known (it closed, or another did meanwhile)");
                continue;
            }
            String user = users.apply(userOf(sender));
            String channel = topic.isEmpty() ? Names.ALL : topic;
            if (user != null && HubAccess.mayRead(hub, user, channel)) {
                // The whole message, its first byte included: JeroMQ 0.6.0 skips the first byte of
                // what a manual subscription gives it, as of a subscription message.
                xpub.subscribe(data);
            } else {
                refuse(user, data, "user " + user + " may not read " + channel);
            }
        }
    }

    private void refuse(String user, byte[] data, String why) {
        long held = refusedLog.admit();
        if (held >= 0) {
            log.warn("PUB socket: refused a subscription{}, {}: {} ({} more not logged)",
                    user == null ? "" : " of " + user, why, PeerText.excerpt(new String(data, StandardCharsets.UTF_8)),
                    held);
        }
    }

    private Pipe lastPipe() {
        try {
            return (Pipe) LAST_PIPE.get(xpub.base());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String userOf(Pipe pipe) {
        Blob credential = pipe == null ? null : pipe.getCredential();
        return credential == null || credential.size() == 0
                ? null : new String(credential.data(), StandardCharsets.UTF_8);
    }
}
