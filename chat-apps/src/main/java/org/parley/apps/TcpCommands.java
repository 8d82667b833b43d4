package org.parley.apps;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;
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

    /** {@code topicserver <port> [--bind <ip>]}: runs until SIGINT or SIGTERM. */
    static final class TopicServerCommand implements Command {
        @Override
        public String name() {
            return "topicserver";
        }

        @Override
        public String arguments() {
            return "<port> [--bind <ip>]";
        }

        @Override
        public String summary() {
            return "The TCP topic server: forwards each message to the other clients registered for its "
                    + "topic. Runs until Ctrl-C or SIGTERM; port 0 picks a free one, which it reports.";
        }

        @Override
        public List<Option> options() {
            return List.of(new Option("--bind <ip>", "listens on that address only (every interface otherwise)"));
        }

        @Override
        public boolean server() {
            return true;
        }

        @Override
        public int run(String[] args) throws Exception {
            Integer port = null;
            InetAddress bind = null;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--bind")) {
                    if (i + 1 == args.length) {
                        throw new Cli.UsageException("--bind needs an IP address");
                    }
                    bind = address(args[++i]);
                } else if (port == null && !args[i].startsWith("-")) {
                    port = Cli.port("port", args[i], true);
                } else {
                    throw new Cli.UsageException("unexpected argument \"" + args[i] + "\"");
                }
            }
            if (port == null) {
                throw new Cli.UsageException("the port is missing");
            }
            TopicServer server;
            try {
                server = TopicServer.start(TopicServerOptions.builder().bindAddress(bind).port(port).build());
            } catch (BindException e) {
                throw new Cli.FailureException(e.getMessage(), e);
            }
            return Cli.runUntilSignalled(server, "topicserver: listening on " + server.address() + " (Ctrl-C stops)");
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
            return "-direct <port> | -direct 0 <ip>:<port> | -topic <ip>:<port> <topic> [<topic>...]";
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
                            "joins the topics on that topic server; typed lines go to the first"));
        }

        @Override
        public int run(String[] args) throws Exception {
            if (args.length == 0) {
                throw new Cli.UsageException("a mode is needed: -direct or -topic");
            }
            switch (args[0]) {
                case "-direct" -> {
                    if (args.length == 2) {
                        int port = Cli.port("port", args[1]);
                        return listen(port);
                    }
                    if (args.length == 3) {
                        if (!args[1].equals("0")) {
                            throw new Cli.UsageException("to connect, give port 0 then the peer: -direct 0 <ip>:<port>");
                        }
                        return connect(Cli.hostPort(args[2]));
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
                    return topic(server, topics);
                }
                default -> throw new Cli.UsageException("unknown mode \"" + args[0] + "\": -direct or -topic");
            }
        }

        private static int listen(int port) throws Exception {
            try (Console console = Console.open()) {
                Session session = new Session(console, false);
                // Before "listening" is printed: a signal right after it must end the session too.
                Signals.onTerminate(() -> session.end.complete(null));
                DirectPeer peer;
                try {
                    peer = DirectPeer.listen(port, session);
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
                }, topics -> { });
            }
        }

        private static int connect(Cli.HostPort target) throws Exception {
            try (Console console = Console.open()) {
                Session session = new Session(console, true);
                DirectPeer peer;
                try {
                    peer = DirectPeer.connect(target.host(), target.port(), session);
                } catch (IOException e) {
                    throw cannotConnect(target, e);
                }
                return session.run(peer, DIRECT_COMMANDS, peer::send, topics -> { });
            }
        }

        private static int topic(Cli.HostPort server, List<String> topics) throws Exception {
            try (Console console = Console.open()) {
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
                };
                TopicClient client;
                try {
                    client = TopicClient.connect(server.host(), server.port(), topics, session);
                } catch (IOException e) {
                    throw cannotConnect(server, e);
                }
                return session.run(client, TOPIC_COMMANDS, client::send, newTopics -> {
                    if (client.register(newTopics)) {
                        console.error("chat: registered for " + String.join(" ", newTopics) + "; typed lines go to "
                                + newTopics.get(0));
                    } else {
                        console.error("chat: not registered: the connection is closed");
                    }
                });
            }
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
                Consumer<List<String>> join) throws Exception {
            Signals.onTerminate(() -> end.complete(null)); // again for listen: idempotent
            // End of input or /quit: done, once the queued lines are written.
            console.readLinesInBackground("chat", line -> commands.handle(line, console, "chat",
                    text -> send(send, text), join), () -> end.complete(null));
            String failure = end.get();
            connection.close(); // writes what is queued first
            if (failure != null) {
                throw new Cli.FailureException(failure);
            }
            return 0;
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
