package org.parley.zmq;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.parley.core.ChatMessage;
import org.parley.core.HistoryPage;
import org.parley.core.MessageListener;
import org.parley.core.internal.Names;
import org.parley.core.Subscription;
import org.parley.core.internal.DeliveryThread;
import org.parley.core.internal.OrderedDelivery;
import org.parley.core.internal.PeerText;
import org.parley.core.internal.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription of a {@link ZmqChatClient}: its listener gets every message of its channel the
 * server's log still holds, in order, once. Publications go to the delivery thread as long as its
 * queue has room; what is dropped, by the queue or by the network, is fetched from history.
 *
 * <p>Thread safety: the socket loop's thread hands over publications and keeps what was dropped;
 * the delivery thread runs the {@link OrderedDelivery}, and so the listener; {@link #close} may be
 * called from any thread.
 */
final class ClientSubscription implements Subscription {
    // Under the public class's name: one logger to configure for the whole client.
    private static final Logger log = LoggerFactory.getLogger(ZmqChatClient.class);

    private final ZmqChatClient client;
    private final DeliveryThread delivery;
    private final String channel;
    private final OrderedDelivery ordered; // delivery thread only
    /** Per channel, the oldest and newest seq dropped before they reached the delivery thread. Loop thread only. */
    private final Map<String, long[]> dropped = new HashMap<>();
    private volatile boolean active = true;
    /** A position check is out. Loop thread only. */
    private boolean checking;
    /** A publication of its channel came since the last position check. Loop thread only. */
    private boolean heard;

    ClientSubscription(ZmqChatClient client, String channel, MessageListener listener) {
        this.client = client;
        this.delivery = client.delivery;
        this.channel = channel;
        this.ordered = new OrderedDelivery(this::fetch, listener::onMessage, client.restarts::generation);
    }

    @Override
    public String channel() {
        return channel;
    }

    byte[] topic() {
        return Names.ALL.equals(channel) ? new byte[0] : Wire.topic(channel);
    }

    /**
     * Delivers the newest {@code count} messages from history first (none if {@code count} is 0),
     * then tells {@code replayed}, if not null: call before it can receive anything.
     */
    void replayRecent(int count, ZmqChatClient.ReplayListener replayed) {
        long g = client.restarts.generation();
        delivery.submit(() -> {
            int delivered = 0;
            IOException failure = null;
            try {
                if (count > 0) {
                    for (ChatMessage m : await(client.recent(channel, count)).messages()) {
                        deliver(m, g);
                        delivered++;
                    }
                }
            } catch (IOException e) {
                failure = e;
                log.warn("cannot fetch the recent messages of {}: {}", channel, PeerText.excerpt(e.getMessage()));
            }
            if (replayed != null && live()) {
                replayed.replayed(delivered, failure);
            }
        });
    }

    @Override
    public void close() {
        active = false;
        client.loop.execute(() -> client.loop.remove(this));
    }

    // ---- the loop's thread

    /**
     * Once a pass of the loop: hands this pass's publications of its channel to the delivery
     * thread as one task (one wake-up, not one per message), as many as its queue has room for.
     * The rest are remembered as dropped, and fetched from history once the queue has room.
     */
    void pass(List<ChatMessage> batch) {
        if (!active) {
            return;
        }
        List<ChatMessage> mine = batch;
        if (!Names.ALL.equals(channel)) {
            mine = new ArrayList<>(batch.size());
            for (ChatMessage m : batch) {
                if (channel.equals(m.channel())) {
                    mine.add(m);
                }
            }
        }
        heard |= !mine.isEmpty();
        if (mine.isEmpty() && dropped.isEmpty()) {
            return; // most passes of a quiet channel
        }
        boolean holding = client.restarts.holding(); // until the server's numbering is known
        long g = client.restarts.generation();
        // Once one is dropped, later ones wait for the catch-up too, to keep the order. The
        // delivery queue's bound is in messages (receiveHighWaterMark), whatever the batch.
        int admitted = dropped.isEmpty() && !holding ? Math.min(mine.size(), delivery.room()) : 0;
        // The batch is the loop's for this pass alone, never changed after: shared as it is.
        List<ChatMessage> handed = admitted == mine.size() ? mine : List.copyOf(mine.subList(0, admitted));
        if (admitted > 0 && !delivery.submitEach(handed, m -> deliver(m, g))) {
            admitted = 0;
        }
        for (ChatMessage m : mine.subList(admitted, mine.size())) {
            long[] range = dropped.computeIfAbsent(m.channel(), c -> new long[] {m.seq(), m.seq()});
            range[0] = Math.min(range[0], m.seq());
            range[1] = Math.max(range[1], m.seq());
        }
        if (dropped.isEmpty() || holding) {
            return;
        }
        Map<String, long[]> lost = Map.copyOf(dropped);
        if (delivery.submit(() -> lost.forEach((ch, range) -> {
            if (live()) {
                ordered.catchUp(ch, range[0], range[1], g);
            }
        }))) {
            dropped.clear();
        }
    }

    /**
     * Asks the server for its channel's newest {@code seq} and fetches what this subscription
     * has not delivered up to it, when no publication of the channel came since the last check.
     * A message lost on PUB shows as a gap when the next one arrives; this finds the last ones of
     * a burst too, which no message follows, and those published before a reconnected SUB's
     * subscription reached the server. Not for
     * {@value Names#ALL}, whose numbering is per channel, nor without a post port.
     */
    void checkPosition() {
        boolean quiet = !heard;
        heard = false;
        if (!quiet || !active || checking || Names.ALL.equals(channel)
                || client.options().postPort() == ZmqClientOptions.NO_PORT) {
            return; // while messages come, the next one shows a gap: no need to ask
        }
        checking = true;
        long g = client.restarts.generation();
        client.recent(channel, 0).whenComplete((page, error) -> { // on the loop's thread
            checking = false;
            if (error == null && page.last() > 0) {
                // A channel not delivered from yet under this epoch starts after the newest:
                // a subscription gets what comes after it was made (see OrderedDelivery#catchUp).
                delivery.submit(() -> {
                    if (live()) {
                        ordered.catchUp(channel, page.last() + 1, page.last(), g);
                    }
                });
            }
        });
    }

    // ---- the delivery thread

    /** Open, and its client not stopping: listeners get nothing more once it is. */
    private boolean live() {
        return active && !client.loop.stopping();
    }

    private void deliver(ChatMessage m, long g) {
        if (live()) {
            ordered.deliver(m, g);
        }
    }

    /** The source of missed messages: an empty page once closed, or without a post port. */
    private HistoryPage fetch(String ch, long after, int limit) throws IOException {
        if (!live() || client.options().postPort() == ZmqClientOptions.NO_PORT) {
            return new HistoryPage(ch, 0, 0, List.of());
        }
        client.repairs.incrementAndGet();
        return await(client.history(ch, after, limit));
    }

    private HistoryPage await(CompletableFuture<HistoryPage> f) throws IOException {
        return Threads.await(f, client.options().requestTimeout().toMillis() + 1000); // it times out before
    }
}
