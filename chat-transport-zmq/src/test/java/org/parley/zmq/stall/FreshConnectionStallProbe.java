package org.parley.zmq.stall;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Reproduces JeroMQ 0.6.0's stalled fresh connection with plain JeroMQ: batches of fresh
 * DEALERs connect to a live ROUTER on loopback, each sends one request, and the time to its
 * reply is measured. A first reply later than {@value #STALL_MILLIS} ms counts as a stall.
 *
 * <p>Probabilistic and slow, so it runs only when asked:
 * {@code mvn -B -o -pl chat-transport-zmq -am verify -Dparley.stallProbe=200
 * -Dtest=FreshConnectionStallProbe -Dsurefire.failIfNoSpecifiedTests=false}, where 200 is the
 * number of batches; {@code -Dparley.stallProbe.spinners=N} adds N busy threads as load and
 * {@code -Dparley.stallProbe.clients=N} runs N connecting threads on the client context,
 * {@code -Dparley.stallProbe.chatter=N} keeps N established DEALERs in ping-pong on it,
 * {@code -Dparley.stallProbe.handshakeIvl=MS} sets each DEALER's handshake interval. It fails
 * when a connection stalls, and says for each stall whether the I/O thread's poller held an open
 * channel whose handle has no live selection key: the cause, see {@link #orphanedHandles}.
 */
@EnabledIfSystemProperty(named = "parley.stallProbe", matches = "\\d+")
class FreshConnectionStallProbe {
    private static final int BATCH = 20;
    private static final long STALL_MILLIS = 1_000;
    private static final long GIVE_UP_MILLIS = 3_000;

    @Test
    @Timeout(3_600)
    void freshConnectionsGetTheirFirstReplyPromptly() throws Exception {
        int rounds = Integer.getInteger("parley.stallProbe");
        int spinners = Integer.getInteger("parley.stallProbe.spinners", 0);
        int clients = Integer.getInteger("parley.stallProbe.clients", 1);
        AtomicBoolean spinning = new AtomicBoolean(true);
        List<Thread> load = new ArrayList<>();
        for (int i = 0; i < spinners; i++) {
            load.add(daemon(() -> {
                long x = 0;
                while (spinning.get()) {
                    x += System.nanoTime() & 1;
                }
            }));
        }
        Tally tally = new Tally();
        AtomicBoolean serving = new AtomicBoolean(true);
        try (ZContext serverContext = new ZContext(1); ZContext clientContext = new ZContext(1)) {
            ZMQ.Socket router = serverContext.createSocket(SocketType.ROUTER);
            router.setLinger(0);
            String endpoint = "tcp://127.0.0.1:" + router.bindToRandomPort("tcp://127.0.0.1");
            Thread echo = daemon(() -> echo(router, serving));
            try {
                // Several client threads share the client context's one I/O thread, as a
                // group of clients does: its mailbox is busy while connections complete.
                List<Thread> clientThreads = new ArrayList<>();
                AtomicBoolean chattering = new AtomicBoolean(true);
                List<Thread> chatter = new ArrayList<>();
                for (int c = 0; c < Integer.getInteger("parley.stallProbe.chatter", 0); c++) {
                    chatter.add(daemon(() -> chatter(clientContext, endpoint, chattering)));
                }
                for (int c = 0; c < clients; c++) {
                    clientThreads.add(daemon(() -> rounds(clientContext, endpoint, rounds, tally)));
                }
                for (Thread thread : clientThreads) {
                    thread.join();
                }
                chattering.set(false);
                for (Thread thread : chatter) {
                    thread.join(5_000);
                }
            } finally {
                serving.set(false);
                echo.join(5_000);
            }
        } finally {
            spinning.set(false);
            for (Thread thread : load) {
                thread.join(5_000);
            }
        }
        System.out.printf("%d connections, %d stalls (first reply later than %d ms), worst %d ms, "
                + "orphaned handles seen at stalls: %d%n", tally.connections.get(), tally.stalls.get(), STALL_MILLIS,
                tally.worst.get(), tally.orphansAtStalls.get());
        assertEquals(0, tally.stalls.get(), "fresh connections whose first reply took longer than " + STALL_MILLIS + " ms");
    }

    private static final class Tally {
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger stalls = new AtomicInteger();
        final AtomicInteger orphansAtStalls = new AtomicInteger();
        final AtomicLong worst = new AtomicLong();
    }

    private static void rounds(ZContext context, String endpoint, int rounds, Tally tally) {
        int handshakeIvl = Integer.getInteger("parley.stallProbe.handshakeIvl", -1);
        for (int round = 0; round < rounds; round++) {
            List<ZMQ.Socket> dealers = new ArrayList<>();
            ZMQ.Poller poller = context.createPoller(BATCH);
            long[] sentAt = new long[BATCH];
            long[] took = new long[BATCH];
            for (int i = 0; i < BATCH; i++) {
                ZMQ.Socket dealer = context.createSocket(SocketType.DEALER);
                dealer.setLinger(0);
                if (handshakeIvl >= 0) {
                    dealer.setHandshakeIvl(handshakeIvl);
                }
                dealer.connect(endpoint);
                sentAt[i] = System.nanoTime();
                dealer.send("ping " + i);
                poller.register(dealer, ZMQ.Poller.POLLIN);
                dealers.add(dealer);
                took[i] = -1;
            }
            int waiting = BATCH;
            long start = System.nanoTime();
            boolean diagnosed = false;
            while (waiting > 0 && millisSince(start) < GIVE_UP_MILLIS) {
                poller.poll(50);
                for (int i = 0; i < BATCH; i++) {
                    if (took[i] < 0 && poller.pollin(i) && dealers.get(i).recv(ZMQ.DONTWAIT) != null) {
                        took[i] = millisSince(sentAt[i]);
                        waiting--;
                    }
                }
                if (!diagnosed && waiting > 0 && millisSince(start) > STALL_MILLIS) {
                    diagnosed = true;
                    int orphans = orphanedHandles(context);
                    tally.orphansAtStalls.addAndGet(orphans);
                    System.out.printf("round %d: %d waiting after %d ms; channels the client's I/O thread no longer "
                            + "watches: %d%n", round, waiting, STALL_MILLIS, orphans);
                }
            }
            for (int i = 0; i < BATCH; i++) {
                long t = took[i] < 0 ? GIVE_UP_MILLIS : took[i];
                tally.worst.accumulateAndGet(t, Math::max);
                if (t > STALL_MILLIS) {
                    tally.stalls.incrementAndGet();
                }
                tally.connections.incrementAndGet();
                context.destroySocket(dealers.get(i));
            }
            poller.close();
        }
    }

    /** One established DEALER in ping-pong with the ROUTER: a steady stream of commands to the I/O thread. */
    private static void chatter(ZContext context, String endpoint, AtomicBoolean chattering) {
        ZMQ.Socket dealer = context.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.setReceiveTimeOut(100);
        dealer.connect(endpoint);
        while (chattering.get()) {
            dealer.send("chatter");
            dealer.recv();
        }
        context.destroySocket(dealer);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static Thread daemon(Runnable body) {
        Thread thread = new Thread(body);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void echo(ZMQ.Socket router, AtomicBoolean running) {
        router.setReceiveTimeOut(50);
        while (running.get()) {
            byte[] identity = router.recv();
            if (identity == null) {
                continue;
            }
            byte[] body = router.recv();
            router.sendMore(identity);
            router.send(body);
        }
    }

    /**
     * Counts handles of the context's pollers whose channel is open and not retired but which
     * no valid selection key of the poller's selector points at: channels the I/O thread no
     * longer watches, though it believes it does. Read from another thread, so retried on a race.
     */
    static int orphanedHandles(ZContext context) {
        for (int attempt = 0; ; attempt++) {
            try {
                int orphans = 0;
                Object ctx = field(context.getContext(), "ctx");
                for (Object ioThread : (List<?>) field(ctx, "ioThreads")) {
                    Object poller = field(ioThread, "poller");
                    Selector selector = (Selector) field(poller, "selector");
                    for (Object handle : new ArrayList<>((Set<?>) field(poller, "fdTable"))) {
                        SelectableChannel channel = (SelectableChannel) field(handle, "fd");
                        if ((boolean) field(handle, "cancelled") || !channel.isOpen()) {
                            continue;
                        }
                        SelectionKey key = channel.keyFor(selector);
                        if (key == null || !key.isValid() || key.attachment() != handle) {
                            orphans++;
                        }
                    }
                }
                return orphans;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("not JeroMQ 0.6.0's poller", e);
            } catch (ConcurrentModificationException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static Object field(Object target, String name) throws ReflectiveOperationException {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField(name);
                field.setAccessible(true);
                return field.get(target);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(name);
    }
}
