package org.parley.apps;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.parley.core.ChatClient;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.internal.Names;
import org.parley.core.PostAck;
import org.parley.core.ProtocolException;
import org.parley.core.Subscription;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/** The ZeroMQ chat's commands: Parts 1 to 4 of the assignment. */
final class ZmqCommands {
    /** Messages of the channel shown on joining, unless {@code --history N} says otherwise. */
    static final int DEFAULT_JOIN_HISTORY = 20;
    private static final String HISTORY = "--history";
    private static final String POST_PORT = "--post-port";
    private static final String RETRY_FOR = "--retry-for";
    /** How long an interactive client goes on without its server unless {@code --retry-for} says otherwise. */
    static final int DEFAULT_RETRY_SECONDS = 60;
    private static final String SERVER_LIFE = "Runs until Ctrl-C or SIGTERM; a port of 0 picks a free one, "
            + "which it reports.";
    private static final String CLIENT_END = "End of input (Ctrl-D), /quit or Ctrl-C ends it once its posts are "
            + "acknowledged; /help lists the commands a line may give.";
    private static final Command.Option JOIN_HISTORY = new Command.Option(HISTORY + " N",
            "shows the newest N messages on joining (default " + DEFAULT_JOIN_HISTORY + "; 0 shows none)");
    private static final Command.Option RETRY = new Command.Option(RETRY_FOR + " <seconds>",
            "how long to go on reconnecting after losing the server before giving up with exit 1 (default "
            + DEFAULT_RETRY_SECONDS + "; 0 gives up at once)");

    private static final Command.Option AUTH_OPTION = new Command.Option(Keys.AUTH + " <users file>",
            "lets in only the users of this file, each with their own key, as docs/SECURITY.md says (with --key)");
    private static final Command.Option SERVER_KEY_OPTION = new Command.Option(Keys.KEY + " <name.key>",
            "the server's CurveZMQ key pair (bin/keygen writes one): every connection is encrypted (with --auth)");
    private static final Command.Option CLIENT_KEY_OPTION = new Command.Option(Keys.KEY + " <name.key>",
            "this user's CurveZMQ key pair, for a server started with --key (with --server-key)");
    private static final Command.Option SERVER_PUBLIC_OPTION = new Command.Option(Keys.SERVER_KEY + " <server.pub>",
            "the server's public key, which encrypts the connection (with --key)");
    private static final List<Command.Option> SERVER_SECURITY = List.of(AUTH_OPTION, SERVER_KEY_OPTION);
    private static final List<Command.Option> CLIENT_SECURITY = List.of(CLIENT_KEY_OPTION, SERVER_PUBLIC_OPTION);
    private static final Set<String> SERVER_OPTIONS = Set.of(Cli.DATA, Cli.REDIS, Keys.AUTH, Keys.KEY);
    private static final List<Command.Option> SERVER_OPTIONS_HELP = with(List.of(Cli.DATA_OPTION, Cli.REDIS_OPTION), SERVER_SECURITY);

    private ZmqCommands() {
    }

    private static List<Command.Option> with(List<Command.Option> options, List<Command.Option> more) {
        List<Command.Option> all = new ArrayList<>(options);
        all.addAll(more);
        return List.copyOf(all);
    }

    static List<Command> all() {
        return List.of(
                new Simple("post_server", "<ip> <port> [--data <file> | --redis <uri>]",
                        "Part 1: records every post to the channel general and prints it; publishes nothing. "
                        + SERVER_LIFE, SERVER_OPTIONS_HELP, ZmqCommands::postServer, true),
                new Simple("post_client", "<ip> <port> <username> \"message\"",
                        "Part 1: posts the message to the channel general as <username>. Exits 0 once the "
                        + "server acknowledged it; otherwise says why and exits 1 (a rejected post, or no "
                        + "reply within 5 s).", CLIENT_SECURITY, ZmqCommands::postClient, false),
                new Simple("pub_server", "<ip> <post_port> <pub_port> [--data <file> | --redis <uri>]",
                        "Part 2: records every post and publishes it to subscribers; the same server as "
                        + "mc_server. " + SERVER_LIFE, SERVER_OPTIONS_HELP, args -> pubServer("pub_server", args),
                        true),
                new Simple("pub_client", "<ip> <pub_port> [--history N --post-port <post_port>]",
                        "Part 2: prints the messages of the channel general as they are published, as "
                        + "\"username: message (HH:mm:ss)\".",
                        with(List.of(new Command.Option(HISTORY + " N", "first shows the newest N messages (needs "
                                        + POST_PORT + ")"),
                                new Command.Option(POST_PORT + " <post_port>",
                                        "the server's post port, where history is served")), CLIENT_SECURITY),
                        ZmqCommands::pubClient, false),
                new Simple("interactive_client", "<ip> <post_port> <pub_port> <name> [--history N] [--retry-for S]",
                        "Part 3: posts each line typed to the channel general while printing the channel. "
                        + CLIENT_END, with(List.of(JOIN_HISTORY, RETRY), CLIENT_SECURITY),
                        args -> chatClient("interactive_client", args, false),
                        false),
                new Simple("mc_server", "<ip> <post_port> <pub_port> [--data <file> | --redis <uri>]",
                        "Part 4: the multi-channel server; the same server as pub_server. " + SERVER_LIFE,
                        SERVER_OPTIONS_HELP, args -> pubServer("mc_server", args), true),
                new Simple("mc_client", "<ip> <post_port> <pub_port> <channel> <name> [--history N] [--retry-for S]",
                        "Part 4: joins one channel, printing its messages and posting each line typed; a "
                        + "client of ALL sees every channel, read-only. " + CLIENT_END,
                        with(List.of(JOIN_HISTORY, RETRY), CLIENT_SECURITY), args -> chatClient("mc_client", args, true),
                        false));
    }

    // ---- servers

    /** Part 1: records posts (and prints them), publishes nothing. */
    private static int postServer(String[] args) throws Exception {
        Args a = Args.parse(args, SERVER_OPTIONS);
        a.requireCount(2);
        String host = Cli.host(a.get(0));
        int port = Cli.port("port", a.get(1), true);
        ZmqServerOptions.Builder options = a.secure(ZmqServerOptions.builder().host(host).postPort(port).publish(false));
        ChatHub hub = a.hub("post_server");
        ZmqChatServer server = start(options, hub);
        ChatClient printer;
        try {
            printer = hub.connect("post_server");
        } catch (RuntimeException e) {
            server.close(); // the server is up: nothing may outlive this failure (a durable store's lock)
            Cli.close(hub);
            throw e;
        }
        try {
            printer.subscribe(Names.ALL, m -> Console.printLine(m.displayLine()));
        } catch (RuntimeException e) {
            printer.close();
            server.close();
            Cli.close(hub);
            throw e;
        }
        return Cli.runUntilSignalled(() -> {
            printer.close();
            server.close();
            Cli.close(hub);
        }, "post_server: listening for posts on tcp://" + host + ":" + server.postPort() + a.secured());
    }

    /** Parts 2 to 4: {@code pub_server} and {@code mc_server} are the same server. */
    private static int pubServer(String name, String[] args) throws Exception {
        Args a = Args.parse(args, SERVER_OPTIONS);
        a.requireCount(3);
        String host = Cli.host(a.get(0));
        int postPort = Cli.port("post_port", a.get(1), true);
        int pubPort = Cli.port("pub_port", a.get(2), true);
        if (postPort == pubPort && postPort != 0) {
            throw new Cli.UsageException("post_port and pub_port are both " + postPort);
        }
        ZmqServerOptions.Builder options = a.secure(ZmqServerOptions.builder().host(host).postPort(postPort)
                .pubPort(pubPort));
        ChatHub hub = a.hub(name);
        ZmqChatServer server = start(options, hub);
        return Cli.runUntilSignalled(() -> {
            server.close();
            Cli.close(hub);
        }, name + ": listening for posts on tcp://" + host + ":"
                + server.postPort() + ", publishing on tcp://" + host + ":" + server.pubPort() + a.secured());
    }

    /** Starts a server on {@code hub}, or on a hub of its own if null; a server that cannot start closes the hub. */
    private static ZmqChatServer start(ZmqServerOptions.Builder options, ChatHub hub) throws Cli.FailureException {
        try {
            return ZmqChatServer.start((hub != null ? options.hub(hub) : options).build());
        } catch (IOException | RuntimeException e) {
            Cli.close(hub);
            if (e instanceof IOException) {
                throw new Cli.FailureException(e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
    }

    // ---- one-shot and read-only clients

    /** Part 1: posts one message to {@code general}; exit 0 once acknowledged. */
    private static int postClient(String[] args) throws Exception {
        Args a = Args.parse(args, Set.of(Keys.KEY, Keys.SERVER_KEY));
        a.requireCount(4);
        String host = Cli.host(a.get(0));
        int port = Cli.port("port", a.get(1));
        String user = Cli.user(a.get(2));
        String text = a.get(3);
        // One post from a command line: a server that does not answer soon is reported at once.
        try (ZmqChatClient client = connect(a.secure(ZmqClientOptions.builder()
                .host(host).postPort(port).user(user).postTimeout(ZmqClientOptions.DEFAULT_REQUEST_TIMEOUT)))) {
            await(client.post(Names.DEFAULT_CHANNEL, text));
        }
        return 0;
    }

    /** Part 2: prints the messages of {@code general} as they are published. */
    private static int pubClient(String[] args) throws Exception {
        Args a = Args.parse(args, Set.of(HISTORY, POST_PORT, Keys.KEY, Keys.SERVER_KEY));
        a.requireCount(2);
        String host = Cli.host(a.get(0));
        int pubPort = Cli.port("pub_port", a.get(1));
        int history = a.history(0);
        Integer postPort = a.postPort();
        if (history > 0 && postPort == null) {
            throw new Cli.UsageException("--history needs --post-port: history is served on the post port");
        }
        ZmqClientOptions.Builder options = ZmqClientOptions.builder().host(host).pubPort(pubPort);
        if (postPort != null) {
            options.postPort(postPort);
        }
        ZmqChatClient client = connect(a.secure(options));
        client.subscribe(Names.DEFAULT_CHANNEL, history, m -> Console.printLine(m.displayLine()));
        return Cli.runUntilSignalled(client, null);
    }

    // ---- interactive clients

    /** Parts 3 and 4: prints the channel while posting each line typed; slash commands act on the client. */
    private static int chatClient(String name, String[] args, boolean withChannel) throws Exception {
        Args a = Args.parse(args, Set.of(HISTORY, RETRY_FOR, Keys.KEY, Keys.SERVER_KEY));
        a.requireCount(withChannel ? 5 : 4);
        String host = Cli.host(a.get(0));
        int postPort = Cli.port("post_port", a.get(1));
        int pubPort = Cli.port("pub_port", a.get(2));
        String channel = withChannel ? Cli.channel(a.get(3)) : Names.DEFAULT_CHANNEL;
        String user = Cli.user(a.get(withChannel ? 4 : 3));
        int history = a.history(DEFAULT_JOIN_HISTORY);
        SlashCommands commands = new SlashCommands(withChannel
                ? SlashCommands.JoinRule.oneChannel("leaves this channel for another and shows its recent messages"
                        + " (ALL: every channel, read-only)")
                : SlashCommands.JoinRule.none("this client posts to general only (mc_client joins other channels)"));

        int retryFor = a.retryFor(DEFAULT_RETRY_SECONDS);
        CountDownLatch done = new CountDownLatch(1);
        // The server publishes each post back to its channel: on a terminal, that is the one line shown.
        try (Console console = Console.open(true);
             Reconnection reconnection = new Reconnection(name, console, "tcp://" + host + ":" + postPort, retryFor,
                     done::countDown);
             ZmqChatClient client = connect(a.secure(ZmqClientOptions.builder()
                     .host(host).postPort(postPort).pubPort(pubPort).user(user).onConnection(reconnection::heard)))) {
            // A server that does not answer within the request timeout is unreachable: one line,
            // exit 1, as for the other clients (README), before anything else is printed.
            try {
                client.recent(channel, 0).get(ZmqClientOptions.DEFAULT_REQUEST_TIMEOUT.toMillis() + 1000,
                        TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                console.error(name + ": cannot reach the server: " + describe(e.getCause() != null ? e.getCause() : e));
                return 1;
            }
            Room room = new Room(name, console, client, user, history);
            room.enter(channel);
            room.startPresence();
            reconnection.onLoss = room.here::forget;

            Signals.onTerminate(done::countDown);
            List<CompletableFuture<PostAck>> pending = new ArrayList<>();
            console.readLinesInBackground(name, line -> commands.handle(line, console, name,
                    text -> post(name, console, client, room.channel, room.all, pending, text, reconnection.printer()),
                    channels -> room.join(channels.get(0)), room::ask), done::countDown);
            done.await();
            if (reconnection.gaveUp()) {
                return 1; // said in one line
            }

            // End of input, /quit or a signal: let the posts already made be acknowledged (each
            // is sent again until its post timeout), then leave: 1 if one was not.
            List<CompletableFuture<PostAck>> waiting;
            synchronized (pending) {
                waiting = List.copyOf(pending);
            }
            try {
                CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new))
                        .get(ZmqClientOptions.DEFAULT_POST_TIMEOUT.toMillis() + 2000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                return 1; // each failure was told on its own line
            } catch (TimeoutException e) {
                console.error(name + ": posts still not acknowledged are given up");
                return 1;
            }
        }
        return 0;
    }

    /**
     * What an interactive client says when it loses its server and gets it back, and its bound:
     * {@code connection lost, reconnecting...}, {@code reconnected}, or, after {@code retryFor}
     * seconds without a server, one line and the end ({@link #gaveUp}).
     */
    private static final class Reconnection implements AutoCloseable {
        private final String name;
        private final Console console;
        private final String server;
        private final int retryFor;
        private final Runnable end;
        private final java.util.concurrent.ScheduledExecutorService timer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "parley-reconnection");
                    t.setDaemon(true);
                    return t;
                });
        private java.util.concurrent.ScheduledFuture<?> giveUp; // guarded by this
        private volatile boolean gaveUp;

        Reconnection(String name, Console console, String server, int retryFor, Runnable end) {
            this.name = name;
            this.console = console;
            this.server = server;
            this.retryFor = retryFor;
            this.end = end;
        }

        /** Runs when the connection is lost: who is in the channel is learnt anew. */
        volatile Runnable onLoss = () -> { };

        /** The client's delivery thread: its connection went ({@code false}) or came back. */
        synchronized void heard(boolean up) {
            if (up) {
                if (giveUp != null) {
                    giveUp.cancel(false);
                    giveUp = null;
                }
                console.error(name + ": reconnected");
                return;
            }
            onLoss.run();
            console.error(name + ": connection lost, reconnecting...");
            if (giveUp == null) {
                java.util.concurrent.ScheduledFuture<?>[] mine = new java.util.concurrent.ScheduledFuture<?>[1];
                mine[0] = timer.schedule(() -> giveUp(mine[0]), retryFor, TimeUnit.SECONDS);
                giveUp = mine[0];
            }
        }

        /** The timer: gives up unless the connection came back meanwhile (its task is no longer the current one). */
        private synchronized void giveUp(java.util.concurrent.ScheduledFuture<?> task) {
            if (giveUp != task || gaveUp) {
                return;
            }
            gaveUp = true;
            console.error(name + ": gave up reconnecting to " + server + " after " + retryFor + " s");
            end.run();
        }

        /** Where the outcome of a post is told: off the client's socket thread, in order. */
        java.util.concurrent.Executor printer() {
            return timer;
        }

        boolean gaveUp() {
            return gaveUp;
        }

        @Override
        public void close() {
            timer.shutdown(); // the outcomes of posts it is printing still print
            try {
                timer.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            timer.shutdownNow();
        }
    }

    /**
     * The channel an interactive client is in: joined at start, and again by {@code /join}.
     * Joined on the main thread before input is read, then on the input thread alone, which
     * also reads it to post.
     */
    private static final class Room {
        private final String name;
        private final Console console;
        private final ZmqChatClient client;
        private final String user;
        private final int history;
        volatile String channel;
        volatile boolean all;
        private Subscription subscription;
        /** Who is in the channel, said and told; made once the channel is joined. */
        WhoIsHere here;

        Room(String name, Console console, ZmqChatClient client, String user, int history) {
            this.name = name;
            this.console = console;
            this.client = client;
            this.user = user;
            this.history = history;
        }

        /**
         * Joins {@code next} once the server answers, leaving the current channel, if any: prints
         * the "joined" line, the channel's recent history, then a marker line between history and
         * what follows. If the server does not answer, says so and stays where it was.
         */
        void join(String next) {
            if (next.equals(channel)) {
                console.error(name + ": already in " + next);
                return;
            }
            try {
                client.recent(next, 0).get(ZmqClientOptions.DEFAULT_REQUEST_TIMEOUT.toMillis() + 1000,
                        TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                console.error(name + ": cannot join " + next + ": " + describe(e.getCause() != null ? e.getCause() : e)
                        + (channel == null ? "" : "; still in " + channel));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            enter(next);
        }

        /** Starts saying, every 5 s, that the user is in its channel, and telling who comes and goes. */
        void startPresence() {
            here = new WhoIsHere(name, console, user, () -> channel, client::presence).start();
        }

        /** {@code /who} or {@code /channels}: asks the server and prints its answer, one line, off the input thread. */
        void ask(SlashCommands.Input asked) {
            if (asked instanceof SlashCommands.Who) {
                here.who();
                return;
            }
            client.channels().whenCompleteAsync((channels, error) -> {
                if (error != null) {
                    console.error(name + ": cannot list the channels: " + error.getMessage());
                    return;
                }
                List<String> shown = new ArrayList<>();
                channels.forEach((c, n) -> shown.add(c + " (" + n + " here)"));
                console.error(name + ": channels: " + (shown.isEmpty() ? "none yet" : String.join(", ", shown)));
            });
        }

        /** Joins {@code next}, the server having just answered: see {@link #join}. */
        void enter(String next) {
            if (subscription != null) {
                subscription.close(); // nothing more of the old channel is printed
            }
            channel = next;
            all = Names.ALL.equals(next);
            boolean withChannel = all;
            // Printed before the subscription can print anything: it comes first.
            console.error(name + ": joined " + next + " as " + user
                    + (all ? " (read-only: every channel is shown)" : ""));
            // Subscribe first, then read history: the client's seq tracking merges the two.
            subscription = client.subscribe(next, history, m -> console.println(line(m, withChannel)),
                    history == 0 ? null : (count, failure) -> console.error(marker(name, count, failure)));
        }
    }

    /** Input thread: posts one typed line (in parts if it is over the text limit), or says why it cannot. */
    private static void post(String name, Console console, ZmqChatClient client, String channel, boolean all,
                             List<CompletableFuture<PostAck>> pending, String line, java.util.concurrent.Executor printer) {
        if (all) {
            console.error(name + ": channel ALL is read-only: this line was not sent; join a channel to post");
            return;
        }
        List<String> parts = TextParts.split(line, TextParts.LIMIT);
        for (String part : parts) {
            CompletableFuture<PostAck> f = client.post(channel, part);
            // Acknowledged at once, the delivery is all the user sees; after a second without an
            // answer (a server restarting), one line says it is still being sent, and one the outcome.
            java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
            CompletableFuture.delayedExecutor(SENDING_NOTICE_MILLIS, TimeUnit.MILLISECONDS).execute(() -> {
                if (state.compareAndSet(0, 1)) {
                    console.error(name + ": sending \"" + excerpt(part) + "\"...");
                }
            });
            // Kept until its outcome is printed: the end of input waits for that.
            // A post the server refused was answered (its reason is told): only one never answered
            // keeps failing here, for the exit status.
            CompletableFuture<PostAck> told = f.handleAsync((ack, error) -> {
                boolean noticed = state.getAndSet(2) == 1;
                if (error != null) {
                    console.error(name + ": " + describe(error));
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    if (!(cause instanceof ProtocolException)) {
                        throw new CompletionException(cause);
                    }
                } else if (noticed) {
                    console.error(name + ": sent \"" + excerpt(part) + "\"");
                }
                return ack;
            }, printer);
            synchronized (pending) {
                pending.removeIf(p -> p.isDone() && !p.isCompletedExceptionally()); // bounded by the posts in flight
                pending.add(told);
            }
        }
        if (parts.size() > 1) {
            console.error(name + ": " + TextParts.notice(parts.size()));
        }
    }

    /** How long a post may wait for its acknowledgement before the user is told it is still being sent. */
    static final long SENDING_NOTICE_MILLIS = 1000;

    /** The start of a text, for a notice about it. */
    private static String excerpt(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    /** The line between the history shown on joining and the messages that follow. */
    static String marker(String name, int count, Throwable failure) {
        if (failure != null) {
            return name + ": earlier messages could not be read (" + describe(failure) + "); new messages follow";
        }
        return count == 0 ? "-- no earlier messages; new messages follow --"
                : "-- " + count + " earlier message" + (count == 1 ? "" : "s") + " above; new messages follow --";
    }

    private static String line(ChatMessage m, boolean withChannel) {
        return withChannel ? m.displayLineWithChannel() : m.displayLine();
    }

    // ---- helpers

    private static ZmqChatClient connect(ZmqClientOptions.Builder options) throws Cli.FailureException {
        try {
            return ZmqChatClient.connect(options.build());
        } catch (IOException e) {
            throw new Cli.FailureException(e.getMessage(), e);
        }
    }

    private static void await(CompletableFuture<?> future) throws Cli.FailureException, InterruptedException {
        try {
            future.get();
        } catch (ExecutionException e) {
            throw new Cli.FailureException(describe(e.getCause()), e.getCause());
        }
    }

    /** One line for the user: the server's words for a rejection, the cause for the rest. */
    static String describe(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof ProtocolException) {
            return "the server rejected the post: " + e.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** Positional arguments plus the few {@code --name value} options a command allows. */
    private static final class Args {
        private final List<String> positional = new ArrayList<>();
        private Integer history;
        private Integer postPort;
        private Integer retryFor;
        private String auth;
        private String key;
        private String serverKey;
        private java.nio.file.Path data;
        private java.net.URI redis;

        static Args parse(String[] args, Set<String> allowed) throws Cli.UsageException {
            Args a = new Args();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                // Only the command's own options are options: a message, a user or a channel
                // may well start with "--" ("--help me" is a fine message to post). Main has
                // already answered an argument that is exactly --help or -h.
                if (allowed.contains(arg)) {
                    if (i + 1 >= args.length) {
                        // The same words as topicserver and parley_server for --data.
                        throw new Cli.UsageException(arg + (Cli.DATA.equals(arg) ? " needs a file name" : " needs a value"));
                    }
                    String value = args[++i];
                    if (Cli.DATA.equals(arg)) {
                        if (a.data != null) {
                            throw new Cli.UsageException(Cli.DATA + " is given twice");
                        }
                        a.data = Cli.dataFile(value);
                    } else if (Cli.REDIS.equals(arg)) {
                        if (a.redis != null) {
                            throw new Cli.UsageException(Cli.REDIS + " is given twice");
                        }
                        a.redis = Cli.redisUri(value);
                    } else if (HISTORY.equals(arg)) {
                        a.history = count(arg, value);
                    } else if (Keys.AUTH.equals(arg)) {
                        a.auth = value;
                    } else if (Keys.KEY.equals(arg)) {
                        a.key = value;
                    } else if (Keys.SERVER_KEY.equals(arg)) {
                        a.serverKey = value;
                    } else if (RETRY_FOR.equals(arg)) {
                        a.retryFor = seconds(value);
                    } else {
                        a.postPort = Cli.port("post_port", value);
                    }
                } else {
                    a.positional.add(arg);
                }
            }
            Cli.requireOneStore(a.data, a.redis);
            return a;
        }

        private static int seconds(String value) throws Cli.UsageException {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new Cli.UsageException(RETRY_FOR + " \"" + Console.printable(value)
                    + "\" is not a whole number of seconds, 0 or more");
        }

        /** The hub a server serves: one that authenticates with {@code --auth}, which needs {@code --key}. */
        ChatHub hub(String command) throws Cli.UsageException, Cli.FailureException {
            if (auth == null && key != null) {
                throw new Cli.UsageException(Keys.KEY + " needs " + Keys.AUTH
                        + ": an encrypted server lets in only the users of a users file");
            }
            if (auth != null && key == null) {
                throw new Cli.UsageException(Keys.AUTH + " needs " + Keys.KEY
                        + ": users prove their keys over CurveZMQ, which needs the server's own");
            }
            HubOptions options = Cli.hubOptions(auth);
            return Cli.hub(command, data, redis, options);
        }

        /** The server's options with its key, if {@code --key} gave one (read before the hub is made). */
        ZmqServerOptions.Builder secure(ZmqServerOptions.Builder options) throws Cli.FailureException {
            if (key != null) {
                Keys.Pair pair = Keys.read(key, true);
                try {
                    options.curve(pair.publicKey(), pair.secret());
                } catch (IllegalArgumentException e) {
                    throw new Cli.FailureException("key file " + Names.quote(key) + ": " + e.getMessage(), e);
                }
            }
            return options;
        }

        /** What the server's first line adds about its security. */
        String secured() {
            return auth != null ? " (CurveZMQ; users of " + auth + ")" : key != null ? " (CurveZMQ)" : "";
        }

        /** The client's options with {@code --key} and {@code --server-key}, which go together. */
        ZmqClientOptions.Builder secure(ZmqClientOptions.Builder options) throws Cli.UsageException,
                Cli.FailureException {
            if ((key == null) != (serverKey == null)) {
                throw new Cli.UsageException(Keys.KEY + " and " + Keys.SERVER_KEY + " go together: "
                        + "this user's key pair and the server's public key");
            }
            if (key != null) {
                Keys.Pair own = Keys.read(key, true);
                Keys.Pair server = Keys.read(serverKey, false);
                try {
                    options.curve(server.publicKey(), own.publicKey(), own.secret());
                } catch (IllegalArgumentException e) {
                    throw new Cli.FailureException("key files " + Names.quote(key) + " and " + Names.quote(serverKey)
                            + ": " + e.getMessage(), e);
                }
            }
            return options;
        }

        int retryFor(int fallback) {
            return retryFor == null ? fallback : retryFor;
        }

        private static int count(String option, String value) throws Cli.UsageException {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0 && n <= HubOptions.MAX_HISTORY_LIMIT) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new Cli.UsageException(option + " takes a number from 0 to "
                    + HubOptions.MAX_HISTORY_LIMIT + ", not \"" + Console.printable(value) + "\"");
        }

        void requireCount(int count) throws Cli.UsageException {
            Cli.requireCount(positional.toArray(String[]::new), count);
        }

        String get(int i) {
            return positional.get(i);
        }

        int history(int fallback) {
            return history == null ? fallback : history;
        }

        Integer postPort() {
            return postPort;
        }

        /** The file of {@code --data}, or null. */
        java.nio.file.Path data() {
            return data;
        }
    }

    /** A command made of its parts: the ZeroMQ commands differ only in how they run. */
    private record Simple(String name, String arguments, String summary, List<Command.Option> options,
                          Runner runner, boolean server) implements Command {
        @Override
        public int run(String[] args) throws Exception {
            return runner.run(args);
        }
    }

    @FunctionalInterface
    private interface Runner {
        int run(String[] args) throws Exception;
    }
}
