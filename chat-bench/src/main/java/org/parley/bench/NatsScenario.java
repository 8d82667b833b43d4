package org.parley.bench;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baseline 6: NATS core pub/sub. The benchmark starts {@code nats-server} on a free loopback
 * port, K jnats connections each subscribe to one subject through a dispatcher, and the posting
 * clients publish through their own connections (jnats buffers and flushes in the background).
 *
 * <p>Thread safety: jnats connections are thread-safe; each is still used by one posting thread.
 */
final class NatsScenario extends BaseScenario {
    private static final Logger log = LoggerFactory.getLogger(NatsScenario.class);
    private static final String SUBJECT = "bench";

    private final Path binary;
    private final List<Connection> connections = new ArrayList<>();

    NatsScenario(int k, int publishers, Path binary) {
        super(Systems.NATS, k, publishers);
        this.binary = binary;
    }

    private Connection connect(String name) throws Exception {
        Options options = new Options.Builder()
                .server("nats://127.0.0.1:" + server.port())
                .connectionName(name)
                .noReconnect()
                .build();
        Connection c = Nats.connect(options);
        synchronized (connections) {
            connections.add(c);
        }
        return c;
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        int port = ExternalServer.freePort();
        server = ExternalServer.start("nats-server", List.of(binary.toString(),
                "-a", "127.0.0.1", "-p", Integer.toString(port)), port, 10_000);
        for (int i = 0; i < k; i++) {
            int sub = i;
            Connection c = connect("parley-bench-sub-" + i);
            Dispatcher d = c.createDispatcher(m -> sink.deliver(sub, m.getData()));
            d.subscribe(SUBJECT);
            c.flush(Duration.ofSeconds(10)); // the server has the subscription once the PONG is back
            sink.ready(i);
        }
    }

    @Override
    public Sender openSender(int index) throws Exception {
        Connection c = connect("parley-bench-pub-" + index);
        return new Sender() {
            @Override
            public void send(byte[] payload) {
                c.publish(SUBJECT, payload);
            }
        };
    }

    @Override
    public void teardown() {
        synchronized (connections) {
            for (Connection c : connections) {
                try {
                    c.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    log.debug("closing a NATS connection failed", e);
                }
            }
            connections.clear();
        }
        stopServer();
    }
}
