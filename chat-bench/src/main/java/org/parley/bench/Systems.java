package org.parley.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * The registry of systems under test, in the order the report shows them, and the ratios the
 * report prints. Adding a system is one entry here plus one {@link Scenario} class.
 *
 * <p>A system is a {@link BaseScenario} subclass: {@code setup} starts the server (in this JVM or
 * as an {@link ExternalServer}) and subscribes K receivers that call {@code sink.deliver(i, bytes)}
 * (or {@code sink.deliver(i, text)}) with what they receive (the payload is printable ASCII, so it survives JSON unchanged);
 * {@code openSender} opens one posting client. The ratios below pick the rows up by name.
 *
 * <p>Thread safety: immutable.
 */
final class Systems {
    static final String RAW_JEROMQ = "raw JeroMQ";
    static final String RAW_JEROMQ_RELAY = "raw JeroMQ relay";
    static final String PARLEY_ZMQ = "Parley ZeroMQ";
    static final String PARLEY_ZMQ_CURVE = "Parley ZeroMQ, CurveZMQ";
    static final String RAW_NIO = "raw NIO";
    static final String PARLEY_TCP = "Parley TCP";
    static final String PARLEY_WEB = "Parley WebSocket";
    static final String PARLEY_TCP_TLS = "Parley TCP, TLS";
    static final String PARLEY_ZMQ_SQLITE = "Parley ZeroMQ, SQLite";
    static final String PARLEY_REDIS_1 = "Parley ZeroMQ, Redis, 1 node";
    static final String PARLEY_REDIS_3 = "Parley ZeroMQ, Redis, 3 nodes";
    static final String PARLEY_TCP_SQLITE = "Parley TCP, SQLite";
    static final String PARLEY_ZMQ_SERVER = "Parley ZeroMQ server";
    static final String RAW_JSON_RELAY = "raw JSON relay";
    static final String PARLEY_TCP_SERVER = "Parley TCP server";
    static final String PARLEY_ZMQ_CLIENT = "Parley ZeroMQ client";
    static final String JACKSON_CLIENT = "plain Jackson client";
    static final String REDIS = "Redis";
    static final String NATS = "NATS";

    /**
     * Posting clients of the client-server systems and of the raw JeroMQ relay (raw JeroMQ and raw
     * NIO have one sending loop; Parley TCP has {@link ParleyTcpScenario#POSTING_CLIENTS}, for the
     * reason given there).
     */
    static final int POSTING_CLIENTS = 4;

    /** The systems that run a server apart from its clients, measured when named. */
    static final List<String> SERVERS_ALONE = List.of("parley-zmq-server", "raw-json-relay", "parley-tcp-server",
            "parley-zmq-client", "jackson-client");

    /** What a ratio compares. */
    enum Figure {
        /** Deliveries/s of the throughput rounds, at each K: higher is better. */
        DELIVERIES("deliveries/s", false),
        /** The server process's CPU per delivery in the throughput rounds, at each K: lower is better. */
        SERVER_CPU("server CPU per delivery", false),
        /** The subscribers' CPU per delivery in the throughput rounds, at each K: lower is better. */
        SUBSCRIBER_CPU("subscribers' CPU per delivery", false),
        /** p99 latency at each fixed rate: lower is better. */
        P99("p99", true),
        /** The server process's CPU per post at each fixed rate: lower is better. */
        SERVER_CPU_PER_POST("server CPU per post", true),
        /** The subscribers' CPU per delivery at each fixed rate, the same load for all: lower is better. */
        SUBSCRIBER_CPU_AT_RATES("subscribers' CPU per delivery", true);

        final String label;
        /** Whether it is read at each fixed rate rather than at each K. */
        final boolean atRates;

        Figure(String label, boolean atRates) {
            this.label = label;
            this.atRates = atRates;
        }
    }

    /** A ratio line: numerator / denominator system, shown when a run selects both. */
    record Ratio(String numerator, String denominator, Figure figure) {
        Ratio(String numerator, String denominator) {
            this(numerator, denominator, Figure.DELIVERIES);
        }

        String label() {
            return numerator + " / " + denominator;
        }
    }

    static final List<Ratio> RATIOS = List.of(
            new Ratio(PARLEY_ZMQ, RAW_JEROMQ),
            new Ratio(PARLEY_TCP, RAW_NIO),
            new Ratio(PARLEY_WEB, RAW_NIO),
            new Ratio(PARLEY_TCP, REDIS),
            new Ratio(PARLEY_TCP, NATS),
            new Ratio(RAW_JEROMQ_RELAY, RAW_JEROMQ),
            new Ratio(PARLEY_ZMQ, RAW_JEROMQ_RELAY),
            new Ratio(PARLEY_ZMQ_CURVE, PARLEY_ZMQ),
            new Ratio(PARLEY_TCP_TLS, PARLEY_TCP),
            new Ratio(PARLEY_ZMQ_SQLITE, PARLEY_ZMQ),
            new Ratio(PARLEY_TCP_SQLITE, PARLEY_TCP),
            new Ratio(PARLEY_REDIS_1, PARLEY_ZMQ),
            new Ratio(PARLEY_REDIS_3, PARLEY_REDIS_1),
            new Ratio(PARLEY_ZMQ_SERVER, RAW_JSON_RELAY),
            new Ratio(PARLEY_ZMQ_SERVER, RAW_JSON_RELAY, Figure.SERVER_CPU),
            new Ratio(PARLEY_ZMQ_CLIENT, JACKSON_CLIENT, Figure.SUBSCRIBER_CPU),
            new Ratio(PARLEY_ZMQ, RAW_JEROMQ_RELAY, Figure.P99),
            new Ratio(PARLEY_ZMQ_SERVER, RAW_JSON_RELAY, Figure.P99),
            new Ratio(PARLEY_ZMQ_SERVER, PARLEY_TCP_SERVER, Figure.SERVER_CPU_PER_POST),
            new Ratio(PARLEY_ZMQ_CLIENT, JACKSON_CLIENT, Figure.SUBSCRIBER_CPU_AT_RATES));

    private Systems() {
    }

    /** Every system, measurable or not, in report order. */
    static List<BenchSystem> all() {
        Optional<Path> redis = ExternalServer.find("redis-server");
        Optional<Path> nats = ExternalServer.find("nats-server");
        return List.of(
                available("raw-jeromq", RAW_JEROMQ, "JeroMQ PUB to K SUB, no server logic: the ceiling for Parley ZeroMQ",
                        RawJeromqScenario::direct),
                available("parley-zmq", PARLEY_ZMQ, "ZeroMQ chat clients posting pipelined through DEALER sockets to the "
                                + "Parley ZeroMQ server (in this JVM), K chat clients subscribed through SUB sockets",
                        k -> new ParleyZmqScenario(k, POSTING_CLIENTS, false)),
                available("raw-nio", RAW_NIO, "one selector thread writing pre-framed bytes to K sockets: the ceiling for Parley TCP",
                        RawNioScenario::new),
                available("parley-tcp", PARLEY_TCP, "topic clients posting to the Parley TCP topic server (in this JVM), K topic clients",
                        k -> new ParleyTcpScenario(k, ParleyTcpScenario.POSTING_CLIENTS, false)),
                available("parley-web", PARLEY_WEB, "WebSocket clients (the JDK's) posting with ids to the Parley "
                                + "WebSocket server (Jetty, in this JVM), K WebSocket clients subscribed",
                        k -> new ParleyWebScenario(k, POSTING_CLIENTS)),
                external("redis", REDIS, "Redis pub/sub, Jedis clients, redis-server started by the benchmark",
                        redis, "redis-server", k -> new RedisScenario(k, POSTING_CLIENTS, redis.orElseThrow())),
                external("nats", NATS, "NATS core pub/sub, jnats clients, nats-server started by the benchmark",
                        nats, "nats-server", k -> new NatsScenario(k, POSTING_CLIENTS, nats.orElseThrow())),
                new BenchSystem("raw-jeromq-relay", RAW_JEROMQ_RELAY, "DEALER sockets posting to a relay thread "
                        + "that publishes each post on its PUB to K SUB and acknowledges it on its ROUTER, no JSON or "
                        + "log: the ceiling for Parley ZeroMQ's protocol shape", null, "",
                        k -> RawJeromqScenario.relay(k, POSTING_CLIENTS), true),
                new BenchSystem("parley-zmq-curve", PARLEY_ZMQ_CURVE, "Parley ZeroMQ as above with every connection "
                        + "encrypted (CurveZMQ) and every user authenticated by a users file (docs/SECURITY.md)", null, "",
                        k -> new ParleyZmqScenario(k, POSTING_CLIENTS, true), true),
                new BenchSystem("parley-tcp-tls", PARLEY_TCP_TLS, "Parley TCP as above with every connection over "
                        + "TLS (a certificate keytool makes for the run)", null, "",
                        k -> new ParleyTcpScenario(k, ParleyTcpScenario.POSTING_CLIENTS, true), true),
                new BenchSystem("parley-zmq-sqlite", PARLEY_ZMQ_SQLITE, "Parley ZeroMQ as above, its messages kept "
                        + "in a SQLite file (an acknowledgement after the commit)", null, "",
                        k -> ParleyZmqScenario.durable(k, POSTING_CLIENTS), true),
                new BenchSystem("parley-tcp-sqlite", PARLEY_TCP_SQLITE, "Parley TCP as above, its messages kept "
                        + "in a SQLite file", null, "",
                        k -> ParleyTcpScenario.durable(k, ParleyTcpScenario.POSTING_CLIENTS), true),
                redisCluster("parley-redis-1", PARLEY_REDIS_1, 1, redis),
                redisCluster("parley-redis-3", PARLEY_REDIS_3, 3, redis),
                onRequest("parley-zmq-server", PARLEY_ZMQ_SERVER, "the Parley ZeroMQ server (bin/mc_server's) as its "
                        + "own process, driven by light clients in the benchmark's JVM: " + POSTING_CLIENTS + " DEALER "
                        + "sockets posting the exact bytes of Parley's post requests, pipelined, and K SUB sockets that "
                        + "only count; its CPU is its own process's", k -> ZmqServerScenario.server(k, POSTING_CLIENTS)),
                onRequest("raw-json-relay", RAW_JSON_RELAY, "a relay of the ZeroMQ protocol as its own process, "
                        + "with the same light clients: each post read with Jackson, numbered, published as Parley "
                        + "publishes and acknowledged with JSON like Parley's, in one loop, nothing else: the ceiling "
                        + "for the Parley ZeroMQ server", k -> ZmqServerScenario.relay(k, POSTING_CLIENTS)),
                onRequest("parley-tcp-server", PARLEY_TCP_SERVER, "the Parley TCP topic server (bin/topicserver's) "
                        + "as its own process, topic clients in the benchmark's JVM as for Parley TCP; its CPU is its own "
                        + "process's", k -> ParleyTcpScenario.serverProcess(k, ParleyTcpScenario.POSTING_CLIENTS)),
                onRequest("parley-zmq-client", PARLEY_ZMQ_CLIENT, "K Parley ZeroMQ clients subscribed to the Parley "
                        + "ZeroMQ server as its own process, light posting clients; the subscribers' CPU is that of the "
                        + "threads they make (socket, delivery and I/O threads; not told apart in a run with parley-zmq, "
                        + "whose clients then make the process's shared context)",
                        k -> ZmqServerScenario.parleyClients(k, POSTING_CLIENTS)),
                onRequest("jackson-client", JACKSON_CLIENT, "the same with K plain clients instead: a SUB socket on "
                        + "a context of its own whose thread decodes each publication with Jackson's ObjectMapper; "
                        + "the subscribers' CPU is that of their receiving and I/O threads",
                        k -> ZmqServerScenario.jacksonClients(k, POSTING_CLIENTS)));
    }

    /** The ids {@code --only} takes for systems, in report order. */
    static List<String> ids() {
        return all().stream().map(BenchSystem::id).toList();
    }

    /** Parley ZeroMQ on {@code nodes} servers sharing a channel through Redis; measured when named. */
    private static BenchSystem redisCluster(String id, String name, int nodes, Optional<Path> redis) {
        String description = "Parley ZeroMQ on " + nodes + (nodes == 1 ? " server" : " servers")
                + " sharing the channel through a redis-server the benchmark starts, clients spread over them";
        if (redis.isEmpty()) {
            return new BenchSystem(id, name, description, "skipped: redis-server is not installed "
                    + "(apt-get install redis-server)", "", null, true);
        }
        return new BenchSystem(id, name, description, null, ExternalServer.version(redis.get()),
                k -> new ParleyRedisScenario(k, POSTING_CLIENTS, nodes, redis.get()), true);
    }

    private static BenchSystem onRequest(String id, String name, String description, IntFunction<Scenario> factory) {
        return new BenchSystem(id, name, description, null, "", factory, true);
    }

    private static BenchSystem available(String id, String name, String description, IntFunction<Scenario> factory) {
        return new BenchSystem(id, name, description, null, "", factory, false);
    }

    private static BenchSystem external(String id, String name, String description, Optional<Path> binary,
                                        String debianPackage, IntFunction<Scenario> factory) {
        if (binary.isEmpty()) {
            return new BenchSystem(id, name, description, "skipped: " + debianPackage
                    + " is not installed (apt-get install " + debianPackage + ")", "", null, false);
        }
        return new BenchSystem(id, name, description, null, ExternalServer.version(binary.get()), factory, false);
    }
}
