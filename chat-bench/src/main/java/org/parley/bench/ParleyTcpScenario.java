package org.parley.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.parley.tcp.TcpListener;
import org.parley.tcp.TcpMessage;
import org.parley.tcp.TopicClient;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;

/**
 * Parley TCP: a {@link TopicServer} in this JVM on a loopback port, K {@link TopicClient}
 * subscribers registered for topic {@code bench}, and the posting clients topic clients of
 * the same topic (the protocol forwards only from a client registered for the topic).
 *
 * <p>Deliveries are counted in the subscribers' listeners, on their delivery threads, so the
 * figure includes everything a user of the client pays: decoding, the hand-off to the delivery
 * thread and the listener call.
 *
 * <p>The subscribers and the posting client share one selector thread, as the clients of a
 * process do, and as the K receiving ends of {@link RawNioScenario} share one selector
 * (and as a process holding many clients would): on two cores, K selector threads of their own
 * cost more in switches between them than they read. Each client keeps its own delivery thread.
 *
 * <p>One posting client, where Redis and NATS have four: the protocol forwards a message only
 * from a client registered for its topic, so a posting client is also a receiver, and with four
 * of them the server would write three uncounted copies of every message (and the clients decode
 * them): at K=1 that is three quarters of the work. One client posting pipelined is what the
 * protocol allows without that waste; it was faster at every K on the quick run.
 *
 * <p>With {@code tls}, every connection is TLS (a certificate keytool makes for the run). With
 * {@code sqlite}, the server's hub keeps its messages in a SQLite file ({@link DurableHub}).
 * {@link #serverProcess} runs the server as its own process ({@link ParleyServerProcess}, the
 * server of {@code bin/topicserver}), so that its CPU time is its own.
 *
 * <p>Thread safety: as {@link Scenario}; each subscriber's listener runs on its own delivery
 * thread, which is the one thread that reports that subscriber into the sink.
 */
final class ParleyTcpScenario extends BaseScenario {
    static final String TOPIC = "bench";
    /** Posting clients; see the class comment for why one. */
    static final int POSTING_CLIENTS = 1;

    private TopicServer topicServer;
    private final List<TopicClient> clients = new ArrayList<>();
    private final boolean tls;
    private SelfSignedTls contexts;

    private final boolean sqlite;
    private DurableHub durable;
    private final boolean ownProcess;
    private int port;

    ParleyTcpScenario(int k, int publishers, boolean tls) {
        this(tls ? Systems.PARLEY_TCP_TLS : Systems.PARLEY_TCP, k, publishers, tls, false, false);
    }

    /** Parley TCP on a SQLite store. */
    static ParleyTcpScenario durable(int k, int publishers) {
        return new ParleyTcpScenario(Systems.PARLEY_TCP_SQLITE, k, publishers, false, true, false);
    }

    /** Parley TCP with the topic server as its own process. */
    static ParleyTcpScenario serverProcess(int k, int publishers) {
        return new ParleyTcpScenario(Systems.PARLEY_TCP_SERVER, k, publishers, false, false, true);
    }

    private ParleyTcpScenario(String system, int k, int publishers, boolean tls, boolean sqlite, boolean ownProcess) {
        super(system, k, publishers);
        this.tls = tls;
        this.sqlite = sqlite;
        this.ownProcess = ownProcess;
    }

    private TopicClient connect(TcpListener listener) throws IOException {
        TopicClient.Builder b = TopicClient.builder("127.0.0.1", port).topics(List.of(TOPIC));
        return (tls ? b.tls(contexts.client()) : b).connect(listener);
    }

    @Override
    public void setup(DeliverySink sink) throws IOException {
        if (ownProcess) {
            port = ExternalServer.freePort();
            server = ExternalServer.startJava("Parley topic server", ParleyServerProcess.class,
                    ParleyServerProcess.topic(Integer.toString(port)), port, 30_000);
            subscribe(sink);
            return;
        }
        // All K clients come from 127.0.0.1: one address may hold as many as the server does.
        TopicServerOptions.Builder options = TopicServerOptions.builder()
                .bindAddress(InetAddress.getLoopbackAddress()).port(0)
                .maxConnectionsPerAddress(TopicServerOptions.DEFAULT_MAX_CONNECTIONS);
        if (tls) {
            contexts = SelfSignedTls.make();
            options.tls(contexts.server());
        }
        if (sqlite) {
            durable = DurableHub.open();
            options.hub(durable.hub());
        }
        topicServer = TopicServer.start(options.build());
        port = topicServer.port();
        subscribe(sink);
    }

    private void subscribe(DeliverySink sink) throws IOException {
        for (int i = 0; i < k; i++) {
            int sub = i;
            TcpListener listener = m -> sink.deliver(sub, m.text());
            clients.add(connect(listener));
        }
    }

    @Override
    public Sender openSender(int index) throws IOException {
        TopicClient client = connect(ParleyTcpScenario::ignore);
        synchronized (clients) {
            clients.add(client);
        }
        return new Sender() {
            @Override
            public void send(byte[] payload) {
                String text = Payload.asString(payload);
                while (!client.send(text)) {
                    if (!client.isOpen()) {
                        throw new IllegalStateException("the posting client's connection closed");
                    }
                    LockSupport.parkNanos(50_000); // its queue is full: the system's own back-pressure
                }
            }

            @Override
            public void awaitReady(DeliverySink sink, long timeoutNanos) {
                // A registration is not acknowledged: probe until every subscriber has heard one.
                String probe = Payload.asString(Payload.probe());
                probeUntilReady(sink, timeoutNanos, system(), () -> client.send(probe));
            }
        };
    }

    private static void ignore(TcpMessage message) {
        // A posting client hears the other posting clients; the benchmark counts subscribers only.
    }

    @Override
    public void teardown() {
        synchronized (clients) {
            for (TopicClient c : clients) {
                c.close();
            }
            clients.clear();
        }
        if (topicServer != null) {
            topicServer.close();
        }
        stopServer();
        if (durable != null) {
            durable.close();
        }
    }
}
