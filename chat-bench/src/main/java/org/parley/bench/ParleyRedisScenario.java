package org.parley.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.MessageListener;
import org.parley.store.redis.RedisStore;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/**
 * Parley ZeroMQ on {@code nodes} servers in this JVM sharing one channel through a
 * redis-server the benchmark starts (docs/SCALING.md): the K subscribers and the posting clients
 * spread over the nodes in turn, so with three nodes two thirds of what a subscriber gets was
 * posted on another node. On one machine the nodes share its cores with Redis and the clients:
 * this shows what the cluster costs, not how it scales.
 *
 * <p>Thread safety: as {@link Scenario}.
 */
final class ParleyRedisScenario extends BaseScenario {
    static final String CHANNEL = ParleyZmqScenario.CHANNEL;

    private final int nodes;
    private final Path redisBinary;
    private ExternalServer redis;
    private final List<ChatHub> hubs = new ArrayList<>();
    private final List<ZmqChatServer> servers = new ArrayList<>();
    private final List<ZmqChatClient> clients = new ArrayList<>();
    private final AtomicLong failedPosts = new AtomicLong();

    ParleyRedisScenario(int k, int publishers, int nodes, Path redisBinary) {
        super(nodes == 1 ? Systems.PARLEY_REDIS_1 : Systems.PARLEY_REDIS_3, k, publishers);
        this.nodes = nodes;
        this.redisBinary = redisBinary;
    }

    @Override
    public void setup(DeliverySink sink) throws Exception {
        int port = ExternalServer.freePort();
        redis = ExternalServer.start("redis-server", List.of(redisBinary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"), port, 10_000);
        for (int n = 0; n < nodes; n++) {
            ChatHub hub = ChatHub.create(HubOptions.defaults(),
                    RedisStore.builder(URI.create("redis://127.0.0.1:" + port)).open());
            hubs.add(hub);
            servers.add(ZmqChatServer.start(ZmqServerOptions.builder().host("127.0.0.1").postPort(0).pubPort(0)
                    .hub(hub).build()));
        }
        for (int i = 0; i < k; i++) {
            int sub = i;
            ZmqChatServer node = servers.get(i % nodes);
            ZmqChatClient c = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                    .postPort(node.postPort()).pubPort(node.pubPort()).user("sub" + i).build());
            synchronized (clients) {
                clients.add(c);
            }
            MessageListener listener = m -> sink.deliver(sub, m.text());
            c.subscribe(CHANNEL, listener);
        }
    }

    @Override
    public Sender openSender(int index) throws IOException {
        ZmqChatServer node = servers.get(index % nodes);
        ZmqChatClient client = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                .postPort(node.postPort()).pubPort(ZmqClientOptions.NO_PORT).user("post" + index).build());
        synchronized (clients) {
            clients.add(client);
        }
        return ParleyZmqScenario.poster(client, system(), failedPosts);
    }

    @Override
    public void teardown() {
        synchronized (clients) {
            clients.forEach(ZmqChatClient::close);
            clients.clear();
        }
        servers.forEach(ZmqChatServer::close);
        hubs.forEach(ChatHub::close);
        if (redis != null) {
            redis.close();
        }
    }
}
