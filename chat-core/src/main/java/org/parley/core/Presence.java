package org.parley.core;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Who is in which channel: each client says so at least every {@value #REFRESH_SECONDS} s, and
 * one that has not said so for {@value #EXPIRY_SECONDS} s is gone. Kept by the hub, for every
 * transport on it.
 *
 * <p>At most {@value #MAX_ENTRIES} users in channels are kept; past that, the one silent longest
 * is forgotten first, so a flood of names costs bounded memory.
 *
 * <p>Thread safety: safe from any thread; one lock guards it.
 */
final class Presence {
    static final int REFRESH_SECONDS = 5;
    static final int EXPIRY_SECONDS = 15;
    static final int MAX_ENTRIES = 100_000;
    private static final long EXPIRY_NANOS = TimeUnit.SECONDS.toNanos(EXPIRY_SECONDS);

    private record Key(String channel, String user) {
    }

    /** Each user in each channel and its last word (nanoTime), the longest silent first. */
    private final LinkedHashMap<Key, Long> lastWord = new LinkedHashMap<>(16, 0.75f, true);
    /** The same users by channel, sorted. */
    private final Map<String, TreeSet<String>> byChannel = new HashMap<>();

    /** {@code user} is in {@code channel} now. */
    synchronized void touch(String channel, String user, long now) {
        Key key = new Key(channel, user);
        if (lastWord.put(key, now) == null) { // a put moves a known one to the end: the newest word
            byChannel.computeIfAbsent(channel, c -> new TreeSet<>()).add(user);
            if (lastWord.size() > MAX_ENTRIES) {
                forget(lastWord.keySet().iterator().next());
            }
        }
    }

    /** The users in {@code channel}, sorted. */
    synchronized List<String> who(String channel, long now) {
        expire(now);
        TreeSet<String> users = byChannel.get(channel);
        return users == null ? List.of() : List.copyOf(users);
    }

    /** The channels someone is in, sorted. */
    synchronized List<String> channels(long now) {
        expire(now);
        return List.copyOf(new TreeSet<>(byChannel.keySet()));
    }

    private void expire(long now) {
        Iterator<Map.Entry<Key, Long>> it = lastWord.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Key, Long> e = it.next();
            if (now - e.getValue() <= EXPIRY_NANOS) {
                return; // the rest spoke later
            }
            it.remove();
            unindex(e.getKey());
        }
    }

    private void forget(Key key) {
        lastWord.remove(key);
        unindex(key);
    }

    private void unindex(Key key) {
        TreeSet<String> users = byChannel.get(key.channel());
        if (users != null && users.remove(key.user()) && users.isEmpty()) {
            byChannel.remove(key.channel());
        }
    }
}
