package org.parley.zmq;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.parley.core.ChatMessage;
import org.parley.core.ProtocolException;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.PeerText;
import org.parley.core.internal.Threads;
import org.parley.zmq.internal.IoTicker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * The one thread of a {@link ZmqChatClient} that owns its sockets: a DEALER for requests, a SUB
 * for publications, and a monitor of SUB's connections. Replies go to the request correlator,
 * reconnections to the restart detector, and each pass's publications to the subscriptions. Other
 * threads reach the loop through {@link #execute}: a queue and a wake-up.
 *
 * <p>Thread safety: {@link #start}, {@link #execute}, {@link #stop}, {@link #stopping},
 * {@link #join} and {@link #stopped} may be called from any thread. Everything else runs on the
 * loop's thread, {@code parley-zmq-client-<user>}, which alone touches the sockets and the
 * list of subscriptions.
 */
final class ClientLoop {
    // Under the public class's name: one logger to configure for the whole client.
    private static final Logger log = LoggerFactory.getLogger(ZmqChatClient.class);
    private static final long POLL_MILLIS = 200;
    /**
     * How often each subscription asks for its channel's newest seq, to find messages lost on
     * PUB that no later message revealed (see {@link ClientSubscription#checkPosition}).
     */
    static final long POSITION_CHECK_NANOS = TimeUnit.SECONDS.toNanos(2);
    private long nextPositionCheck = System.nanoTime() + POSITION_CHECK_NANOS; // loop thread only
    /** Publications, or replies, read in one pass of the loop: a flood of one starves nothing else. */
    private static final int BATCH = 1024;
    /**
     * Replies queued beyond {@code maxPendingRequests}: the epoch probes, and a reply that
     * arrives as its request times out. A Parley server queues no more for one client either
     * ({@link ZmqChatServer#REPLY_HIGH_WATER_MARK}), so a client that reads its replies never
     * makes the server drop one.
     */
    private static final int REPLY_MARGIN = 64;
    /** Numbers each client's monitor endpoint, unique in the process. */
    private static final AtomicInteger MONITORS = new AtomicInteger();

    /** A command that must hear it when the loop ended before running it. */
    interface Abandonable extends Runnable {
        void abandon();
    }

    private final ZmqClientOptions options;
    /**
     * This client's shadow of the process's shared context ({@link SharedContext}), which owns its
     * sockets alone: taken by the loop's thread as it starts, released as it ends. Loop thread only.
     */
    private ZContext context;
    private final Waker waker;
    private final Thread thread;
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    final FrameGuard postGuard; // the guard of the replies' frames
    /** One line per interval for each kind of bad publication, however often a server sends it. */
    private final LogThrottle badPublicationLog = new LogThrottle(10, TimeUnit.SECONDS);
    private volatile boolean stopping;
    private volatile boolean ended; // set by the loop's thread before its last look at the commands
    // Set by start, before the thread starts; used by the loop's thread alone, as are the sockets.
    private RequestCorrelator requests;
    private RestartDetector restarts;
    private final List<ClientSubscription> subscriptions = new ArrayList<>();
    private ZMQ.Socket dealer; // null without a post port
    private ZMQ.Socket sub; // null without a PUB port
    private ZMQ.Socket monitor; // SUB's connection events; null without a pub port
    private ZMQ.Socket dealerMonitor; // DEALER's connection events; null without a post port
    /** Whether DEALER has a connection to the server now: requests are held until it has. */
    private boolean dealerUp;
    private boolean tcpOnly; // see whyNoReply
    private String handshakeFailure; // see whyNoReply
    /** SUB's connection is up (its handshake done). Loop thread only. */
    private boolean subUp;
    /** The I/O thread's tickers while a connection is being made, else null. Loop thread only. */
    private java.util.List<ZMQ.Socket> tickers;
    /** Whether the tickers are on, and how often they were put on: for tests on other threads. */
    private volatile boolean ticking;
    private volatile int tickerStarts;
    /** A reply came on the current connection. Loop thread only. */
    private boolean answering;
    /** A reply came on some connection, ever. Loop thread only. */
    private boolean everAnswered;
    /** A connection that answered went, and none has answered since. Loop thread only. */
    private boolean lost;
    /** A stopping server refused a request on this connection: see serverStopping. Loop thread only. */
    private boolean notTaking;
    /** News of the connection not yet taken by the listener's queue. Loop thread only. */
    private Boolean untold;
    /** Hears the connection go and come back (see ZmqClientOptions.Builder#onConnection); false if it could not take it now. */
    private java.util.function.Predicate<Boolean> connection = up -> true;
    private int droppedUnanswered; // connections lost since the last reply

    /** Where the post connection's going and coming back is told; before {@link #start}. */
    void onConnection(java.util.function.Predicate<Boolean> listener) {
        this.connection = listener;
    }

    ClientLoop(ZmqClientOptions options) throws IOException {
        this.options = options;
        this.waker = new Waker();
        this.postGuard = guard("post socket of " + options.user());
        this.thread = new Thread(this::run, "parley-zmq-client-" + options.user());
        thread.setDaemon(true);
    }

    /** What bounds the frames a server sends to one socket: a hostile server, too. */
    private FrameGuard guard(String socket) {
        return FrameGuard.forMessages(socket, options.maxIncomingBytes(), ZmqChatClient.MAX_INCOMING_FRAMES,
                FrameGuard.NO_BUDGET);
    }

    /** Starts the thread, and returns once it has made and connected the sockets. */
    void start(RequestCorrelator requests, RestartDetector restarts) throws IOException {
        this.requests = requests;
        this.restarts = restarts;
        thread.start();
        try {
            Threads.await(opened, Long.MAX_VALUE);
        } catch (IOException e) {
            stop(); // if interrupted; else the thread has ended already
            throw e;
        }
    }

    /** Runs {@code command} on the loop's thread; one that is {@link Abandonable} hears it if it never runs. */
    void execute(Runnable command) {
        commands.add(command);
        waker.wake();
        if (ended) {
            abandonQueued(); // the loop's thread is gone: it will not run what was just queued
        }
    }

    /** Tells the loop's thread to stop; it closes the sockets. */
    void stop() {
        stopping = true;
        waker.wake();
    }

    boolean stopping() {
        return stopping;
    }

    /** Waits for the loop's thread until {@code deadline}; whether it has ended. */
    boolean join(long deadline) {
        if (!Threads.joinUntil(thread, deadline)) {
            log.warn("{} did not stop in time for its close", thread.getName());
            return false;
        }
        return true;
    }

    /** Whether the loop's thread has ended, its sockets closed. */
    boolean stopped() {
        return !thread.isAlive();
    }

    // ---- the loop's thread below

    /** Sends one request; false if the socket's queue is full. */
    boolean send(byte[] body) {
        return dealer.send(new byte[0], ZMQ.SNDMORE | ZMQ.DONTWAIT) && dealer.send(body, ZMQ.DONTWAIT);
    }

    void add(ClientSubscription s) {
        subscriptions.add(s);
        sub.subscribe(s.topic());
    }

    void remove(ClientSubscription s) {
        if (subscriptions.remove(s)) {
            sub.unsubscribe(s.topic());
        }
    }

    private void open() throws IOException {
        updateTicker();
        if (options.postPort() != ZmqClientOptions.NO_PORT) {
            dealer = context.createSocket(SocketType.DEALER);
            dealer.setLinger(0);
            // Room for a reply to every request this client may have in flight: a hostile
            // server cannot make it queue more, and a Parley server never sends more.
            dealer.setRcvHWM((int) Math.min(Integer.MAX_VALUE, options.maxPendingRequests() + (long) REPLY_MARGIN));
            postGuard.install(dealer);
            // A request goes only to a connection that is up: none waits in ZeroMQ's queue for a
            // server that may start later, to be posted long after it was reported as failed.
            // JeroMQ's option has the opposite sense of libzmq's ZMQ_IMMEDIATE: false is the one
            // that queues only to completed connections and drops a pipe's messages when its
            // connection goes. The client holds requests itself until DEALER's handshake with a
            // server is done (see RequestCorrelator).
            dealer.setImmediate(false);
            String endpoint = "inproc://parley-dealer-monitor-" + MONITORS.incrementAndGet();
            dealer.monitor(endpoint, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_HANDSHAKE_PROTOCOL | ZMQ.EVENT_DISCONNECTED
                    | ZMQ.HANDSHAKE_FAILED_AUTH | ZMQ.HANDSHAKE_FAILED_PROTOCOL | ZMQ.HANDSHAKE_FAILED_NO_DETAIL);
            dealerMonitor = context.createSocket(SocketType.PAIR);
            dealerMonitor.setLinger(0);
            dealerMonitor.connect(endpoint);
            connect(dealer, options.postPort());
        }
        if (options.pubPort() != ZmqClientOptions.NO_PORT) {
            sub = context.createSocket(SocketType.SUB);
            sub.setLinger(0);
            sub.setRcvHWM(options.receiveHighWaterMark());
            guard("SUB socket of " + options.user()).install(sub);
            // Each reconnection of SUB may be to a new server, which numbers its messages from
            // 1 again: the restart detector probes the epoch, or, without a post port to probe
            // with, has the subscriptions count anew (see RestartDetector#connected).
            String endpoint = "inproc://parley-sub-monitor-" + MONITORS.incrementAndGet();
            sub.monitor(endpoint, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_HANDSHAKE_PROTOCOL | ZMQ.EVENT_DISCONNECTED);
            monitor = context.createSocket(SocketType.PAIR);
            monitor.setLinger(0);
            monitor.connect(endpoint);
            connect(sub, options.pubPort());
        }
    }

    private void connect(ZMQ.Socket socket, int port) throws IOException {
        String[] curve = options.curve();
        if (curve != null) {
            socket.setCurveServerKey(CurveKeys.decode(curve[0]));
            socket.setCurvePublicKey(CurveKeys.decode(curve[1]));
            socket.setCurveSecretKey(CurveKeys.decode(curve[2]));
        }
        String endpoint = "tcp://" + options.host() + ":" + port;
        try {
            if (!socket.connect(endpoint)) {
                throw new IOException("cannot connect to " + endpoint);
            }
        } catch (ZMQException | IllegalArgumentException e) {
            throw new IOException("cannot connect to " + endpoint + ": " + e.getMessage(), e);
        }
    }

    private void run() {
        SocketPoll poller = null;
        Exception failure = null;
        try {
            context = SharedContext.acquire();
            open();
            poller = new SocketPoll(waker, dealer, sub, monitor, dealerMonitor);
            opened.complete(null);
            long wait = 0;
            while (!stopping) {
                // Non-blocking reads follow whether or not a socket said it has input: a bounded
                // drain may have left some, which no descriptor signals again.
                if (waker.drain(poller.await(wait))) { // a command comes with a wake
                    Runnable command;
                    while ((command = commands.poll()) != null) {
                        command.run();
                    }
                }
                if (monitor != null) {
                    receiveConnectionEvents(); // before publications: a new connection's are held
                }
                // Replies first: one read before a lost connection is handled answers its request,
                // which then does not go again; nothing goes again while replies wait to be read.
                boolean backlog = dealer != null && drain(dealer, requests::receive);
                if (dealerMonitor != null) {
                    receiveDealerEvents(!backlog);
                }
                List<ChatMessage> batch = new ArrayList<>(); // new each pass: handed on as it is (see pass)
                backlog |= sub != null && drain(sub, frames -> decode(frames, batch));
                long untilTimeout = requests.expire(POLL_MILLIS);
                wait = backlog ? 0 : untilTimeout;
                for (ClientSubscription s : subscriptions) {
                    s.pass(batch);
                }
                if (untold != null) {
                    tell(untold);
                }
                if (System.nanoTime() - nextPositionCheck >= 0) {
                    nextPositionCheck = System.nanoTime() + POSITION_CHECK_NANOS;
                    subscriptions.forEach(ClientSubscription::checkPosition);
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
            if (opened.isDone()) {
                log.error("{} failed; the client stops", thread.getName(), e);
            }
        } finally {
            ended = true;
            try {
                requests.failAll();
                abandonQueued();
                if (monitor != null) {
                    // Closes the monitor's own socket now: the context does not know it, and a
                    // forgotten one would keep the context from terminating.
                    sub.monitor(null, 0);
                }
                if (dealerMonitor != null) {
                    dealer.monitor(null, 0);
                }
                if (poller != null) {
                    poller.close();
                }
                waker.close();
            } finally {
                opened.completeExceptionally(failure != null ? failure : new IOException("stopped while connecting"));
                if (context != null) {
                    SharedContext.release(context); // its sockets, and the shared context with the last client
                }
            }
        }
    }

    private void abandonQueued() {
        Runnable command;
        while ((command = commands.poll()) != null) {
            if (command instanceof Abandonable a) {
                a.abandon();
            }
        }
    }

    /**
     * DEALER's connection came up (its handshake done) or went down; requests held for it go
     * once it is up, if {@code mayResend} (no reply waits to be read).
     */
    private void receiveDealerEvents(boolean mayResend) {
        ZMQ.Event event;
        while ((event = ZMQ.Event.recv(dealerMonitor, ZMQ.DONTWAIT)) != null) {
            if (event.getEvent() == ZMQ.EVENT_CONNECTED) {
                tcpOnly = !dealerUp; // a TCP port: its handshake may follow, or never come
            } else if (event.getEvent() == ZMQ.HANDSHAKE_FAILED_AUTH) {
                handshakeFailure = ": the server refused this client's key (is it in the server's users file?)";
            } else if (event.getEvent() == ZMQ.HANDSHAKE_FAILED_PROTOCOL
                    || event.getEvent() == ZMQ.HANDSHAKE_FAILED_NO_DETAIL) {
                handshakeFailure = options.curve() == null
                        ? ": the server refused the handshake: it may require a key (CurveZMQ)"
                        : ": the CurveZMQ handshake failed: the server may not use CurveZMQ, or its public key is not "
                                + "the one given";
            } else if (event.getEvent() == ZMQ.EVENT_HANDSHAKE_PROTOCOL) { // a server, not just a TCP port
                tcpOnly = false;
                dealerUp = true;
                notTaking = false; // a new connection: what a stopping server refused may go to it
            } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                if (tcpOnly && !dealerUp) {
                    // Ended at the greeting: the two sides did not agree on a mechanism.
                    handshakeFailure = options.curve() == null
                            ? ": the port ends connections at ZeroMQ's greeting: the server may require a key "
                                    + "(CurveZMQ), or it is not a ZeroMQ port"
                            : ": the port ends connections at ZeroMQ's greeting: the server may not use CurveZMQ, "
                                    + "or it is not a ZeroMQ port";
                }
                if (dealerUp) {
                    droppedUnanswered++; // reset by a reply
                }
                // JeroMQ reports the handshake before it checks the socket types, so a
                // connection is the server's only once a reply came on it (see answered).
                if (answering) {
                    answering = false;
                    lost = true;
                    tell(false);
                }
                dealerUp = false;
                requests.connectionLost(); // what it held is gone: sent again on the next one
            }
        }
        if (dealerUp && mayResend && !notTaking) {
            requests.sendHeld();
        }
        updateTicker();
    }

    /** Whether the I/O thread is kept ticking: while a connection is being made (for tests). */
    boolean ticking() {
        return ticking;
    }

    /** How often the tickers were put on (for tests). */
    int tickerStarts() {
        return tickerStarts;
    }

    /** Whether DEALER is connected to the server now. Loop thread only. */
    boolean dealerUp() {
        return dealerUp;
    }

    /**
     * Why nothing may have answered on the post port, for the error of a request that timed
     * out: the port accepted a TCP connection that no ZeroMQ handshake followed, or nothing ever
     * answered on it and a connection to it ended after its handshake (the peer's ZeroMQ socket
     * is not one a DEALER may talk to: a PUB port given as the post port); else empty. Loop
     * thread only.
     */
    String whyNoReply() {
        if (handshakeFailure() != null) {
            return handshakeFailure;
        }
        return tcpOnly || (!everAnswered && droppedUnanswered >= 1)
                ? ": the port accepts connections, but no ZeroMQ post socket answers there"
                        + " (are the post and PUB ports swapped?)"
                : "";
    }

    /**
     * Why the post connection's handshake failed (the server refused this client's key, or one
     * side uses CurveZMQ and the other not), while no reply ever came; else null. Loop thread only.
     */
    String handshakeFailure() {
        return everAnswered ? null : handshakeFailure;
    }

    /** A reply came: the post port answers, on this connection. Loop thread only. */
    void answered() {
        droppedUnanswered = 0;
        everAnswered = true;
        if (!answering) {
            answering = true;
            if (lost) {
                lost = false;
                tell(true);
            }
        }
    }

    /**
     * The server answered that it stops and took a request: nothing goes (again) until a new
     * connection is up, or the two would trade the same request and refusal until its deadline.
     * Loop thread only.
     */
    void serverStopping() {
        notTaking = true;
    }

    /** Tells the listener, or, when its queue is full, leaves the news for the next pass. */
    private void tell(boolean up) {
        untold = connection.test(up) ? null : up;
    }

    private void receiveConnectionEvents() {
        ZMQ.Event event;
        while ((event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) != null) {
            if (event.getEvent() == ZMQ.EVENT_CONNECTED) {
                restarts.connected();
            } else if (event.getEvent() == ZMQ.EVENT_HANDSHAKE_PROTOCOL) {
                subUp = true;
            } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                subUp = false;
            }
        }
        updateTicker();
    }

    /**
     * Keeps the I/O thread ticking while a connection is being made, the only time JeroMQ's
     * lost wake-up can strand one (see {@link IoTicker}); an idle client with both connections up
     * lets the thread sleep. Loop thread only.
     */
    private void updateTicker() {
        boolean connecting = (dealer != null && !dealerUp) || (sub != null && !subUp) || (dealer == null && sub == null);
        if (connecting && tickers == null) {
            tickers = IoTicker.attach(context);
            tickerStarts++; // the loop's thread alone writes it
        } else if (!connecting && tickers != null) {
            IoTicker.detach(context, tickers);
            tickers = null;
        }
        ticking = tickers != null;
    }

    /**
     * Hands at most {@value #BATCH} messages waiting on {@code socket} to {@code handle}; true if
     * more may wait. A message's later frames are read without waiting too: a message reaches
     * the socket whole, but when its connection goes the socket drops its pipe at once (a
     * reconnecting DEALER or SUB keeps none), with the rest of a message whose first frame was
     * read. Waiting for that rest stalled the thread until some other message came, and with it
     * every request of the client: seen as posts never answered in the soak tests. Such a
     * message is dropped; its request goes again on the next connection.
     */
    private static boolean drain(ZMQ.Socket socket, Consumer<List<byte[]>> handle) {
        for (int i = 0; i < BATCH; i++) {
            byte[] first = socket.recv(ZMQ.DONTWAIT);
            if (first == null) {
                return false;
            }
            List<byte[]> frames = new ArrayList<>(2); // at most the guard's bound
            frames.add(first);
            boolean whole = true;
            while (whole && socket.hasReceiveMore()) {
                byte[] next = socket.recv(ZMQ.DONTWAIT);
                whole = next != null;
                if (whole) {
                    frames.add(next);
                }
            }
            if (whole) {
                handle.accept(frames);
            }
        }
        return true;
    }

    /** One publication's frames, a topic and a body, into {@code batch}; a bad one is logged. */
    private void decode(List<byte[]> frames, List<ChatMessage> batch) {
        if (frames.size() != 2) {
            badPublication("expected two frames, a topic and a body");
            return;
        }
        try {
            // Refused here, a message never reaches a listener: a time past the year 9999,
            // which no zone can show, or bytes a lenient decoder would read as other text.
            ChatMessage m = Wire.publication(frames.get(1));
            if (Wire.isTopicOf(frames.get(0), m.channel())) {
                batch.add(m);
            } else {
                badPublication("a message of channel " + m.channel() + " under another topic");
            }
        } catch (ProtocolException e) {
            badPublication(e.getMessage());
        }
    }

    /** Logs, once per interval, a publication that was ignored; {@code why} may quote the server. */
    private void badPublication(String why) {
        long held = badPublicationLog.admit();
        if (held >= 0) {
            log.warn("publication ignored: {} ({} more not logged)", PeerText.excerpt(why), held);
        }
    }
}
