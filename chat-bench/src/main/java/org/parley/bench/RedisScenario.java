package org.parley.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

/**
 * Baseline 5: Redis pub/sub. The benchmark starts {@code redis-server} on a free loopback port
 * without persistence, K Jedis connections SUBSCRIBE to one channel (one thread each, as Jedis
 * requires), and the posting clients PUBLISH pipelined (replies read once per batch).
 *
 * <p>Thread safety: each Jedis connection is used by one thread.
 */
final class RedisScenario extends BaseScenario {
    private static final Logger log = LoggerFactory.getLogger(RedisScenario.class);
    private static final byte[] CHANNEL = "bench".getBytes(StandardCharsets.UTF_8);
    /** Publishes sent before their replies are read. */
    private static final int PIPELINE = 64;

    private final Path binary;
    private final List<BinaryJedisPubSub> subscriptions = new ArrayList<>();
    private final List<Thread> receivers = new ArrayList<>();

    RedisScenario(int k, int publishers, Path binary) {
        super(Systems.REDIS, k, publishers);
        this.binary = binary;
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        int port = ExternalServer.freePort();
        server = ExternalServer.start("redis-server", List.of(binary.toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no"), port, 10_000);
        for (int i = 0; i < k; i++) {
            int sub = i;
            BinaryJedisPubSub ps = new BinaryJedisPubSub() {
                @Override
                public void onMessage(byte[] channel, byte[] message) {
                    sink.deliver(sub, message);
                }
            };
            subscriptions.add(ps);
            Thread t = new Thread(() -> {
                try (Jedis j = new Jedis("127.0.0.1", port)) {
                    j.subscribe(ps, CHANNEL);
                } catch (RuntimeException e) {
                    log.warn("Redis subscriber {} stopped", sub, e);
                }
            }, "parley-bench-redis-sub-" + i);
            t.setDaemon(true);
            t.start();
            receivers.add(t);
        }
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (subscribed(j) < k) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + subscribed(j) + " of " + k + " Redis subscribers after 20 s");
                }
                LockSupport.parkNanos(10_000_000);
            }
        }
        for (int i = 0; i < k; i++) {
            sink.ready(i);
        }
    }

    private static long subscribed(Jedis j) {
        Map<String, Long> n = j.pubsubNumSub("bench");
        return n.getOrDefault("bench", 0L);
    }

    @Override
    public Sender openSender(int index) {
        PublishConnection connection = new PublishConnection("127.0.0.1", server.port());
        return new Sender() {
            private int unread; // replies (subscriber counts) not read yet

            @Override
            public void send(byte[] payload) {
                connection.sendCommand(Protocol.Command.PUBLISH, CHANNEL, payload);
                if (++unread >= PIPELINE) {
                    connection.getMany(unread); // flushes, then reads the replies: one round trip per batch
                    unread = 0;
                }
            }

            @Override
            public void flush() {
                connection.push();
            }

            @Override
            public void close() {
                try {
                    if (unread > 0) {
                        connection.getMany(unread);
                    }
                } finally {
                    connection.close();
                }
            }
        };
    }

    /**
     * A Jedis connection that can push buffered commands out without waiting for their replies:
     * a paced sender must not hold a message in its buffer, nor pay a round trip per message.
     */
    private static final class PublishConnection extends Connection {
        PublishConnection(String host, int port) {
            super(host, port);
        }

        void push() {
            flush();
        }
    }

    @Override
    public void teardown() {
        for (BinaryJedisPubSub ps : subscriptions) {
            try {
                if (ps.isSubscribed()) {
                    ps.unsubscribe();
                }
            } catch (RuntimeException e) {
                log.debug("unsubscribing failed", e);
            }
        }
        for (Thread t : receivers) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopServer();
    }
}
