package org.parley.core;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who listens to which channel. {@value Names#ALL} is a channel of its own here: its
 * listeners receive the messages of every channel.
 *
 * <p>Thread safety: safe from any thread; listener lists are copy-on-write, so a delivery
 * in progress never sees a half-made change.
 */
public final class ChannelRegistry {
    private final ConcurrentHashMap<String, CopyOnWriteArrayList<HubListener>> byChannel =
            new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<HubListener> all = new CopyOnWriteArrayList<>();

    void add(String channel, HubListener listener) {
        if (Names.ALL.equals(channel)) {
            all.add(listener);
        } else {
            byChannel.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
        }
    }

    void remove(String channel, HubListener listener) {
        if (Names.ALL.equals(channel)) {
            all.remove(listener);
            return;
        }
        // Remove the list itself once empty, so short-lived subscriptions leave nothing behind.
        byChannel.computeIfPresent(channel, (c, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    /** The listeners of {@code channel} alone, not counting {@value Names#ALL}'s. */
    List<HubListener> listenersOf(String channel) {
        List<HubListener> list = byChannel.get(channel);
        return list == null ? List.of() : list;
    }

    List<HubListener> listenersOfAll() {
        return all;
    }

    /** How many listeners {@code channel} has ({@value Names#ALL} counts its own). */
    public int listenerCount(String channel) {
        return Names.ALL.equals(channel) ? all.size() : listenersOf(channel).size();
    }

    void clear() {
        byChannel.clear();
        all.clear();
    }
}
