package org.parley.apps;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.parley.core.ChatHub;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;
import org.parley.zmq.ZmqChatServer;
import org.parley.web.WebServer;
import org.parley.web.WebServerOptions;
import org.parley.zmq.ZmqServerOptions;

/**
 * The bridge: {@code parley_server}, one hub with the ZeroMQ server and the TCP topic server
 * attached (and, with {@code --web}, the WebSocket server and its page), so a {@code chat -topic}
 * client, an {@code mc_client} and a browser of the same channel see each other's messages; and
 * {@code web_server}, the WebSocket server alone.
 */
final class BridgeCommands {
    private BridgeCommands() {
    }

    static List<Command> all() {
        return List.of(new ParleyServer(), new WebServerCommand());
    }

    /**
     * The line that tells where the page is: {@code http://<ip>:<port>/}, with {@code localhost} for
     * a server on every interface (an address no browser can open).
     */
    static String pageUrl(String host, int port) {
        String shown = host;
        try {
            if (InetAddress.getByName(host).isAnyLocalAddress()) {
                shown = "localhost";
            } else if (host.contains(":")) {
                shown = "[" + host + "]";
            }
        } catch (IOException e) {
            // Checked when the arguments were read: the address as given.
        }
        return "http://" + shown + ":" + port + "/";
    }

    /** {@code parley_server <ip> <post_port> <pub_port> <tcp_port> [--web <port>]}: runs until SIGINT or SIGTERM. */
    static final class ParleyServer implements Command {
        @Override
        public String name() {
            return "parley_server";
        }

        @Override
        public String arguments() {
            return "<ip> <post_port> <pub_port> <tcp_port> [--web <port> [--origin <https://name:port>]] [--data <file> | --redis <uri>] "
                    + "[--auth <users file> --key <server.key> --tls-cert <cert.pem> --tls-key <key.pem> [--token-secret <file>]]";
        }

        @Override
        public String summary() {
            return "Both transports on one hub, a bridge: the ZeroMQ server and the TCP topic server, so "
                    + "chat -topic and mc_client clients of one channel see each other's messages; with --web, "
                    + "browsers too. Runs until Ctrl-C or SIGTERM; port 0 picks a free one, which it reports.";
        }

        @Override
        public List<Option> options() {
            return List.of(new Option("--web <port>",
                    "serves the chat page and its WebSocket on <ip>:<port> too, and prints the page's URL"),
                    Cli.DATA_OPTION, Cli.REDIS_OPTION, WebServerCommand.ORIGIN_OPTION,
                    new Option(Keys.AUTH + " <users file>", "every transport lets in only the users of this file "
                            + "(docs/SECURITY.md): needs --key, the TLS files and, with --web, --token-secret"),
                    new Option(Keys.KEY + " <server.key>", "the ZeroMQ side's CurveZMQ key pair (with --auth)"),
                    new Option(Tls.CERT + " <cert.pem>", "TLS for the TCP side and the web page (with " + Tls.KEY + ")"),
                    new Option(Tls.KEY + " <key.pem>", "the certificate's private key, PKCS#8 PEM"),
                    new Option(WebServerCommand.TOKEN_SECRET + " <file>", "with --web and --auth: the secret browsers' "
                            + "tokens are signed with (keygen --secret)"));
        }

        @Override
        public boolean server() {
            return true;
        }

        @Override
        public int run(String[] all) throws Exception {
            List<String> rest = new java.util.ArrayList<>(List.of(all));
            java.nio.file.Path data = Cli.takeData(rest);
            java.net.URI redis = Cli.takeRedis(rest);
            Cli.requireOneStore(data, redis);
            String origin = Cli.take(rest, WebServerCommand.ORIGIN);
            String auth = Cli.take(rest, Keys.AUTH);
            String zmqKey = Cli.take(rest, Keys.KEY);
            String cert = Cli.take(rest, Tls.CERT);
            String certKey = Cli.take(rest, Tls.KEY);
            String secret = Cli.take(rest, WebServerCommand.TOKEN_SECRET);
            Integer webPort = null;
            List<String> positional = new java.util.ArrayList<>();
            for (int i = 0; i < rest.size(); i++) {
                if (rest.get(i).equals("--web")) {
                    if (i + 1 == rest.size()) {
                        throw new Cli.UsageException("--web needs a port");
                    }
                    if (webPort != null) {
                        throw new Cli.UsageException("--web given twice");
                    }
                    webPort = Cli.port("web port", rest.get(++i), true);
                } else {
                    positional.add(rest.get(i));
                }
            }
            String[] args = positional.toArray(String[]::new);
            Cli.requireCount(args, 4);
            String host = Cli.host(args[0]);
            int postPort = Cli.port("post_port", args[1], true);
            int pubPort = Cli.port("pub_port", args[2], true);
            int tcpPort = Cli.port("tcp_port", args[3], true);
            if (postPort != 0 && (postPort == pubPort || postPort == tcpPort)
                    || pubPort != 0 && pubPort == tcpPort) {
                throw new Cli.UsageException("post_port, pub_port and tcp_port must differ");
            }
            if (webPort != null && webPort != 0 && (webPort == postPort || webPort == pubPort || webPort == tcpPort)) {
                throw new Cli.UsageException("the web port must differ from post_port, pub_port and tcp_port");
            }
            if ((cert == null) != (certKey == null)) {
                throw new Cli.UsageException(Tls.CERT + " and " + Tls.KEY + " go together");
            }
            if (auth != null && (zmqKey == null || cert == null || (webPort != null && secret == null))) {
                throw new Cli.UsageException(Keys.AUTH + " needs " + Keys.KEY + " (ZeroMQ), " + Tls.CERT + " and "
                        + Tls.KEY + " (TCP" + (webPort != null ? ", the web" : "") + ")"
                        + (webPort != null ? " and " + WebServerCommand.TOKEN_SECRET : "")
                        + ": with users, every transport proves who its clients are");
            }
            if (auth == null && (zmqKey != null || secret != null)) {
                throw new Cli.UsageException(Keys.KEY + " and " + WebServerCommand.TOKEN_SECRET + " need " + Keys.AUTH);
            }
            ZmqServerOptions.Builder zmqOptions = ZmqServerOptions.builder().host(host).postPort(postPort).pubPort(pubPort);
            TopicServerOptions.Builder tcpOptions = TopicServerOptions.builder()
                    .bindAddress(InetAddress.getByName(host)).port(tcpPort);
            WebServerOptions.Builder webOptions = WebServerOptions.builder().host(host).port(webPort == null ? 0 : webPort);
            WebServerCommand.allowOrigin(webOptions, origin);
            if (zmqKey != null) {
                Keys.Pair pair = Keys.read(zmqKey, true);
                try {
                    zmqOptions.curve(pair.publicKey(), pair.secret());
                } catch (IllegalArgumentException e) {
                    throw new Cli.FailureException("key file \"" + zmqKey + "\": " + e.getMessage(), e);
                }
            }
            if (cert != null) {
                javax.net.ssl.SSLContext tls = Tls.server(cert, certKey);
                tcpOptions.tls(tls);
                webOptions.tls(tls);
            }
            if (secret != null) {
                webOptions.tokenSecret(Keys.readSecret(secret));
            }
            org.parley.core.HubOptions hubOptions = Cli.hubOptions(auth);
            ChatHub hub = Cli.hub(name(), data, redis, hubOptions);
            ZmqChatServer zmq = null;
            TopicServer tcp = null;
            WebServer web = null;
            try {
                zmq = ZmqChatServer.start(zmqOptions.hub(hub).build());
                tcp = TopicServer.start(tcpOptions.hub(hub).build());
                if (webPort != null) {
                    web = WebServer.start(webOptions.hub(hub).build());
                }
            } catch (IOException | RuntimeException e) {
                closeAll(web, tcp, zmq, hub);
                if (!(e instanceof IOException)) {
                    throw e;
                }
                throw new Cli.FailureException(e.getMessage(), e); // every server names the address
            }
            ZmqChatServer zmqServer = zmq;
            TopicServer tcpServer = tcp;
            WebServer webServer = web;
            return Cli.runUntilSignalled(() -> closeAll(webServer, tcpServer, zmqServer, hub),
                    "parley_server: listening for posts on tcp://" + host + ":" + zmq.postPort()
                    + ", publishing on tcp://" + host + ":" + zmq.pubPort()
                    + ", topics on " + tcp.address() + (auth != null ? " (users of " + auth + ")" : "") + " (Ctrl-C stops)"
                    + (web == null ? "" : "\nparley_server: chat in a browser at "
                            + (cert != null ? pageUrl(host, web.port()).replaceFirst("^http:", "https:")
                                    : pageUrl(host, web.port()))));
        }

        private static void closeAll(WebServer web, TopicServer tcp, ZmqChatServer zmq, ChatHub hub) {
            if (web != null) {
                web.close();
            }
            if (tcp != null) {
                tcp.close();
            }
            if (zmq != null) {
                zmq.close();
            }
            hub.close();
        }
    }

    /** {@code web_server <ip> <port>}: the page and the WebSocket alone; runs until SIGINT or SIGTERM. */
    static final class WebServerCommand implements Command {
        static final String TOKEN_SECRET = "--token-secret";
        static final String ORIGIN = "--origin";
        static final Option ORIGIN_OPTION = new Option(ORIGIN + " <https://name:port>", "lets pages served under this "
                + "name connect (by default only pages reached by an IP address or localhost)");

        static void allowOrigin(WebServerOptions.Builder options, String origin) throws Cli.UsageException {
            if (origin != null) {
                try {
                    options.allowOrigin(origin);
                } catch (IllegalArgumentException e) {
                    throw new Cli.UsageException(ORIGIN + ": " + e.getMessage());
                }
            }
        }

        @Override
        public String name() {
            return "web_server";
        }

        @Override
        public String arguments() {
            return "<ip> <port> [--data <file> | --redis <uri>] [--origin <https://name:port>] [--tls-cert <cert.pem> "
                    + "--tls-key <key.pem> [--auth <users file> --token-secret <file>]]";
        }

        @Override
        public String summary() {
            return "The WebSocket chat server: serves the chat page at http://<ip>:<port>/ and its WebSocket at "
                    + "/ws, and prints the URL to open. Open /?name=alice&channel=dev to join at once. Runs until "
                    + "Ctrl-C or SIGTERM; port 0 picks a free one, which it reports.";
        }

        @Override
        public List<Option> options() {
            return List.of(Cli.DATA_OPTION, Cli.REDIS_OPTION, ORIGIN_OPTION,
                    new Option(Tls.CERT + " <cert.pem>", "serves https:// and wss:// only, with this certificate"),
                    new Option(Tls.KEY + " <key.pem>", "the certificate's private key, PKCS#8 PEM"),
                    new Option(Keys.AUTH + " <users file>", "lets in only the users of this file, each with a signed "
                            + "token (needs TLS and --token-secret; docs/SECURITY.md)"),
                    new Option(TOKEN_SECRET + " <file>", "the secret tokens are signed with (keygen --secret)"));
        }

        @Override
        public boolean server() {
            return true;
        }

        @Override
        public int run(String[] all) throws Exception {
            List<String> rest = new java.util.ArrayList<>(List.of(all));
            java.nio.file.Path data = Cli.takeData(rest);
            java.net.URI redis = Cli.takeRedis(rest);
            Cli.requireOneStore(data, redis);
            String cert = Cli.take(rest, Tls.CERT);
            String key = Cli.take(rest, Tls.KEY);
            String auth = Cli.take(rest, Keys.AUTH);
            String secret = Cli.take(rest, TOKEN_SECRET);
            String origin = Cli.take(rest, ORIGIN);
            String[] args = rest.toArray(String[]::new);
            Cli.requireCount(args, 2);
            String host = Cli.host(args[0]);
            int port = Cli.port("port", args[1], true);
            if ((cert == null) != (key == null)) {
                throw new Cli.UsageException(Tls.CERT + " and " + Tls.KEY + " go together");
            }
            if ((auth == null) != (secret == null) || (auth != null && cert == null)) {
                throw new Cli.UsageException(Keys.AUTH + " and " + TOKEN_SECRET + " go together, with TLS: browsers "
                        + "prove their users with signed tokens, which only TLS keeps from others");
            }
            WebServerOptions.Builder options = WebServerOptions.builder().host(host).port(port);
            allowOrigin(options, origin);
            if (cert != null) {
                options.tls(Tls.server(cert, key));
            }
            if (secret != null) {
                options.tokenSecret(Keys.readSecret(secret));
            }
            org.parley.core.HubOptions hubOptions = Cli.hubOptions(auth);
            ChatHub hub = Cli.hub(name(), data, redis, hubOptions);
            WebServer web;
            try {
                web = WebServer.start(options.hub(hub).build());
            } catch (IOException | RuntimeException e) {
                hub.close();
                if (!(e instanceof IOException)) {
                    throw e;
                }
                throw new Cli.FailureException(e.getMessage(), e);
            }
            return Cli.runUntilSignalled(() -> {
                web.close();
                hub.close();
            }, "web_server: chat in a browser at " + (cert != null ? pageUrl(host, web.port()).replaceFirst("^http:", "https:")
                    : pageUrl(host, web.port())) + (auth != null ? " (users of " + auth + ", with signed tokens)" : "")
                    + " (Ctrl-C stops)");
        }
    }
}
