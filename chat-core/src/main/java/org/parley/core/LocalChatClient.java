package org.parley.core;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.parley.core.internal.OrderedDelivery;

/**
 * A client in the same process as the hub: posts are hub calls; listeners run on the
 * client's delivery thread. If a listener falls so far behind that its queue fills, the
 * dropped messages are fetched back from the hub's log when the next one arrives.
 */
final class LocalChatClient implements ChatClient {
    static final int QUEUE_CAPACITY = 10_000;

    private final ChatHub hub;
    private final String user;
    private final Dispatcher delivery;
    private final Map<LocalSubscription, Boolean> subscriptions = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    LocalChatClient(ChatHub hub, String user) {
        this(hub, user, QUEUE_CAPACITY);
    }

    LocalChatClient(ChatHub hub, String user, int queueCapacity) {
        this.hub = hub;
        this.user = user;
        this.delivery = hub.dispatcher("parley-delivery-" + user, queueCapacity);
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public CompletableFuture<PostAck> post(String channel, String text) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
        }
        try {
            // Completes when the store has stored it: at once in memory, later for a durable store.
            return hub.postAsync(channel, user, text, Instant.now(), null, this).thenApply(PostAck::of);
        } catch (ProtocolException | IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<HistoryPage> history(String channel, long after, int limit) {
        return ask(() -> hub.history(channel, after, limit));
    }

    @Override
    public CompletableFuture<HistoryPage> recent(String channel, int count) {
        return ask(() -> hub.recent(channel, count));
    }

    /** One request to the hub: refused once closed, a rejection as a failed future. */
    private <T> CompletableFuture<T> ask(HubCall<T> call) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("client is closed"));
        }
        try {
            return CompletableFuture.completedFuture(call.get());
        } catch (ProtocolException | IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Subscription subscribe(String channel, MessageListener listener) {
        if (closed.get()) {
            throw new IllegalStateException("client is closed");
        }
        LocalSubscription sub = new LocalSubscription(channel, listener);
        sub.hubSubscription = delivery.subscribe(channel, sub);
        subscriptions.put(sub, Boolean.TRUE);
        return sub;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (LocalSubscription sub : subscriptions.keySet()) {
            sub.close();
        }
        delivery.close();
        hub.forget(this);
    }

    /** Deliveries waiting on the delivery thread. */
    int pending() {
        return delivery.pending();
    }

    private interface HubCall<T> {
        T get() throws ProtocolException;
    }

    @Override
    public String toString() {
        return "LocalChatClient[" + user + "]";
    }

    private final class LocalSubscription implements Subscription, HubListener {
        private final String channel;
        private final OrderedDelivery ordered; // delivery thread only
        private volatile Subscription hubSubscription;
        private volatile boolean active = true;

        LocalSubscription(String channel, MessageListener listener) {
            this.channel = channel;
            // The hub's numbering never restarts: one epoch.
            this.ordered = new OrderedDelivery(hub.store()::after, listener::onMessage, () -> 0);
        }

        @Override
        public String channel() {
            return channel;
        }

        /** On the client's dispatcher. A full queue drops there; the gap is repaired here later. */
        @Override
        public void onMessage(ChatMessage message, Object origin) {
            if (active) {
                ordered.deliver(message, 0);
            }
        }

        @Override
        public void close() {
            active = false;
            Subscription s = hubSubscription;
            if (s != null) {
                s.close();
            }
            subscriptions.remove(this);
        }
    }
}
