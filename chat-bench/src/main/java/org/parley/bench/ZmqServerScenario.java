package org.parley.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.internal.IoTicker;
import org.zeromq.ZContext;

/**
 * A ZeroMQ server as its own process, driven by clients in this JVM: the server apart from its
 * clients' cost, and the clients apart from the server's. The posting clients are always light
 * ({@link ZmqPoster}: a DEALER sending the exact bytes of Parley's post requests, {@link
 * PostRequests}); the server and the K subscribers are one of:
 *
 * <ul>
 *   <li>{@link #server}: the Parley ZeroMQ server ({@link ParleyServerProcess}, the server of
 *       {@code bin/mc_server}), subscribers that only count (SUB sockets on one context, each
 *       publication's text found in place at its end);
 *   <li>{@link #relay}: the raw JSON relay ({@link JsonRelay}) with the same clients: the ceiling
 *       of a server of this protocol;
 *   <li>{@link #parleyClients}: the Parley ZeroMQ server with K {@link ZmqChatClient} subscribers;
 *   <li>{@link #jacksonClients}: the same server with K plain clients: a SUB socket on a context of
 *       its own (as a client program has) whose thread decodes each publication with Jackson's
 *       ObjectMapper into a record, the way a client written from docs/PROTOCOL.md alone would.
 * </ul>
 *
 * <p>The server's CPU time is its own process's ({@link ExternalServer#cpuSeconds}); the
 * subscribers' is that of the threads they made ({@link CpuClock#threadSeconds}): for Parley's
 * clients their socket threads, delivery threads and contexts' I/O threads, for the others their
 * receiving threads and I/O threads; the listener that reports into the sink is the same for all.
 *
 * <p>Thread safety: as {@link Scenario}; each subscriber reports from its own thread.
 */
final class ZmqServerScenario extends BaseScenario {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ZmqServerScenario.class);
    static final String CHANNEL = "bench";
    private static final ObjectReader PUBLICATION = new ObjectMapper().readerFor(Publication.class);

    /** A publication as a plain client reads it (docs/PROTOCOL.md, "PUB socket"). */
    record Publication(String channel, long seq, String user, String time, String text) {
    }

    private enum Subscribers { COUNTING, PARLEY, JACKSON }

    private final boolean parleyServer;
    private final Subscribers kind;
    private final ThreadGroup subscriberThreads;
    private ZContext posters;
    private String postEndpoint;
    private SubSockets sockets;
    private final List<ZmqChatClient> clients = new ArrayList<>();
    /**
     * Whether the Parley clients' JeroMQ I/O threads are in {@link #subscriberThreads}: the
     * clients of a process share one context, made by the first client, and another row's
     * clients (Parley ZeroMQ's, set up in the same run) may have made it.
     */
    private boolean ioThreadsCounted = true;

    private ZmqServerScenario(String system, int k, int publishers, boolean parleyServer, Subscribers kind) {
        super(system, k, publishers);
        this.parleyServer = parleyServer;
        this.kind = kind;
        this.subscriberThreads = new ThreadGroup("parley-bench-" + system.replace(' ', '-') + "-subscribers");
    }

    /** The Parley ZeroMQ server, light clients. */
    static ZmqServerScenario server(int k, int publishers) {
        return new ZmqServerScenario(Systems.PARLEY_ZMQ_SERVER, k, publishers, true, Subscribers.COUNTING);
    }

    /** The raw JSON relay, light clients. */
    static ZmqServerScenario relay(int k, int publishers) {
        return new ZmqServerScenario(Systems.RAW_JSON_RELAY, k, publishers, false, Subscribers.COUNTING);
    }

    /** The Parley ZeroMQ server, light posters, K Parley ZeroMQ clients subscribed. */
    static ZmqServerScenario parleyClients(int k, int publishers) {
        return new ZmqServerScenario(Systems.PARLEY_ZMQ_CLIENT, k, publishers, true, Subscribers.PARLEY);
    }

    /** The Parley ZeroMQ server, light posters, K plain clients decoding with Jackson. */
    static ZmqServerScenario jacksonClients(int k, int publishers) {
        return new ZmqServerScenario(Systems.JACKSON_CLIENT, k, publishers, true, Subscribers.JACKSON);
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        int postPort = ExternalServer.freePort();
        int pubPort = ExternalServer.freePort();
        while (pubPort == postPort) {
            pubPort = ExternalServer.freePort();
        }
        server = parleyServer
                ? ExternalServer.startJava("Parley ZeroMQ server", ParleyServerProcess.class,
                        ParleyServerProcess.zmq(postPort, pubPort), postPort, 30_000)
                : ExternalServer.startJava("raw JSON relay", JsonRelay.class, JsonRelay.args(postPort, pubPort),
                        postPort, 30_000);
        postEndpoint = "tcp://127.0.0.1:" + postPort;
        String pubEndpoint = "tcp://127.0.0.1:" + pubPort;
        posters = new ZContext(1);
        IoTicker.attach(posters); // DEALER to ROUTER on fresh connections, as Parley's clients (see IoTicker)
        switch (kind) {
            case COUNTING -> sockets = new SubSockets(pubEndpoint, RawJeromqScenario.TOPIC, k, false, subscriberThreads,
                    "parley-bench-light-sub", (sub, body) -> sink.deliver(sub, body, textAt(body)));
            case JACKSON -> sockets = new SubSockets(pubEndpoint, RawJeromqScenario.TOPIC, k, true, subscriberThreads,
                    "parley-bench-jackson-sub", (sub, body) -> decode(sink, sub, body));
            case PARLEY -> connectParleyClients(sink, postPort, pubPort);
        }
        if (sockets != null) {
            sockets.start(sink);
        }
    }

    /**
     * Where the text starts in a publication of a benchmark payload: its last field, so
     * {@code "text":"<payload>"}} ends it. Anything else gives an offset the sink counts as altered.
     */
    static int textAt(byte[] publication) {
        int at = publication.length - 2 - Payload.SIZE;
        boolean shaped = at > 0 && publication[at - 1] == '"' && publication[publication.length - 2] == '"'
                && publication[publication.length - 1] == '}';
        return shaped ? at : -1;
    }

    private static void decode(DeliverySink sink, int sub, byte[] body) {
        Publication p;
        try {
            p = PUBLICATION.readValue(body);
        } catch (IOException e) {
            sink.deliver(sub, body, -1); // counted as altered
            return;
        }
        if (p.text() == null || p.text().isEmpty()) {
            sink.deliver(sub, body, -1);
        } else {
            sink.deliver(sub, p.text());
        }
    }

    /** Connects the Parley clients from a thread of the subscribers' group, so that the threads they make are in it. */
    private void connectParleyClients(DeliverySink sink, int postPort, int pubPort) throws Exception {
        ExecutorService connecting = Executors.newSingleThreadExecutor(
                r -> new Thread(subscriberThreads, r, "parley-bench-connect-subscribers"));
        try {
            connecting.submit(() -> {
                for (int i = 0; i < k; i++) {
                    int sub = i;
                    ZmqChatClient c = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                            .postPort(postPort).pubPort(pubPort).user("sub" + i).build());
                    synchronized (clients) {
                        clients.add(c);
                    }
                    c.subscribe(CHANNEL, m -> sink.deliver(sub, m.text()));
                }
                return null;
            }).get(60, TimeUnit.SECONDS);
        } finally {
            connecting.shutdownNow();
        }
        ioThreadsCounted = hasIoThread(subscriberThreads);
        if (!ioThreadsCounted) {
            log.warn("{}: the clients' JeroMQ context was made by another row's clients, so their CPU is not told "
                    + "apart; measure it in a run of its own (--only parley-zmq-client,jackson-client)", system());
        }
    }

    @Override
    public double subscriberCpuSeconds() {
        // Without their I/O threads the clients' CPU would look lower than it is: not told apart.
        return ioThreadsCounted ? CpuClock.threadSeconds(subscriberThreads) : Double.NaN;
    }

    /** Whether a thread of {@code group} is one of JeroMQ's I/O threads. */
    private static boolean hasIoThread(ThreadGroup group) {
        return CpuClock.threads(group).stream().anyMatch(t -> t.getName().startsWith("iothread"));
    }

    @Override
    public Sender openSender(int index) {
        PostRequests requests = new PostRequests("post" + index, CHANNEL);
        ExternalServer s = server;
        return new ZmqPoster(posters, postEndpoint, system(), requests::next,
                () -> s.isAlive() ? null : "the server exited: " + s.output());
    }

    @Override
    public void teardown() {
        synchronized (clients) {
            clients.forEach(ZmqChatClient::close);
            clients.clear();
        }
        if (sockets != null) {
            sockets.close();
        }
        if (posters != null) {
            posters.close();
        }
        stopServer();
    }
}
