package org.parley.apps;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.tcp.DirectPeer;
import org.parley.tcp.TcpAddress;
import org.parley.tcp.TcpListener;
import org.parley.tcp.TcpMessage;
import org.parley.tcp.TopicClient;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;

/** The TCP chat's commands: {@code chat} and {@code topicserver}. */
final class TcpCommands {
    private TcpCommands() {
    }

    static List<Command> all() {
        return List.of(new ChatCommand(), new TopicServerCommand());
    }

    /** {@code topicserver <port> [--bind <ip>] [--data <file> | --redis <uri>]}: runs until SIGINT or SIGTERM. */
    static final class TopicServerCommand implements Command {
        @Override
        public String name() {
            return "topicserver";
        }

        @Override
        public String arguments() {
            return "<port> [--bind <ip>] [--data <file> | --redis <uri>] [--tls-cert <cert.pem> --tls-key <key.pem> [--auth <users file>]]";
        }

        @Override
        public String summary() {
            return "The TCP topic server: forwards each message to the other clients registered for its "
                    + "topic. Runs until Ctrl-C or SIGTERM; port 0 picks a free one, which it reports.";
        }

        @Override
        public List<Option> options() {
            return List.of(new Option("--bind <ip>", "listens on that address only (every interface otherwise)"),
                    Cli.DATA_OPTION,
                    Cli.REDIS_OPTION,
                    new Option(Tls.CERT + " <cert.pem>", "accepts TLS connections only, with this certificate (chain)"),
                    new Option(Tls.KEY + " <key.pem>", "the certificate's private key, PKCS#8 PEM (with " + Tls.CERT + ")"),
                    new Option(Keys.AUTH + " <users file>", "lets in only the users of this file, each proving it "
                            + "with their token (needs TLS; docs/SECURITY.md)"));
        }

        @Override
        public boolean server() {
            return true;
        }

        @Override
        public int run(String[] args) throws Exception {
            List<String> rest = new ArrayList<>(List.of(args));
            java.nio.file.Path data = Cli.takeData(rest);
            java.net.URI redis = Cli.takeRedis(rest);
            String bindAt = Cli.take(rest, "--bind", "an IP address");
            String auth = Cli.take(rest, Keys.AUTH, "a file");
            String cert = Cli.take(rest, Tls.CERT, "a file");
            String key = Cli.take(rest, Tls.KEY, "a file");
            InetAddress bind = bindAt == null ? null : address(bindAt);
            Integer port = null;
            for (String arg : rest) {
                if (port == null && !arg.startsWith("-")) {
                    port = Cli.port("port", arg, true);
                } else {
                    throw new Cli.UsageException("unexpected argument \"" + arg + "\"");
                }
            }
            if (port == null) {
                throw new Cli.UsageException("the port is missing");
            }
            Cli.requireOneStore(data, redis);
            if ((cert == null) != (key == null)) {
                throw new Cli.UsageException(Tls.CERT + " and " + Tls.KEY + " go together");
            }
            if (auth != null && cert == null) {
                throw new Cli.UsageException(Keys.AUTH + " needs " + Tls.CERT + " and " + Tls.KEY
                        + ": users send their tokens, which only TLS keeps from others");
            }
            HubOptions hubOptions = Cli.hubOptions(auth);
            TopicServerOptions.Builder options = TopicServerOptions.builder().bindAddress(bind).port(port);
            if (cert != null) {
                options.tls(Tls.server(cert, key)); // read before the store is opened
            }
            ChatHub stored = Cli.hubFor("topicserver", data, redis, hubOptions);
            ChatHub hub = stored != null ? stored : auth != null ? ChatHub.create(hubOptions) : null;
            TopicServer server;
            try {
                server = TopicServer.start((hub != null ? options.hub(hub) : options).build());
            } catch (BindException e) {
                Cli.close(hub);
                throw new Cli.FailureException(e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                Cli.close(hub);
                throw e;
            }
            return Cli.runUntilSignalled(() -> {
                server.close();
                Cli.close(hub);
            }, "topicserver: listening on " + server.address()
                    + (auth != null ? " (TLS; users of " + auth + ")" : cert != null ? " (TLS)" : "") + " (Ctrl-C stops)");
        }

        private static InetAddress address(String value) throws Cli.UsageException {
            try {
                return InetAddress.getByName(Cli.host(value));
            } catch (UnknownHostException e) {
                throw new Cli.UsageException("address \"" + value + "\" is not an IP address or a known host");
            }
        }
    }

    /**
     * {@code chat -direct <port>}, {@code chat -direct 0 <ip>:<port>},
     * {@code chat -topic <ip>:<port> <topic> [<topic>...]}.
     */
    static final class ChatCommand implements Command {
        /** The user's secret token, for a topic server that authenticates. */
        static final String TOKEN = "--token";
        static final String TOKEN_FILE = "--token-file";

        /** The first line of a token file. */
        private static String tokenFrom(String file) throws Cli.FailureException {
            try {
                java.nio.file.Path path = java.nio.file.Path.of(file);
                if (!java.nio.file.Files.isRegularFile(path) || java.nio.file.Files.size(path) > 4096) {
                    throw new Cli.FailureException("token file \"" + file + "\" does not exist or is not one");
                }
                String line = java.nio.file.Files.readString(path).lines().findFirst().orElse("").strip();
                if (line.isEmpty()) {
                    throw new Cli.FailureException("token file \"" + file + "\" is empty");
                }
                return line;
            } catch (IOException e) {
                throw new Cli.FailureException("token file \"" + file + "\" cannot be read: " + e.getMessage(), e);
            }
        }
        /** How long {@code chat -topic} keeps reconnecting unless {@code --retry-for} says otherwise. */
        static final int DEFAULT_RETRY_SECONDS = 60;
        /** Direct mode has no topics: {@code /join} says so. */
        private static final SlashCommands DIRECT_COMMANDS = new SlashCommands(SlashCommands.JoinRule.none(
                "direct mode has no topics: typed lines go to the peers (chat -topic has topics)"));
        /** A later registration replaces the topic set (docs/PROTOCOL.md): {@code /join} sends one. */
        private static final SlashCommands TOPIC_COMMANDS = new SlashCommands(SlashCommands.JoinRule.channels(
                "registers for these topics instead of the current ones; typed lines go to the first",
                TopicServerOptions.DEFAULT_MAX_TOPICS));

        @Override
        public String name() {
            return "chat";
        }

        @Override
        public String arguments() {
            return "-direct <port> | -direct 0 <ip>:<port> | -topic <ip>:<port> <topic> [<topic>...] [--retry-for <seconds>] [--name <user>] [--tls | --tls-ca <ca.pem>] [--token <token>]";
        }

        @Override
        public String summary() {
            return "The TCP chat client: prints what arrives as topic:text and sends each line typed, to "
                    + "peers directly or through a topicserver. End of input (Ctrl-D), /quit or Ctrl-C ends it; "
                    + "/help lists the commands a line may give.";
        }

        @Override
        public List<Option> options() {
            return List.of(
                    new Option("-direct <port>", "waits for peers on <port>; typed lines go to all of them"),
                    new Option("-direct 0 <ip>:<port>", "connects to a peer waiting there; ends when it leaves"),
                    new Option("-topic <ip>:<port> <topic>...",
                            "joins the topics on that topic server; typed lines go to the first"),
                    new Option("--retry-for <seconds>", "-topic: after losing the server, how long to keep "
                            + "reconnecting (default " + DEFAULT_RETRY_SECONDS + "; 0 ends at once)"),
                    new Option("--name <user>", "signs each message sent with that name (message.user); "
                            + "others then print it as topic:user: text"),
                    new Option(Tls.ON, "-topic: connects over TLS, trusting the certificate authorities the JDK trusts"),
                    new Option(Tls.CA + " <ca.pem>", "-topic: connects over TLS, trusting this certificate (a "
                            + "self-signed server's) or authority"),
                    new Option(TOKEN + " <token>", "-topic: proves to a server started with --auth that this is the "
                            + "--name user (with --tls or --tls-ca); shown in the process list: prefer --token-file"),
                    new Option(TOKEN_FILE + " <file>", "-topic: as --token, the token read from the file's first line"));
        }

        @Override
        public int run(String[] all) throws Exception {
            List<String> rest = new ArrayList<>();
            String user = null;
            Integer retryFor = null;
            boolean tls = false;
            String ca = null;
            String token = null;
            for (int i = 0; i < all.length; i++) {
                if (all[i].equals(TOKEN)) {
                    if (i + 1 == all.length) {
                        throw new Cli.UsageException(TOKEN + " needs the token");
                    }
                    token = all[++i];
                } else if (all[i].equals(TOKEN_FILE)) {
                    if (i + 1 == all.length) {
                        throw new Cli.UsageException(TOKEN_FILE + " needs a file");
                    }
                    token = tokenFrom(all[++i]);
                } else if (all[i].equals(Tls.ON)) {
                    tls = true;
                } else if (all[i].equals(Tls.CA)) {
                    if (i + 1 == all.length) {
                        throw new Cli.UsageException(Tls.CA + " needs a file");
                    }
                    tls = true;
                    ca = all[++i];
                } else if (all[i].equals("--retry-for")) {
                    if (i + 1 == all.length) {
                        throw new Cli.UsageException("--retry-for needs a number of seconds");
                    }
                    retryFor = seconds(all[++i]);
                } else if (all[i].equals("--name")) {
                    if (i + 1 == all.length) {
                        throw new Cli.UsageException("--name needs a user name");
                    }
                    user = Cli.user(all[++i]);
                } else {
                    rest.add(all[i]);
                }
            }
            String[] args = rest.toArray(String[]::new);
            if (args.length == 0) {
                throw new Cli.UsageException("a mode is needed: -direct or -topic");
            }
            if (retryFor != null && !args[0].equals("-topic")) {
                throw new Cli.UsageException("--retry-for applies to -topic only: a direct peer does not reconnect");
            }
            if (tls && !args[0].equals("-topic")) {
                throw new Cli.UsageException(Tls.ON + " and " + Tls.CA + " apply to -topic only");
            }
            if (token != null && (user == null || !tls)) {
                throw new Cli.UsageException(TOKEN + " needs --name (the token's user) and " + Tls.ON + " or " + Tls.CA
                        + ": a token must not cross the network in clear");
            }
            switch (args[0]) {
                case "-direct" -> {
                    if (args.length == 2) {
                        int port = Cli.port("port", args[1]);
                        return listen(port, user);
                    }
                    if (args.length == 3) {
                        if (!args[1].equals("0")) {
                            throw new Cli.UsageException("to connect, give port 0 then the peer: -direct 0 <ip>:<port>");
                        }
                        return connect(Cli.hostPort(args[2]), user);
                    }
                    throw new Cli.UsageException("-direct takes <port>, or 0 and <ip>:<port>");
                }
                case "-topic" -> {
                    if (args.length < 3) {
                        throw new Cli.UsageException("-topic takes <ip>:<port> and at least one topic");
                    }
                    Cli.HostPort server = Cli.hostPort(args[1]);
                    List<String> topics = Arrays.asList(args).subList(2, args.length);
                    for (String t : topics) {
                        Cli.channel(t);
                    }
                    return topic(server, topics, user, retryFor != null ? retryFor : DEFAULT_RETRY_SECONDS,
                            tls ? Tls.client(ca) : null, token);
                }
                default -> throw new Cli.UsageException("unknown mode \"" + args[0] + "\": -direct or -topic");
            }
        }

        private static int listen(int port, String user) throws Exception {
            try (Console console = Console.open()) {
                Session session = new Session(console, false);
                // Before "listening" is printed: a signal right after it must end the session too.
                Signals.onTerminate(() -> session.end.complete(null));
                DirectPeer peer;
                try {
                    peer = DirectPeer.listen(port, session).user(user);
                } catch (BindException e) {
                    throw new Cli.FailureException(e.getMessage(), e);
                }
                console.error("chat: listening on port " + peer.port() + ", waiting for peers (Ctrl-D or Ctrl-C ends)");
                return session.run(peer, DIRECT_COMMANDS, text -> {
                    if (peer.peerCount() == 0) {
                        console.error("not sent: no peer is connected");
                        return true;
                    }
                    return peer.send(text);
                }, topics -> { }, session::noChannels);
            }
        }

        private static int connect(Cli.HostPort target, String user) throws Exception {
            try (Console console = Console.open()) {
                Session session = new Session(console, true);
                DirectPeer peer;
                try {
                    peer = DirectPeer.connect(target.host(), target.port(), session).user(user);
                } catch (IOException e) {
                    throw cannotConnect(target, e);
                }
                return session.run(peer, DIRECT_COMMANDS, peer::send, topics -> { }, session::noChannels);
            }
        }

        private static int topic(Cli.HostPort server, List<String> topics, String user, int retryFor,
                javax.net.ssl.SSLContext tls, String token) throws Exception {
            try (Console console = Console.open()) {
                java.util.concurrent.atomic.AtomicReference<WhoIsHere> presence = new java.util.concurrent.atomic.AtomicReference<>();
                Session session = new Session(console, false) {
                    @Override
                    public void onPeerJoined(TcpAddress peer) {
                        console.error("chat: connected to " + peer + ", registered for " + String.join(" ", topics)
                                + "; typed lines go to " + topics.get(0));
                    }

                    @Override
                    public void onPeerLeft(TcpAddress peer, IOException cause) {
                        end.complete(cause == null ? "the server " + peer + " closed the connection"
                                : "lost the server " + peer + ": " + cause.getMessage());
                    }

                    @Override
                    public void onConnectionLost(TcpAddress server, IOException cause) {
                        WhoIsHere here = presence.get();
                        if (here != null) {
                            here.forget();
                        }
                        console.error("connection lost, reconnecting...");
                    }

                    @Override
                    public void onReconnected(TcpAddress server) {
                        console.error("reconnected");
                    }

                    @Override
                    public void onClosed(IOException cause) {
                        if (cause != null) {
                            end.complete(cause.getMessage()); // gave up reconnecting
                        }
                    }
                };
                TopicClient client;
                try {
                    TopicClient.Builder b = TopicClient.builder(server.host(), server.port()).topics(topics).user(user)
                            .retryFor(Duration.ofSeconds(retryFor));
                    if (tls != null) {
                        b.tls(tls);
                    }
                    client = (token == null ? b : b.token(token)).connect(session);
                } catch (IOException e) {
                    throw cannotConnect(server, e);
                }
                // Presence is an extension, spoken by a client that reconnects (docs/PROTOCOL.md).
                java.util.concurrent.atomic.AtomicReference<String> first =
                        new java.util.concurrent.atomic.AtomicReference<>(topics.get(0));
                WhoIsHere here = new WhoIsHere("chat", console, user, first::get, client::presence);
                if (retryFor > 0) {
                    presence.set(here.start());
                }
                return session.run(client, TOPIC_COMMANDS, client::send, newTopics -> {
                    if (client.register(newTopics)) {
                        first.set(newTopics.get(0));
                        console.error("chat: registered for " + String.join(" ", newTopics) + "; typed lines go to "
                                + newTopics.get(0));
                    } else {
                        console.error("chat: not registered: the connection is closed");
                    }
                }, asked -> {
                    if (!(asked instanceof SlashCommands.Who)) {
                        console.error("chat: the topic protocol lists no channels (mc_client on a bridge can: /channels)");
                    } else if (retryFor == 0) {
                        console.error("chat: /who needs a client that reconnects: not with --retry-for 0");
                    } else {
                        here.who();
                    }
                });
            }
        }

        /** A whole number of seconds, 0 or more. */
        private static int seconds(String value) throws Cli.UsageException {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new Cli.UsageException("--retry-for \"" + value + "\" is not a whole number of seconds, 0 or more");
        }

        private static Cli.FailureException cannotConnect(Cli.HostPort target, IOException e) {
            return new Cli.FailureException("cannot connect to " + target.host() + ":" + target.port() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /**
     * One interactive chat: prints what arrives, sends typed lines, ends at end of input, on a
     * signal, or when the connection ends. A null end value is a clean end (exit 0); a text is
     * the one line printed before exit 1.
     */
    private static class Session implements TcpListener {
        final Console console;
        final CompletableFuture<String> end = new CompletableFuture<>();
        private final boolean endsWithPeer;

        Session(Console console, boolean endsWithPeer) {
            this.console = console;
            this.endsWithPeer = endsWithPeer;
        }

        @Override
        public void onMessage(TcpMessage message) {
            console.println(message.displayLine());
        }

        @Override
        public void onError(TcpAddress peer, String error) {
            console.error("error from " + peer + ": " + error);
        }

        @Override
        public void onPeerJoined(TcpAddress peer) {
            console.error("peer " + peer + " joined");
        }

        @Override
        public void onPeerLeft(TcpAddress peer, IOException cause) {
            if (cause == null) {
                console.error("peer " + peer + " left");
                if (endsWithPeer) {
                    end.complete(null);
                }
            } else if (endsWithPeer) {
                end.complete("lost the peer " + peer + ": " + cause.getMessage());
            } else {
                console.error("peer " + peer + " vanished: " + cause.getMessage());
            }
        }

        /**
         * Reads lines on a thread of its own until the end: chat text goes to {@code send}, the
         * topics of {@code /join} to {@code join}, the rest of the slash commands to {@code commands}.
         */
        int run(AutoCloseable connection, SlashCommands commands, Predicate<String> send,
                Consumer<List<String>> join, Consumer<SlashCommands.Input> ask) throws Exception {
            Signals.onTerminate(() -> end.complete(null)); // again for listen: idempotent
            // End of input or /quit: done, once the queued lines are written.
            console.readLinesInBackground("chat", line -> commands.handle(line, console, "chat",
                    text -> send(send, text), join, ask), () -> end.complete(null));
            String failure = end.get();
            connection.close(); // writes what is queued first
            if (failure != null) {
                throw new Cli.FailureException(failure);
            }
            return 0;
        }

        /** {@code /who} and {@code /channels} in direct mode: there are no channels. */
        void noChannels(SlashCommands.Input asked) {
            console.error("chat: direct mode has no channels: " + (asked instanceof SlashCommands.Who ? "/who"
                    : "/channels") + " is for chat -topic and mc_client");
        }

        /** Sends one typed line, in parts if it is over the text limit, or says why it cannot. */
        private void send(Predicate<String> send, String text) {
            List<String> parts = TextParts.split(text, TextParts.LIMIT);
            for (String part : parts) {
                try {
                    if (!send.test(part)) {
                        console.error("not sent: the connection is closed or its queue is full");
                        return;
                    }
                } catch (IllegalArgumentException e) {
                    console.error("not sent: " + e.getMessage());
                    return;
                }
            }
            if (parts.size() > 1) {
                console.error("chat: " + TextParts.notice(parts.size()));
            }
        }
    }
}
