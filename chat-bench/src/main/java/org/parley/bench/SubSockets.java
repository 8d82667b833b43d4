package org.parley.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * K SUB sockets subscribed to one topic, each read by a thread of its own that hands every body
 * to a {@link Reader}: the subscribers of raw JeroMQ and of the light clients (which only count),
 * and the plain Jackson clients (which decode each publication first).
 *
 * <p>The sockets share one context (one I/O thread, as raw JeroMQ's SUBs in one process), or
 * have one each (as K separate client programs would). Their threads are made in a thread group
 * given, so that their CPU time can be told apart ({@link CpuClock#threadSeconds}); a context's
 * I/O thread is made by the first socket's thread, in the same group.
 *
 * <p>Thread safety: each socket lives on its receiving thread; {@link #start} and {@link #close}
 * from one thread.
 */
final class SubSockets implements AutoCloseable {
    /** What a subscriber does with a body it received; called on its receiving thread. */
    @FunctionalInterface
    interface Reader {
        void read(int sub, byte[] body);
    }

    /**
     * A SUB not live this long after it connected connects again. Slow joiner: now and then
     * (K=100 on loaded cores) a SUB's connection never came up, or its subscription never
     * reached the PUB, and probing alone waited out its 20 s; a fresh connection sends the
     * subscription again.
     */
    private static final long RECONNECT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final String endpoint;
    private final byte[] topic;
    private final int k;
    private final ThreadGroup group;
    private final String name;
    private final Reader reader;
    private final ZContext shared; // null when each socket has a context of its own
    private final List<ZContext> contexts = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    /**
     * @param contextEach whether each socket has a context (an I/O thread) of its own
     * @param name        the threads' names' stem
     */
    SubSockets(String endpoint, byte[] topic, int k, boolean contextEach, ThreadGroup group, String name, Reader reader) {
        this.endpoint = endpoint;
        this.topic = topic.clone();
        this.k = k;
        this.group = group;
        this.name = name;
        this.reader = reader;
        this.shared = contextEach ? null : new ZContext(1);
        if (shared != null) {
            contexts.add(shared);
        }
    }

    /** Starts the receiving threads; returns once every socket has connected and subscribed. */
    void start(DeliverySink sink) throws InterruptedException {
        CountDownLatch connected = new CountDownLatch(k);
        for (int i = 0; i < k; i++) {
            int sub = i;
            ZContext context = shared != null ? shared : new ZContext(1);
            if (shared == null) {
                contexts.add(context);
            }
            Thread t = new Thread(group, () -> receive(context, sub, sink, connected), name + "-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        if (!connected.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + ": subscribers did not start within 20 s");
        }
    }

    private void receive(ZContext context, int sub, DeliverySink sink, CountDownLatch connected) {
        ZMQ.Socket socket = context.createSocket(SocketType.SUB);
        try {
            socket.setRcvHWM(JeromqRelay.HWM);
            socket.setReceiveTimeOut(100);
            socket.connect(endpoint);
            socket.subscribe(topic);
            connected.countDown();
            long reconnectAt = System.nanoTime() + RECONNECT_NANOS;
            while (!stopping) {
                byte[] frame = socket.recv();
                if (frame == null) {
                    // Not live yet, long after connecting: connect again (see RECONNECT_NANOS).
                    if (!sink.isReady(sub) && System.nanoTime() - reconnectAt > 0) {
                        socket.disconnect(endpoint);
                        socket.connect(endpoint);
                        reconnectAt = System.nanoTime() + RECONNECT_NANOS;
                    }
                    continue;
                }
                byte[] body = socket.recv();
                if (body != null) {
                    reader.read(sub, body);
                }
            }
        } finally {
            socket.close();
        }
    }

    /** Stops the threads (within about 100 ms each) and closes the contexts. */
    @Override
    public void close() {
        stopping = true;
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ZContext c : contexts) {
            c.close();
        }
    }
}
