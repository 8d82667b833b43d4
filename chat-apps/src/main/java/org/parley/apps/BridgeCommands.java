package org.parley.apps;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.parley.core.ChatHub;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqServerOptions;

/**
 * The bridge: {@code parley_server}, one hub with the ZeroMQ server and the TCP topic server
 * attached, so a {@code chat -topic} client and an {@code mc_client} of the same channel see
 * each other's messages.
 */
final class BridgeCommands {
    private BridgeCommands() {
    }

    static List<Command> all() {
        return List.of(new ParleyServer());
    }

    /** {@code parley_server <ip> <post_port> <pub_port> <tcp_port>}: runs until SIGINT or SIGTERM. */
    static final class ParleyServer implements Command {
        @Override
        public String name() {
            return "parley_server";
        }

        @Override
        public String arguments() {
            return "<ip> <post_port> <pub_port> <tcp_port> [--data <file>]";
        }

        @Override
        public String summary() {
            return "Both transports on one hub, a bridge: the ZeroMQ server and the TCP topic server, so "
                    + "chat -topic and mc_client clients of one channel see each other's messages. Runs until "
                    + "Ctrl-C or SIGTERM; port 0 picks a free one, which it reports.";
        }

        @Override
        public List<Option> options() {
            return List.of(Cli.DATA_OPTION);
        }

        @Override
        public boolean server() {
            return true;
        }

        @Override
        public int run(String[] all) throws Exception {
            List<String> rest = new java.util.ArrayList<>(List.of(all));
            java.nio.file.Path data = Cli.takeData(rest);
            String[] args = rest.toArray(String[]::new);
            Cli.requireCount(args, 4);
            String host = Cli.host(args[0]);
            int postPort = Cli.port("post_port", args[1], true);
            int pubPort = Cli.port("pub_port", args[2], true);
            int tcpPort = Cli.port("tcp_port", args[3], true);
            if (postPort != 0 && (postPort == pubPort || postPort == tcpPort)
                    || pubPort != 0 && pubPort == tcpPort) {
                throw new Cli.UsageException("post_port, pub_port and tcp_port must differ");
            }
            ChatHub hub = data != null ? Cli.hubFor(name(), data) : ChatHub.create();
            ZmqChatServer zmq = null;
            TopicServer tcp = null;
            try {
                zmq = ZmqChatServer.start(ZmqServerOptions.builder()
                        .host(host).postPort(postPort).pubPort(pubPort).hub(hub).build());
                tcp = TopicServer.start(TopicServerOptions.builder()
                        .bindAddress(InetAddress.getByName(host)).port(tcpPort).hub(hub).build());
            } catch (IOException | RuntimeException e) {
                closeAll(tcp, zmq, hub);
                if (!(e instanceof IOException)) {
                    throw e;
                }
                throw new Cli.FailureException(e.getMessage(), e); // both servers name the address
            }
            ZmqChatServer zmqServer = zmq;
            TopicServer tcpServer = tcp;
            return Cli.runUntilSignalled(() -> closeAll(tcpServer, zmqServer, hub),
                    "parley_server: listening for posts on tcp://" + host + ":" + zmq.postPort()
                    + ", publishing on tcp://" + host + ":" + zmq.pubPort()
                    + ", topics on " + tcp.address() + " (Ctrl-C stops)");
        }

        private static void closeAll(TopicServer tcp, ZmqChatServer zmq, ChatHub hub) {
            if (tcp != null) {
                tcp.close();
            }
            if (zmq != null) {
                zmq.close();
            }
            hub.close();
        }
    }
}
