package org.parley.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.Dispatcher;
import org.parley.core.internal.HubAccess;
import org.parley.core.internal.LogThrottle;
import org.parley.core.internal.Names;
import org.parley.core.internal.PeerText;
import org.parley.web.internal.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket chat server: one port serves the chat page at {@code /} and the WebSocket at
 * {@code /ws}, where browsers post, subscribe to a channel (or {@code ALL}) and read history
 * and presence, in JSON text messages of the ZeroMQ transport's shapes (docs/PROTOCOL.md,
 * "WebSocket transport").
 *
 * <pre>{@code
 * try (WebServer web = WebServer.start(WebServerOptions.builder().host("127.0.0.1").port(8080).build())) {
 *     System.out.println("open http://127.0.0.1:" + web.port() + "/");
 *     ...
 * }
 * }</pre>
 *
 * <p>Rules: the hub's, as on every transport (names, {@code ALL} read-only, post ids). A bad
 * request gets an error reply naming what was wrong and the connection goes on; a page of
 * another origin than the server's own (or one allowed in the options) is refused at the
 * upgrade; a browser that reads too slowly is disconnected once what waits for it passes
 * {@link WebServerOptions.Builder#maxQueuedBytes}, and nobody else waits for it.
 *
 * <p>Threads: Jetty's pool, {@code parley-web-<port>-N}, reads and answers requests, and never
 * runs user code; one hub dispatcher, {@code parley-web-<port>}, encodes each message of the hub
 * once and hands it to every connection subscribed to its channel or to {@code ALL}.
 *
 * <p>Thread safety: {@link #close()} and the getters may be called from any thread.
 */
public final class WebServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebServer.class);
    /** The error of a server that stops: the request was not taken. */
    static final String SHUTTING_DOWN = "server is shutting down";
    /** The reply to a request whose handling failed for a reason of ours: the details go to the log only. */
    static final String INTERNAL_ERROR = "internal error";
    /** The page, from the class path. */
    private static final String PAGE = "index.html";
    /** A connection that says nothing for this long is closed (the page says who is there every 5 s). */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_THREADS = 32;

    private final WebServerOptions options;
    private final ChatHub hub;
    private final boolean ownsHub;
    private final int maxFrameBytes;
    private final int maxIncomingBytes;
    private final byte[] page;
    private final Server jetty;
    private final ServerConnector connector;
    private final Dispatcher dispatcher;
    /** The connections subscribed to each channel ({@code ALL} included). */
    private final ConcurrentHashMap<String, Set<WebConnection>> members = new ConcurrentHashMap<>();
    /** Connections open: bounded by the options, told when the server closes. */
    private final Set<WebConnection> live = ConcurrentHashMap.newKeySet();
    /** Connections open per remote IP address; an address with none is not kept. */
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Checks the tokens browsers prove their users with; null when they do not authenticate. */
    private final org.parley.core.internal.SignedTokens tokens;
    private volatile boolean stopping;
    private final LogThrottle slowLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final LogThrottle refusedLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final LogThrottle peerLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final LogThrottle bugLog = new LogThrottle(10, TimeUnit.SECONDS);

    private WebServer(WebServerOptions options, ChatHub hub, boolean ownsHub) throws IOException {
        this.options = options;
        this.hub = hub;
        this.ownsHub = ownsHub;
        this.maxFrameBytes = HubAccess.limits(hub).maxFrameBytes();
        this.maxIncomingBytes = options.maxIncomingBytes(maxFrameBytes);
        if (maxIncomingBytes < maxFrameBytes) {
            throw new IllegalArgumentException("maxIncomingBytes " + maxIncomingBytes
                    + " is below the hub's frame limit, " + maxFrameBytes + ": a request within it would close its connection");
        }
        if (options.maxQueuedBytes() < 2L * maxFrameBytes) {
            throw new IllegalArgumentException("maxQueuedBytes " + options.maxQueuedBytes()
                    + " is below twice the hub's frame limit, " + 2L * maxFrameBytes);
        }
        this.page = readPage();
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 4);
        this.jetty = new Server(threads);
        // One acceptor and one selector thread, as the TCP server has one selector: the pool's
        // bound then holds whatever the number of cores.
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false); // no "Server: Jetty(...)" for a scanner to match
        if (options.tls() != null) {
            org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
            ssl.setSslContext(options.tls());
            http.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false)); // no SNI host check
            this.connector = new BoundedConnector(jetty, networkConnections(options.maxConnectionsPerAddress()),
                    new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        } else {
            this.connector = new BoundedConnector(jetty, networkConnections(options.maxConnectionsPerAddress()),
                    new HttpConnectionFactory(http));
        }
        this.tokens = options.tokenSecret() == null ? null
                : new org.parley.core.internal.SignedTokens(options.tokenSecret());
        connector.setHost(options.host());
        connector.setPort(options.port());
        jetty.addConnector(connector);
        // Connections that have not upgraded (a page load, or a socket that says nothing) count
        // too: past this bound Jetty accepts no more until one closes, so idle sockets cannot
        // take every descriptor the process has; and one address may hold only its share of
        // them (BoundedConnector), so one host cannot keep everyone else out.
        jetty.addBean(new NetworkConnectionLimit(networkConnections(options.maxConnections()), connector));
        try {
            connector.open(); // bound now, so that the threads are named after the port
        } catch (IOException e) {
            throw bindFailure(e);
        }
        threads.setName("parley-web-" + connector.getLocalPort());
        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(jetty, container -> {
            container.setMaxTextMessageSize(maxIncomingBytes);
            container.setMaxBinaryMessageSize(maxIncomingBytes);
            container.setMaxFrameSize(maxIncomingBytes);
            container.setIdleTimeout(IDLE_TIMEOUT);
            container.addMapping("/ws", this::upgrade);
        });
        ws.setHandler(new PageHandler());
        jetty.setHandler(ws);
        // Before the first connection: every message stored from now on reaches the subscribers.
        try {
            this.dispatcher = hub.dispatcher("parley-web-" + connector.getLocalPort(), ChatHub.DEFAULT_DISPATCHER_CAPACITY);
        } catch (RuntimeException e) {
            connector.close(); // the hub was closed meanwhile
            throw e;
        }
        try {
            dispatcher.subscribe(Names.ALL, (message, origin) -> fanOut(message));
            jetty.start();
        } catch (Exception e) {
            dispatcher.close();
            stopJetty();
            throw e instanceof IOException io ? io : new IOException("cannot start the web server on "
                    + options.host() + ":" + connector.getLocalPort() + ": " + e, e);
        }
    }

    /**
     * Listens and starts serving.
     *
     * @throws IOException              if the address cannot be bound (in use, not this machine's);
     *                                  the message names it
     * @throws IllegalArgumentException if the options do not fit the hub's limits
     */
    public static WebServer start(WebServerOptions options) throws IOException {
        boolean ownsHub = options.hub() == null;
        ChatHub hub = ownsHub ? ChatHub.create() : options.hub();
        try {
            WebServer server = new WebServer(options, hub, ownsHub);
            log.info("web server listening on {}://{}:{}/", options.tls() != null ? "https" : "http", options.host(),
                    server.port());
            return server;
        } catch (IOException | RuntimeException e) {
            if (ownsHub) {
                hub.close();
            }
            throw e;
        }
    }

    /** The port listened on (the one picked, when the options said 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The hub this server posts to and delivers from. */
    public ChatHub hub() {
        return hub;
    }

    /** Connections open now. */
    public int connections() {
        return live.size();
    }

    /**
     * Stops taking requests (those that come get {@value #SHUTTING_DOWN}), lets the hub's
     * dispatcher hand over what it holds (up to 1 s), then closes every connection (status
     * 1001, going away, after what is queued for it; up to 1 s more) and the port, and the hub
     * if the server made it. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopping = true;
        dispatcher.close(Duration.ofSeconds(1));
        // Each connection gets a close frame after what is queued for it, then Jetty stops.
        CompletableFuture<?>[] goodbyes = live.stream().map(WebConnection::goAway).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(goodbyes).get(1, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.debug("not every connection took its close frame within 1 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopJetty();
        if (ownsHub) {
            hub.close();
        }
    }

    /** Runs {@code task} after {@code nanos}, on Jetty's scheduler thread. */
    void schedule(Runnable task, long nanos) {
        try {
            connector.getScheduler().schedule(task, nanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: every connection is being closed anyway
        }
    }

    private void stopJetty() {
        try {
            jetty.stop();
        } catch (Exception e) {
            log.warn("stopping the web server on port {} failed", options.port(), e);
        }
    }

    @Override
    public String toString() {
        return "WebServer[" + options.host() + ":" + port() + "]";
    }

    // ---------------------------------------------------------------- for the connections

    boolean isStopping() {
        return stopping;
    }

    /** The user a signed token names, or an exception that says why not; null tokens when nobody authenticates. */
    org.parley.core.internal.SignedTokens tokens() {
        return tokens;
    }

    int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Bytes that may wait to be written to one connection. */
    int maxQueuedBytes() {
        return options.maxQueuedBytes();
    }

    /** Moves {@code c} from the members of {@code from} (if any) to those of {@code to}. */
    void move(WebConnection c, String from, String to) {
        if (from != null) {
            members.computeIfPresent(from, (k, set) -> {
                set.remove(c);
                return set.isEmpty() ? null : set;
            });
        }
        members.compute(to, (k, set) -> {
            Set<WebConnection> s = set != null ? set : ConcurrentHashMap.newKeySet();
            s.add(c);
            return s;
        });
    }

    void opened(WebConnection c) {
        live.add(c);
        perAddress.merge(c.address(), 1, Integer::sum);
    }

    /** {@code c} closed, subscribed to {@code channel} (or null). */
    void left(WebConnection c, String channel) {
        if (live.remove(c)) {
            perAddress.computeIfPresent(c.address(), (a, n) -> n > 1 ? n - 1 : null);
        }
        if (channel != null) {
            members.computeIfPresent(channel, (k, set) -> {
                set.remove(c);
                return set.isEmpty() ? null : set;
            });
        }
    }

    void slowReader(WebConnection c, long waiting) {
        long held = slowLog.admit();
        if (held >= 0) {
            log.warn("{} is too slow: {} bytes wait to be written, past the limit of {}; disconnected "
                    + "({} more not logged)", c, waiting, options.maxQueuedBytes(), held);
        }
    }

    void peerError(WebConnection c, Throwable cause) {
        long held = peerLog.admit();
        if (held >= 0) {
            log.info("{} failed: {} ({} more not logged)", c, PeerText.excerpt(String.valueOf(cause)), held);
        }
    }

    /** A failure that only a bug explains: logged at most once per interval, and the server goes on. */
    void bug(String what, RuntimeException e) {
        long held = bugLog.admit();
        if (held >= 0) {
            log.error("a bug: {} failed; the server goes on ({} more failures not logged)", what, held, e);
        }
    }

    // ---------------------------------------------------------------- delivery

    /** On the dispatcher: one message of the hub, encoded once, to the subscribers of its channel and of ALL. */
    private void fanOut(ChatMessage m) {
        Set<WebConnection> of = members.get(m.channel());
        Set<WebConnection> all = members.get(Names.ALL);
        if (of == null && all == null) {
            return;
        }
        String frame = WebWire.message(m);
        int bytes = WebWire.utf8Length(frame);
        if (of != null) {
            for (WebConnection c : of) {
                c.deliver(m, frame, bytes);
            }
        }
        if (all != null) {
            for (WebConnection c : all) {
                c.deliver(m, frame, bytes);
            }
        }
    }

    // ---------------------------------------------------------------- the upgrade and the page

    /**
     * The TCP connections the server accepts at once, in all or from one address: its WebSocket
     * connections and a quarter more (at least 16) for pages being loaded and upgrades under way.
     */
    static int networkConnections(int maxConnections) {
        return (int) Math.min(Integer.MAX_VALUE, maxConnections + Math.max(16L, maxConnections / 4));
    }

    /** The WebSocket creator of {@code /ws}: checks the origin and the number of connections. */
    private Object upgrade(ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !allowed(origin, request)) {
            refused(request, response, callback, HttpStatus.FORBIDDEN_403, "origin " + PeerText.excerpt(origin)
                    + " is not allowed: only pages of this server (or of an origin its options allow) may connect");
            return null;
        }
        if (stopping) {
            refused(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, SHUTTING_DOWN);
            return null;
        }
        // Counted once open: upgrades under way at the same moment may pass the bound by a few.
        if (live.size() >= options.maxConnections()) {
            refused(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503,
                    "the server is full: " + options.maxConnections() + " connections");
            return null;
        }
        String address = Request.getRemoteAddr(request);
        int fromThere = perAddress.getOrDefault(address, 0);
        if (fromThere >= options.maxConnectionsPerAddress()) {
            refused(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, "connection " + (fromThere + 1)
                    + " from " + address + " exceeds the limit of " + options.maxConnectionsPerAddress() + " per address");
            return null;
        }
        // No compression: a deflater per connection costs memory the server bounds, and a message
        // is encoded once for every browser.
        response.setExtensions(List.of());
        return new Endpoint(new WebConnection(this, address, Request.getRemotePort(request)));
    }

    /** Whether a page of {@code origin} may connect: the server's own origin, or one the options allow. */
    private boolean allowed(String origin, Request request) {
        String o = origin.toLowerCase(Locale.ROOT);
        if (options.allowedOrigins().contains(o)) {
            return true;
        }
        String host = request.getHeaders().get(HttpHeader.HOST);
        String scheme = request.isSecure() ? "https://" : "http://";
        // The page's own origin, as its Host names it, only for an address or localhost: a name
        // can be pointed at this server by whoever owns it (DNS rebinding), so a page served under
        // a name connects only if the options allow that origin.
        return host != null && isAddressOrLocalhost(host) && o.equals(scheme + host.toLowerCase(Locale.ROOT));
    }

    /** Whether a Host header names an IP address or localhost (with or without a port). */
    static boolean isAddressOrLocalhost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            return h.indexOf(']') > 0; // an IPv6 literal
        }
        int colon = h.lastIndexOf(':');
        String name = colon >= 0 ? h.substring(0, colon) : h;
        return name.equals("localhost") || name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private void refused(Request request, Response response, Callback callback, int status, String why) {
        long held = refusedLog.admit();
        if (held >= 0) {
            log.info("refused a WebSocket from {}: {} ({} more not logged)", Request.getRemoteAddr(request), why, held);
        }
        // Plain text, one line: what a WebSocket client shows of a failed handshake.
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.write(true, ByteBuffer.wrap((why + "\n").getBytes(StandardCharsets.UTF_8)), callback);
    }

    /**
     * One acceptor and one selector thread (as the TCP server has one selector: the pool's bound
     * then holds whatever the number of cores), and at most {@code perAddress} TCP connections
     * from one address at once: one more is closed as soon as it is accepted (Jetty logs that at
     * debug level only), and a place is free again once one of its connections closes.
     *
     * <p>Thread safety: Jetty calls it from its acceptor and selector threads; the counts are a
     * concurrent map.
     */
    private static final class BoundedConnector extends ServerConnector {
        private final int perAddress;
        private final java.util.concurrent.ConcurrentHashMap<InetAddress, Integer> open = new java.util.concurrent.ConcurrentHashMap<>();

        BoundedConnector(Server server, int perAddress, org.eclipse.jetty.server.ConnectionFactory... factories) {
            super(server, 1, 1, factories);
            this.perAddress = perAddress;
        }

        @Override
        protected org.eclipse.jetty.io.SocketChannelEndPoint newEndPoint(java.nio.channels.SocketChannel channel,
                org.eclipse.jetty.io.ManagedSelector selector, java.nio.channels.SelectionKey key) throws IOException {
            InetAddress address = ((java.net.InetSocketAddress) channel.getRemoteAddress()).getAddress();
            int n = open.merge(address, 1, Integer::sum);
            if (n > perAddress) {
                release(address);
                throw new IOException("connection " + n + " from " + address + " exceeds " + perAddress + " per address");
            }
            org.eclipse.jetty.io.SocketChannelEndPoint endPoint =
                    new org.eclipse.jetty.io.SocketChannelEndPoint(channel, selector, key, getScheduler()) {
                        @Override
                        public void onClose(Throwable cause) {
                            try {
                                super.onClose(cause);
                            } finally {
                                release(address);
                            }
                        }
                    };
            endPoint.setIdleTimeout(getIdleTimeout());
            return endPoint;
        }

        private void release(InetAddress address) {
            open.computeIfPresent(address, (a, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** Serves the page at {@code /}; anything else is not found. */
    private final class PageHandler extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            boolean get = HttpMethod.GET.is(request.getMethod()) || HttpMethod.HEAD.is(request.getMethod());
            if (!get || !("/".equals(path) || "/index.html".equals(path))) {
                return false;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            response.getHeaders().put("X-Content-Type-Options", "nosniff");
            response.getHeaders().put("Referrer-Policy", "no-referrer");
            // The page's script and style are inline; nothing else may load, and it connects to its own server only.
            response.getHeaders().put("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                    + "style-src 'unsafe-inline'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; "
                    + "frame-ancestors 'none'"); // no other site may frame the page
            boolean head = HttpMethod.HEAD.is(request.getMethod());
            response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(page), callback);
            return true;
        }
    }

    private static byte[] readPage() throws IOException {
        try (InputStream in = WebServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IOException("the chat page " + PAGE + " is missing from the class path");
            }
            return in.readAllBytes();
        }
    }

    /** The failure to bind, as one line naming the address. */
    private IOException bindFailure(IOException e) {
        String address = options.host() + ":" + options.port();
        Throwable cause = e;
        while (cause != null && !(cause instanceof BindException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof BindException) {
            return new IOException(isOwnAddress(options.host()) ? "address " + address + " is already in use"
                    : "cannot bind " + address + ": not an address of this machine", e);
        }
        return new IOException("cannot bind " + address + ": " + e.getMessage(), e);
    }

    private static boolean isOwnAddress(String host) {
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.isAnyLocalAddress() || a.isLoopbackAddress() || java.net.NetworkInterface.getByInetAddress(a) != null;
        } catch (IOException e) {
            return true;
        }
    }
}
