package org.parley.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Collections of this JVM between {@link #start()} and {@link #stop()}: count and total time
 * from the GarbageCollectorMXBean deltas, and the longest single collection from GC notifications.
 *
 * <p>Thread safety: start and stop from one thread; notifications arrive on a JMX thread.
 */
final class GcWatch implements NotificationListener {
    /** What the collectors did over a run. */
    record Pauses(long count, long totalMillis, long maxMillis) {
        static final Pauses NONE = new Pauses(0, 0, 0);

        /** Both spans' collections together. */
        Pauses plus(Pauses other) {
            return new Pauses(count + other.count, totalMillis + other.totalMillis, Math.max(maxMillis, other.maxMillis));
        }

        String describe() {
            return count == 0 ? "no GC" : count + " GC, " + totalMillis + " ms total, max " + maxMillis + " ms";
        }
    }

    private final List<GarbageCollectorMXBean> beans = ManagementFactory.getGarbageCollectorMXBeans();
    private final AtomicLong maxMillis = new AtomicLong();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private long count0;
    private long time0;

    void start() {
        count0 = count();
        time0 = time();
        maxMillis.set(0);
        for (GarbageCollectorMXBean b : beans) {
            if (b instanceof NotificationEmitter e) {
                e.addNotificationListener(this, null, null);
                emitters.add(e);
            }
        }
    }

    Pauses stop() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(this);
            } catch (ListenerNotFoundException ex) {
                throw new IllegalStateException("GC listener vanished", ex);
            }
        }
        emitters.clear();
        return new Pauses(count() - count0, time() - time0, maxMillis.get());
    }

    @Override
    public void handleNotification(Notification n, Object handback) {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
            maxMillis.accumulateAndGet(info.getGcInfo().getDuration(), Math::max);
        }
    }

    private long count() {
        return beans.stream().mapToLong(b -> Math.max(0, b.getCollectionCount())).sum();
    }

    private long time() {
        return beans.stream().mapToLong(b -> Math.max(0, b.getCollectionTime())).sum();
    }
}
