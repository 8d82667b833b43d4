package org.parley.core;

import org.parley.core.internal.Names;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who listens to which channel, through which {@link Dispatcher}: the one place where
 * membership lives. {@value Names#ALL} is a channel of its own here: its listeners receive the
 * messages of every channel.
 *
 * <p>Thread safety: safe from any thread; lists are copy-on-write, so a delivery in progress
 * never sees a half-made change.
 */
final class ChannelRegistry {
    /** One listener on one channel, and the dispatcher that calls it ({@code null}: the storing thread, see {@link ChatHub#subscribeInline}). */
    record Registration(Dispatcher dispatcher, HubListener listener) {
    }

    private final ConcurrentHashMap<String, CopyOnWriteArrayList<Registration>> byChannel =
            new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Registration> all = new CopyOnWriteArrayList<>();

    void add(String channel, Registration registration) {
        if (Names.ALL.equals(channel)) {
            all.add(registration);
        } else {
            // Inside compute: a concurrent remove cannot drop the list this one is added to.
            byChannel.compute(channel, (c, list) -> {
                CopyOnWriteArrayList<Registration> l = list != null ? list : new CopyOnWriteArrayList<>();
                l.add(registration);
                return l;
            });
        }
    }

    void remove(String channel, Registration registration) {
        if (Names.ALL.equals(channel)) {
            all.remove(registration);
            return;
        }
        // Remove the list itself once empty, so short-lived subscriptions leave nothing behind.
        byChannel.computeIfPresent(channel, (c, list) -> {
            list.remove(registration);
            return list.isEmpty() ? null : list;
        });
    }

    /** The registrations of {@code channel} alone, not counting {@value Names#ALL}'s. */
    List<Registration> of(String channel) {
        List<Registration> list = byChannel.get(channel);
        return list == null ? List.of() : list;
    }

    List<Registration> ofAll() {
        return all;
    }

    /** How many listeners {@code channel} has ({@value Names#ALL} counts its own). */
    int listenerCount(String channel) {
        return Names.ALL.equals(channel) ? all.size() : of(channel).size();
    }

    void clear() {
        byChannel.clear();
        all.clear();
    }
}
