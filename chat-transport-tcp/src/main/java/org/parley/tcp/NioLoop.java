package org.parley.tcp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import tlschannel.ClientTlsChannel;
import tlschannel.NeedsReadException;
import tlschannel.NeedsWriteException;
import tlschannel.ServerTlsChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import jdk.net.ExtendedSocketOptions;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread multiplexing every connection of its owner, as {@code select()} does:
 * accepts, hands what each connection reads to that connection's {@link Connection.Handler},
 * writes the connections' bounded queues. It moves bytes and knows nothing of what they mean:
 * the framing and the codec are the handlers' (a {@code WireLink} each). It never blocks on a socket
 * and never runs user callbacks; other threads hand it work with {@link #execute}.
 *
 * <p>Deadlines (a handler's, the grace time of a closing connection) wait in one queue ordered
 * by time, which the loop looks at once per round and sleeps on ({@code select} with a
 * timeout): no round visits every connection. Every socket has TCP keep-alive on, so the kernel cuts a peer that stopped
 * answering, however quiet the connection is meant to be.
 *
 * <p>Thread safety: {@link #execute}, {@link #bind}, {@link #connect} and {@link #close()} may
 * be called from any thread; everything else runs on the selector thread.
 */
final class NioLoop implements AutoCloseable {
    static final Logger log = LoggerFactory.getLogger(NioLoop.class);
    static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final int TASK_CAPACITY = 65_536;
    /**
     * Bytes one read system call takes at most; one buffer per loop, shared by its connections.
     * Each read is a system call, and a message cut by the end of a read is copied to be kept:
     * 64 KiB (against 16) took a quarter less CPU per delivery at K=10.
     */
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    /** Reads of one TLS connection in one round before the others have their turn (a record, 16 KiB, at most each). */
    private static final int TLS_READS_PER_ROUND = 64;
    /** TLS connections with more to read than a round's share, read again next round. Selector thread only. */
    private final java.util.Set<Connection> readAgain = new java.util.LinkedHashSet<>(); // each once a round
    /** How long accepting pauses after accept() failed (out of file descriptors, say). */
    static final long ACCEPT_PAUSE_MILLIS = 100;
    /** Bytes one write system call takes from a connection's queue at most. */
    static final int STAGE_BYTES = 64 * 1024;
    /** How often each kind of line about a peer's misdeeds is logged at most (here and in the handlers). */
    static final long LOG_INTERVAL_SECONDS = 10;

    /**
     * What a loop enforces on each of its sockets.
     *
     * @param maxOutboundBytes   bytes waiting to be written to one connection before it is cut
     * @param keepAliveIdle      silence after which TCP keep-alive probes the peer
     * @param keepAliveInterval  time between two probes
     * @param keepAliveProbes    unanswered probes after which the kernel drops the connection
     */
    record Settings(long maxOutboundBytes, Duration keepAliveIdle, Duration keepAliveInterval, int keepAliveProbes) {
        /** What clients use: the defaults of {@link TopicServerOptions}. */
        static Settings clientDefaults() {
            return new Settings(TopicServerOptions.DEFAULT_MAX_OUTBOUND_BYTES, TopicServerOptions.DEFAULT_KEEP_ALIVE_IDLE,
                    TopicServerOptions.DEFAULT_KEEP_ALIVE_INTERVAL, TopicServerOptions.DEFAULT_KEEP_ALIVE_PROBES);
        }
    }

    /**
     * A connection's earliest deadline, as queued: ordered by time (System.nanoTime()), then by
     * the order of queueing, so that two connections due at once are two entries.
     */
    record Timer(long due, long order, Connection connection) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer other) {
            int byTime = Long.signum(due - other.due); // differences, not values: nanoTime may wrap
            return byTime != 0 ? byTime : Long.compare(order, other.order);
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final BlockingQueue<Runnable> tasks = new ArrayBlockingQueue<>(TASK_CAPACITY);
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES); // selector thread only
    private final Set<Connection> connections = new HashSet<>();                // selector thread only
    /**
     * One entry per open connection with a deadline ({@link Connection#timer}), taken out when
     * it closes: a closed connection is not held here. Selector thread only.
     */
    private final TreeSet<Timer> timers = new TreeSet<>();
    private long timerOrder; // the order of the next entry; selector thread only
    private final List<Connection> toFlush = new ArrayList<>();                 // selector thread only
    /**
     * Where a connection's queued bytes are copied for one write; selector thread only. Direct,
     * because the JDK writes a heap buffer by copying it into a temporary direct one first: for a
     * gathering write of many small heap buffers that was half of the server's samples.
     */
    final ByteBuffer stage = ByteBuffer.allocateDirect(STAGE_BYTES);
    private final List<ServerSocketChannel> servers = new ArrayList<>();        // selector thread only
    /** Listening keys whose accepting is paused after accept() failed. Selector thread only. */
    private final List<SelectionKey> pausedAccepts = new ArrayList<>();
    private long acceptResumeNanos;                                            // selector thread only
    private long acceptFailures;                                               // selector thread only
    private final Settings settings;
    private volatile boolean running = true;
    private final AtomicBoolean wakeupRequested = new AtomicBoolean();
    /** {@link #handOver} queued a task from this thread, which nothing woke the loop for. Selector thread only. */
    private boolean handedToSelf;
    // Lines a peer can cause at will, each kind at most once per interval (safe from any thread).
    final LogThrottle cutLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);
    private final LogThrottle failureLog = new LogThrottle(LOG_INTERVAL_SECONDS, TimeUnit.SECONDS);

    NioLoop(String threadName, Settings settings) throws IOException {
        this.selector = Selector.open();
        this.settings = settings;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code task} on the selector thread: now if called from it, else queued and the
     * selector woken. Returns false if the queue is full or the loop has stopped.
     */
    boolean execute(Runnable task) {
        if (inLoop()) {
            task.run();
            return true;
        }
        if (!running || !tasks.offer(task)) {
            return false;
        }
        wake();
        return true;
    }

    /**
     * Queues {@code task} for the selector thread, never running it now: for a caller that may
     * hold a lock (the hub's store hands a message over under its channel's), on any thread.
     * Called on the selector thread it wakes nothing, as the pass under way runs the queue before
     * it waits again. Returns false if the queue is full or the loop has stopped.
     */
    boolean handOver(Runnable task) {
        if (!running || !tasks.offer(task)) {
            return false;
        }
        if (inLoop()) {
            handedToSelf = true;
        } else {
            wake();
        }
        return true;
    }

    /**
     * As {@link #execute}, for a task that must not be lost to a full queue (closing a client,
     * registering one: the queue is shared by every client of the process): waits for room
     * until {@code deadline} ({@link System#nanoTime}). Returns false if the loop has stopped,
     * or the queue stayed full until then.
     */
    boolean executeWaiting(Runnable task, long deadline) {
        if (inLoop()) {
            task.run();
            return true;
        }
        try {
            while (running) {
                long left = deadline - System.nanoTime();
                if (tasks.offer(task, Math.max(0, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50))),
                        TimeUnit.NANOSECONDS)) {
                    wake();
                    return true;
                }
                if (left <= 0) {
                    return false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void wake() {
        // One wake-up per round, not per task: a wake-up is a system call, and a client posting
        // fast queues many tasks per round. The loop clears the flag before it drains the queue,
        // so a task queued after the drain started always finds it clear and wakes the loop.
        if (wakeupRequested.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /**
     * Binds a listening socket on the caller's thread (so a port in use is reported to the
     * caller) and hands it to the loop. Returns the bound address.
     */
    InetSocketAddress bind(InetSocketAddress address, Function<Connection, ? extends Connection.Handler> handlers)
            throws IOException {
        return bind(address, handlers, null);
    }

    /** {@link #bind(InetSocketAddress, Function)}, each accepted connection over TLS with {@code tls} when not null. */
    InetSocketAddress bind(InetSocketAddress address, Function<Connection, ? extends Connection.Handler> handlers,
            SSLContext tls) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, 128);
            server.configureBlocking(false);
        } catch (java.net.BindException e) {
            server.close();
            // Name the address, as the ZeroMQ transport does, so a caller can print this alone.
            String where = (address.getAddress() == null || address.getAddress().isAnyLocalAddress()
                    ? "0.0.0.0" : address.getAddress().getHostAddress()) + ":" + address.getPort();
            java.net.BindException named = new java.net.BindException(
                    String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("in use")
                            ? "address " + where + " is already in use"
                            : "cannot bind " + where + ": " + e.getMessage());
            named.initCause(e);
            throw named;
        } catch (IOException e) {
            server.close();
            throw e;
        }
        InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
        thread.setName("parley-tcp-selector-" + bound.getPort()); // the port picked, when asked for 0
        if (!execute(() -> {
            try {
                servers.add(server);
                server.register(selector, SelectionKey.OP_ACCEPT, new Listener(handlers, tls));
            } catch (IOException e) {
                log.error("cannot listen on {}", bound, e);
            }
        })) {
            server.close();
            throw new IOException("the selector loop has stopped");
        }
        return bound;
    }

    /**
     * Connects on the caller's thread, waiting up to {@code timeout}, then hands the
     * connection to the loop. Returns the handler {@code handlerFor} made for the connection,
     * which may be used through {@link #execute}.
     */
    <H extends Connection.Handler> H connect(InetSocketAddress address, Duration timeout,
            Function<Connection, H> handlerFor) throws IOException {
        return connect(address, timeout, handlerFor, null);
    }

    /**
     * {@link #connect(InetSocketAddress, Duration, Function)} over TLS with {@code tls} when
     * not null: the server's certificate must be valid for the host name or address connected
     * to (the handshake happens with the first bytes written, on the loop).
     */
    <H extends Connection.Handler> H connect(InetSocketAddress address, Duration timeout,
            Function<Connection, H> handlerFor, SSLContext tls) throws IOException {
        SocketChannel channel = SocketChannel.open();
        Connection connection;
        H handler;
        try {
            channel.socket().connect(address, (int) timeout.toMillis());
            configure(channel);
            ByteChannel io = channel;
            if (tls != null) {
                SSLEngine engine = tls.createSSLEngine(address.getHostString(), address.getPort());
                engine.setUseClientMode(true);
                SSLParameters parameters = engine.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the name must be the certificate's
                engine.setSSLParameters(parameters);
                io = ClientTlsChannel.newBuilder(channel, engine).build();
            }
            connection = new Connection(this, channel, io, handlerFor, settings.maxOutboundBytes());
            @SuppressWarnings("unchecked") // the very object handlerFor made
            H made = (H) connection.handler;
            handler = made;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (!executeWaiting(() -> register(connection), System.nanoTime() + timeout.toNanos())) {
            channel.close();
            throw new IOException(running ? "the selector thread took no task within " + timeout.toMillis() + " ms"
                    : "the selector loop has stopped");
        }
        return handler;
    }

    /** Stops the loop: closes every socket, waits up to two seconds for the thread. Idempotent. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        if (!inLoop()) {
            Threads.join(thread, 2000);
        }
    }

    /** Writes {@code c}'s queue at the end of this round (see {@link Connection#send}). */
    void flushLater(Connection c) {
        toFlush.add(c);
    }

    /** Writes the queues filled during this round, one write per connection. */
    private void flushPending() {
        // A flush can close a connection, whose handler can queue more: index, not iterator.
        for (int i = 0; i < toFlush.size(); i++) {
            toFlush.get(i).flush();
        }
        toFlush.clear();
    }

    /**
     * Makes sure {@code c}'s deadlines are looked at by {@code due} (System.nanoTime()). A
     * connection has one entry, for its earliest deadline, which an earlier one replaces; a
     * later deadline waits for that entry to come due, which queues the next one
     * ({@link #runTimers}), so a connection whose objects keep beginning and ending adds
     * nothing per object.
     */
    void arm(Connection c, long due) {
        if (c.closed || (c.timer != null && due - c.timer.due() >= 0)) {
            return;
        }
        if (c.timer != null) {
            timers.remove(c.timer);
        }
        c.timer = new Timer(due, timerOrder++, c);
        timers.add(c.timer);
    }

    /** Number of deadline entries queued (for tests). Selector thread only. */
    int timersQueued() {
        return timers.size();
    }

    /** Bytes the handlers of the open connections keep of what they read, summed (for tests). Selector thread only. */
    long keptInputBytes() {
        long sum = 0;
        for (Connection c : connections) {
            sum += c.handler.keptInputBytes();
        }
        return sum;
    }

    /** Closes {@code c} now and tells its handler, once. Selector thread only. */
    void close(Connection c, IOException cause) {
        if (c.closed) {
            return;
        }
        c.closed = true;
        connections.remove(c);
        if (c.timer != null) {
            timers.remove(c.timer); // nothing in the loop holds a closed connection
            c.timer = null;
        }
        c.release();
        if (c.key != null) {
            c.key.cancel();
        }
        try {
            c.channel.close();
        } catch (IOException e) {
            log.debug("closing {} failed", c, e);
        }
        try {
            c.handler.onClose(c, cause);
        } catch (RuntimeException e) {
            log.error("handler of {} failed on close", c, e);
        }
    }

    private void register(Connection c) {
        try {
            c.key = c.channel.register(selector, SelectionKey.OP_READ, c);
        } catch (IOException e) {
            close(c, e);
            return;
        }
        connections.add(c);
        try {
            c.handler.onOpen(c);
        } catch (RuntimeException e) {
            // A bug in setting up this one connection: it ends, the loop and the others go on.
            log.error("closing {}: its handler failed on open (a bug)", c, e);
            close(c, new IOException("internal error: " + e.getMessage(), e));
        }
    }

    private void run() {
        try {
            while (running) {
                select();
                resumeAccepting();
                wakeupRequested.set(false);
                runTasks();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept(key);
                    } else {
                        Connection c = (Connection) key.attachment();
                        if (key.isWritable()) {
                            if (c.readWantsWrite) {
                                c.readWantsWrite = false; // a TLS handshake's reply can go now
                                read(c);
                            }
                            c.flush();
                        }
                        if (key.isValid() && key.isReadable() && !c.closed && !c.closing) {
                            read(c);
                            if (c.writeWantsRead && !c.closed) {
                                c.writeWantsRead = false; // the TLS handshake went on: write again
                                c.flush();
                            }
                        }
                    }
                }
                readPendingTls();
                if (handedToSelf) {
                    handedToSelf = false;
                    runTasks(); // what this pass handed itself (deliveries of the posts it read), and all queued before
                }
                runTimers(); // first: what a deadline queues (an error) leaves in this round's writes
                flushPending();
            }
        } catch (IOException | ClosedSelectorException e) {
            log.error("the selector loop {} failed", thread.getName(), e);
        } catch (RuntimeException e) {
            log.error("the selector loop {} failed", thread.getName(), e);
        } finally {
            shutdown();
        }
    }

    /** Waits for I/O, a task, or the earliest deadline (or the end of an accept pause). */
    private void select() throws IOException {
        if (handedToSelf) {
            handedToSelf = false;
            selector.selectNow(); // this thread queued a task after the pass ran the queue
            return;
        }
        if (!readAgain.isEmpty()) {
            selector.selectNow(); // TLS holds decrypted bytes the selector will not signal
            return;
        }
        long millis = pausedAccepts.isEmpty() ? 0 : ACCEPT_PAUSE_MILLIS; // 0: no limit
        Timer next = timers.isEmpty() ? null : timers.first();
        if (next != null) {
            long left = next.due() - System.nanoTime();
            if (left <= 0) {
                selector.selectNow();
                return;
            }
            long untilDue = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)); // rounded up: never early
            millis = millis == 0 ? untilDue : Math.min(millis, untilDue);
        }
        selector.select(millis);
    }

    /** Runs the tasks queued when it starts, not those queued meanwhile: reads, writes and timers come between. */
    private void runTasks() {
        Runnable task;
        for (int n = tasks.size(); n > 0 && (task = tasks.poll()) != null; n--) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("a task on {} failed", thread.getName(), e);
            }
        }
    }

    /** A listening socket's handlers, and its TLS context or null. */
    private record Listener(Function<Connection, ? extends Connection.Handler> handlers, SSLContext tls) {
    }

    private void accept(SelectionKey key) {
        ServerSocketChannel server = (ServerSocketChannel) key.channel();
        SocketChannel channel;
        try {
            channel = server.accept();
        } catch (IOException e) {
            // Out of file descriptors, say: keep serving the connections already open. The
            // pending connection keeps the key ready, so accepting pauses for a while; else this
            // thread would spin on the failure and fill the log.
            if (acceptFailures++ % 1000 == 0) {
                log.warn("accept failed on {} ({} times so far); pausing accepts for {} ms: {}",
                        server, acceptFailures, ACCEPT_PAUSE_MILLIS, e.toString());
            }
            key.interestOps(0);
            pausedAccepts.add(key);
            acceptResumeNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACCEPT_PAUSE_MILLIS);
            return;
        }
        if (channel == null) {
            return;
        }
        try {
            configure(channel);
            Listener listener = (Listener) key.attachment();
            ByteChannel io = listener.tls() == null ? channel
                    : ServerTlsChannel.newBuilder(channel, listener.tls()).build();
            Connection c = new Connection(this, channel, io, listener.handlers(), settings.maxOutboundBytes());
            register(c);
        } catch (IOException e) {
            log.warn("cannot set up an accepted connection: {}", e.toString());
            closeQuietly(channel);
        } catch (RuntimeException e) {
            // A bug, not the network: this connection is dropped, accepting goes on.
            log.error("cannot set up an accepted connection (a bug)", e);
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("close failed", e);
        }
    }

    /**
     * Non-blocking, no delay, and TCP keep-alive: the peer's kernel answers the probes, so a
     * live peer is never cut for being quiet and a vanished one is (the next read fails).
     * Where the platform lets us, the probes start sooner than the kernel's default two hours.
     */
    private void configure(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        Set<java.net.SocketOption<?>> supported = channel.supportedOptions();
        if (supported.contains(ExtendedSocketOptions.TCP_KEEPIDLE)) {
            channel.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, (int) settings.keepAliveIdle().toSeconds());
        }
        if (supported.contains(ExtendedSocketOptions.TCP_KEEPINTERVAL)) {
            channel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, (int) settings.keepAliveInterval().toSeconds());
        }
        if (supported.contains(ExtendedSocketOptions.TCP_KEEPCOUNT)) {
            channel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, settings.keepAliveProbes());
        }
    }

    private void read(Connection c) {
        // TLS may hold decrypted bytes, or whole records, that the socket will not signal again:
        // read until it needs the socket. A plain socket is read once per signal.
        boolean tls = c.io != c.channel;
        for (int pass = 0; pass < (tls ? TLS_READS_PER_ROUND : 1); pass++) {
            if (!readOnce(c) || c.closed || c.closing) {
                return;
            }
        }
        if (tls) {
            // More than a round's share: the rest next round, after the others, and once however
            // often it was also selected meanwhile (a flooding peer gets one share a round).
            readAgain.add(c);
        }
    }

    /** Reads the TLS connections that had more than a round's share, once each. */
    private void readPendingTls() {
        if (readAgain.isEmpty()) {
            return;
        }
        List<Connection> now = new ArrayList<>(readAgain);
        readAgain.clear();
        for (Connection c : now) {
            if (!c.closed && !c.closing) {
                read(c);
            }
        }
    }

    /** One read of {@code c} into the loop's buffer, handed to its handler; false if nothing came. */
    private boolean readOnce(Connection c) {
        readBuffer.clear();
        int n;
        try {
            n = c.io.read(readBuffer);
        } catch (NeedsReadException e) {
            return false; // TLS: a record is not complete yet
        } catch (NeedsWriteException e) {
            c.readWantsWrite = true; // TLS: the handshake must write before reading goes on
            c.key.interestOps(c.key.interestOps() | SelectionKey.OP_WRITE);
            return false;
        } catch (IOException e) {
            close(c, e);
            return false;
        } catch (RuntimeException | AssertionError e) {
            // TLS parsing what a peer sent failed other than by an IOException: this connection
            // ends, never the loop and the others.
            close(c, new IOException("TLS failed: " + e, e));
            return false;
        }
        try {
            if (n < 0) {
                c.handler.onEndOfInput(c);
                c.closeAfterFlush(); // the peer is done; write what is queued to it, then close
                return false;
            } else if (n > 0) {
                c.handler.onRead(c, readBuffer.array(), 0, n);
            }
        } catch (RuntimeException e) {
            // A bug in the handler: this connection ends, the loop and the others go on.
            long held = failureLog.admit();
            if (held >= 0) {
                log.error("closing {}: handling its input failed ({} more like it not logged)", c, held, e);
            }
            close(c, new IOException("internal error: " + e.getMessage(), e));
            return false;
        }
        return n > 0;
    }

    private void resumeAccepting() {
        if (pausedAccepts.isEmpty() || System.nanoTime() - acceptResumeNanos < 0) {
            return;
        }
        for (SelectionKey key : pausedAccepts) {
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
        pausedAccepts.clear();
    }

    /** Handles the deadlines that have come, earliest first, and queues each connection's next. */
    private void runTimers() {
        long now = System.nanoTime();
        while (!timers.isEmpty() && timers.first().due() - now <= 0) {
            Connection c = timers.pollFirst().connection();
            if (c.closed) {
                continue; // close() takes the entry out; this only keeps a handler from hearing of a closed one
            }
            c.timer = null;
            expire(c, now);
            if (!c.closed) {
                long next = c.nextDeadline();
                if (next != Connection.NO_DEADLINE) {
                    arm(c, next);
                }
            }
        }
    }

    /** What happens to {@code c} at {@code now}: its grace time ends, or its handler's deadline comes. */
    private void expire(Connection c, long now) {
        if (c.closing) {
            if (Connection.due(c.closeDeadline, now)) {
                long held = cutLog.admit();
                if (held >= 0) {
                    log.warn("closing {}: it did not take its last {} bytes in time ({} more like it not logged)",
                            c, c.queuedBytes(), held);
                }
                close(c, null);
            }
            return;
        }
        if (Connection.due(c.deadline, now)) {
            c.deadline = Connection.NO_DEADLINE;
            try {
                c.handler.onDeadline(c);
            } catch (RuntimeException e) {
                log.error("closing {}: its handler failed on its deadline (a bug)", c, e);
                close(c, new IOException("internal error: " + e.getMessage(), e));
            }
        }
    }

    private void shutdown() {
        running = false; // execute() refuses from here on
        runTasks();      // what was handed over before the stop (a connection to register, say) is done
        try {
            flushPending(); // what was queued before the stop still leaves, as far as the sockets take it
        } catch (RuntimeException e) {
            log.debug("last flush on {} failed", thread.getName(), e);
        }
        for (Connection c : List.copyOf(connections)) {
            close(c, null);
        }
        for (ServerSocketChannel s : servers) {
            try {
                s.close();
            } catch (IOException e) {
                log.debug("closing {} failed", s, e);
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            log.debug("closing the selector failed", e);
        }
        running = false;
        tasks.clear();
        timers.clear();
    }
}
