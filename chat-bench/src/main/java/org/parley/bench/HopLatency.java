package org.parley.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The latency of one hop, at a paced rate, four ways side by side: a hand-off between two
 * threads of this JVM (the baseline: what a wake-up costs here), a loopback TCP connection read
 * with blocking reads (what the kernel's crossing costs), one JeroMQ DEALER to ROUTER
 * crossing over loopback TCP read with a blocking receive (raw JeroMQ's way), and the same
 * crossing read the way Parley's socket threads read (a {@code ZMQ.Poller} wait, then every
 * waiting message without blocking). Parley ZeroMQ's path from a post to a listener has three
 * such crossings; this says what the transport underneath costs before Parley adds anything.
 *
 * <pre>
 * java -cp chat-bench/target/parley-bench.jar org.parley.bench.HopLatency [msgs/s] [seconds]
 * </pre>
 *
 * <p>Each way runs one second of warm-up, then {@code seconds} measured, at {@code msgs/s}
 * (default 1000 for 5 s); latency is from the moment each message is handed to the hop.
 *
 * <p>Thread safety: a program entry point; each socket is used by one thread.
 */
final class HopLatency {
    private static final long NO_MORE = Long.MIN_VALUE;

    private HopLatency() {
    }

    /** One way of carrying a timestamp from the pacing thread to a receiving thread. */
    private interface Hop extends AutoCloseable {
        void send(long stamp);

        /** Blocks until the next timestamp arrives; {@link #NO_MORE} ends the run. */
        long receive();

        @Override
        void close();
    }

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        if (rate < 1 || seconds < 1) {
            System.err.println("usage: HopLatency [msgs/s >= 1] [seconds >= 1]");
            System.exit(2);
        }
        measure(rate, seconds).forEach(System.out::println);
    }

    /** The report's lines: a heading, then one line per way, in the order of the class comment. */
    static List<String> measure(int rate, int seconds) throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("one hop at %d msgs/s, %d s measured after 1 s of warm-up", rate, seconds));
        lines.add(String.format("%-36s %9s %9s %9s %9s", "hop", "p50", "p99", "p99.9", "max"));
        lines.add(line("thread hand-off (baseline)", run(threadHandOff(), rate, seconds)));
        lines.add(line("loopback TCP socket, blocking read", run(socket(), rate, seconds)));
        lines.add(line("JeroMQ DEALER->ROUTER, recv", run(jeromq(false), rate, seconds)));
        lines.add(line("JeroMQ DEALER->ROUTER, Poller", run(jeromq(true), rate, seconds)));
        return lines;
    }

    private static String line(String name, Histogram h) {
        return String.format("%-36s %9s %9s %9s %9s", name, Format.micros(h.getValueAtPercentile(50) / 1e3),
                Format.micros(h.getValueAtPercentile(99) / 1e3), Format.micros(h.getValueAtPercentile(99.9) / 1e3),
                Format.micros(h.getMaxValue() / 1e3));
    }

    /** Paces {@code rate} messages a second through {@code hop}; returns the measured part's histogram. */
    private static Histogram run(Hop hop, int rate, int seconds) throws InterruptedException {
        long warmup = rate;
        long total = warmup + (long) rate * seconds;
        Histogram h = new Histogram(DeliverySink.MAX_TRACKED_NANOS, 3);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread receiver = new Thread(() -> {
            try {
                for (long i = 0; ; i++) {
                    long stamp = hop.receive();
                    if (stamp == NO_MORE) {
                        return;
                    }
                    if (i >= warmup) {
                        h.recordValue(Math.min(Math.max(System.nanoTime() - stamp, 0), DeliverySink.MAX_TRACKED_NANOS));
                    }
                }
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "parley-bench-hop-receiver");
        receiver.start();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        try (hop) { // closed however sending ends
            long start = System.nanoTime();
            for (long i = 0; i < total; i++) {
                long stamp = start + i * interval;
                long now;
                while ((now = System.nanoTime()) < stamp) {
                    LockSupport.parkNanos(stamp - now);
                }
                hop.send(System.nanoTime()); // from the actual send: the pacer's own lateness is not the hop's
            }
            hop.send(NO_MORE);
            receiver.join(TimeUnit.SECONDS.toMillis(30));
        }
        if (failure.get() != null || receiver.isAlive()) {
            throw new IllegalStateException("the receiving thread failed or did not finish", failure.get());
        }
        if (h.getTotalCount() != total - warmup) {
            throw new IllegalStateException(h.getTotalCount() + " of " + (total - warmup) + " measured messages arrived");
        }
        return h;
    }

    private static Hop threadHandOff() {
        BlockingQueue<Long> queue = new LinkedTransferQueue<>();
        return new Hop() {
            @Override
            public void send(long stamp) {
                queue.add(stamp);
            }

            @Override
            public long receive() {
                try {
                    return queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return NO_MORE;
                }
            }

            @Override
            public void close() {
                // nothing held
            }
        };
    }

    /** A loopback TCP connection read with blocking reads: what the kernel's crossing costs. */
    private static Hop socket() throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel out = SocketChannel.open(listener.getLocalAddress());
            out.setOption(StandardSocketOptions.TCP_NODELAY, true);
            SocketChannel in = listener.accept();
            ByteBuffer sending = ByteBuffer.allocate(Long.BYTES);
            ByteBuffer receiving = ByteBuffer.allocate(Long.BYTES);
            return new Hop() {
                @Override
                public void send(long stamp) {
                    sending.clear().putLong(stamp).flip();
                    try {
                        while (sending.hasRemaining()) {
                            out.write(sending);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public long receive() {
                    receiving.clear();
                    try {
                        while (receiving.hasRemaining()) {
                            if (in.read(receiving) < 0) {
                                return NO_MORE;
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return receiving.getLong(0);
                }

                @Override
                public void close() {
                    try {
                        out.close();
                        in.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }
    }

    /**
     * A DEALER in one context sending to a ROUTER in another (each side its own I/O thread, as
     * in two processes). The ROUTER is created here and used only by the receiving thread
     * afterwards (JeroMQ asks for a memory barrier between owners, which the thread start gives).
     */
    private static Hop jeromq(boolean poller) {
        ZContext serverContext = new ZContext(1);
        ZContext clientContext = new ZContext(1);
        // Kept from sleeping long, as the transport's own contexts are (see IoTicker): JeroMQ
        // 0.6.0 now and then stalls a fresh connection, which would hold up a whole run.
        IoTicker.attach(serverContext);
        IoTicker.attach(clientContext);
        ZMQ.Socket router = serverContext.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        int port = router.bindToRandomPort("tcp://127.0.0.1");
        ZMQ.Socket dealer = clientContext.createSocket(SocketType.DEALER);
        dealer.setLinger(0);
        dealer.connect("tcp://127.0.0.1:" + port);
        return new Hop() {
            private ZMQ.Poller waiter; // created on the receiving thread, on first use
            private final ArrayDeque<Long> drained = new ArrayDeque<>();

            @Override
            public void send(long stamp) {
                dealer.send(ByteBuffer.allocate(Long.BYTES).putLong(stamp).array(), 0);
            }

            @Override
            public long receive() {
                if (!poller) {
                    router.recv(0); // the peer's identity frame
                    return ByteBuffer.wrap(router.recv(0)).getLong();
                }
                if (waiter == null) {
                    waiter = serverContext.createPoller(1);
                    waiter.register(router, ZMQ.Poller.POLLIN);
                }
                while (drained.isEmpty()) {
                    waiter.poll(1000);
                    // Read whether or not poll said so, until nothing waits, as Parley's loops do.
                    while (router.recv(ZMQ.DONTWAIT) != null) { // the identity frame; the body follows
                        drained.add(ByteBuffer.wrap(router.recv(0)).getLong());
                    }
                }
                return drained.poll();
            }

            @Override
            public void close() {
                if (waiter != null) {
                    waiter.close();
                }
                clientContext.close();
                serverContext.close();
            }
        };
    }
}
