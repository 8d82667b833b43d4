package org.parley.bench.attack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The good TCP client: two topic clients registered for {@code good}; one sends a message
 * every 50 ms, the other counts what arrives. When the server drops them they connect again,
 * as a real client would, and the reconnections are counted.
 *
 * <p>Thread safety: the sender thread ({@code attack-good-tcp-send}) owns the connections;
 * a reader thread per receiving connection reads it.
 */
final class GoodTcpClient implements GoodClient {
    private static final Logger log = LoggerFactory.getLogger(GoodTcpClient.class);
    static final String TOPIC = "good";
    private static final Pattern TEXT = Pattern.compile("\"text\":\"good-(\\d+)\"");

    private final InetSocketAddress server;
    private final DeliveryLog deliveries = new DeliveryLog();
    private final Thread sender;
    private final AtomicInteger reconnections = new AtomicInteger();
    private final AtomicInteger errors = new AtomicInteger();
    private volatile boolean stop;
    private volatile TopicConn from; // sender thread writes; close() reads
    private volatile TopicConn to;

    GoodTcpClient(InetSocketAddress server) {
        this.server = server;
        this.sender = new Thread(this::send, "attack-good-tcp-send");
        sender.setDaemon(true);
    }

    @Override
    public String name() {
        return "tcp";
    }

    @Override
    public void start() {
        sender.start();
    }

    @Override
    public DeliveryLog log() {
        return deliveries;
    }

    @Override
    public String trouble() {
        int r = reconnections.get();
        int e = errors.get();
        return (r == 0 ? "" : "tcp good client reconnected " + r + "×") + (e == 0 ? "" : (r == 0 ? "" : ", ")
                + e + " error objects to it");
    }

    private void send() {
        long period = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);
        long next = System.nanoTime();
        boolean first = true;
        while (!stop) {
            LockSupport.parkNanos(next - System.nanoTime()); // paces the sender; waits for nothing
            next = Math.max(next + period, System.nanoTime());
            if (deliveries.phase() == Phase.DONE) {
                continue;
            }
            try {
                if (from == null) {
                    if (!first) {
                        reconnections.incrementAndGet();
                    }
                    first = false;
                    connect();
                    continue; // the receiver's registration gets one period to land
                }
                from.send(TOPIC, "good-" + deliveries.sent());
            } catch (IOException e) {
                log.debug("good tcp client: {}", e.toString());
                drop();
            }
        }
        drop();
    }

    private void connect() throws IOException {
        TopicConn receiver = TopicConn.connect(server, 1_000);
        TopicConn sending;
        try {
            receiver.register(TOPIC);
            sending = TopicConn.connect(server, 1_000);
        } catch (IOException e) {
            receiver.close();
            throw e;
        }
        try {
            sending.register(TOPIC);
        } catch (IOException e) {
            receiver.close();
            sending.close();
            throw e;
        }
        to = receiver;
        from = sending;
        Thread reader = new Thread(() -> read(receiver), "attack-good-tcp-read");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(TopicConn conn) {
        try {
            while (!stop && to == conn) {
                String line = conn.readLine(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200));
                if (line == null) {
                    continue;
                }
                if (line.startsWith("{\"error\"")) {
                    errors.incrementAndGet();
                }
                Matcher m = TEXT.matcher(line);
                if (m.find()) {
                    deliveries.received(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            log.debug("good tcp receiver: {}", e.toString());
            if (to == conn) {
                TopicConn f = from;
                if (f != null) {
                    f.close(); // the sender sees it and connects both again
                }
            }
        }
    }

    private void drop() {
        TopicConn f = from;
        TopicConn t = to;
        from = null;
        to = null;
        if (f != null) {
            f.close();
        }
        if (t != null) {
            t.close();
        }
    }

    @Override
    public void close() {
        stop = true;
        LockSupport.unpark(sender);
        try {
            sender.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drop();
    }
}
