package org.parley.examples;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.parley.core.ChatClient;
import org.parley.core.ChatMessage;
import org.parley.core.Subscription;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bot that answers commands in one channel: {@code !time} with the server-independent UTC
 * time, {@code !help} with what it understands. It works over any {@link ChatClient}: an
 * in-process one, or a ZeroMQ or TCP client.
 *
 * <pre>{@code
 * try (ChatClient client = hub.connect("timebot");
 *      EchoBot bot = EchoBot.start(client, "general")) {
 *     ... // the bot answers until closed
 * }
 * }</pre>
 *
 * <p>Thread safety: the bot reacts on its client's delivery thread; {@link #close()} may be
 * called from any thread.
 */
public final class EchoBot implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EchoBot.class);
    static final String HELP = "commands: !time (the current UTC time), !help (this list)";
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final ChatClient client;
    private final String channel;
    private final Clock clock;
    private final Subscription subscription;

    private EchoBot(ChatClient client, String channel, Clock clock) {
        this.client = client;
        this.channel = channel;
        this.clock = clock;
        this.subscription = client.subscribe(channel, this::onMessage);
    }

    /** Starts answering in {@code channel} through {@code client}. */
    public static EchoBot start(ChatClient client, String channel) {
        return new EchoBot(client, channel, Clock.systemUTC());
    }

    static EchoBot start(ChatClient client, String channel, Clock clock) {
        return new EchoBot(client, channel, clock);
    }

    /** The answer to {@code text}, or {@code null} if it is not a command. */
    String answer(String text) {
        return switch (text.strip()) {
            case "!time" -> "the time is " + TIME.format(clock.instant());
            case "!help" -> HELP;
            default -> null;
        };
    }

    private void onMessage(ChatMessage message) {
        if (message.user().equals(client.user())) {
            return; // never answer itself: two bots would otherwise talk forever
        }
        String reply = answer(message.text());
        if (reply != null) {
            client.post(channel, reply).whenComplete((ack, error) -> {
                if (error != null) {
                    log.warn("could not answer {} in {}: {}", message.user(), channel, error.getMessage());
                }
            });
        }
    }

    /**
     * {@code java ... EchoBot <ip> <post_port> <pub_port> [channel]}: answers in the channel
     * ({@code general} by default) of a ZeroMQ chat server as {@code echobot}, until killed.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: EchoBot <ip> <post_port> <pub_port> [channel]");
            System.exit(2);
        }
        String channel = args.length == 4 ? args[3] : ChatClient.DEFAULT_CHANNEL;
        ZmqChatClient client = ZmqChatClient.connect(ZmqClientOptions.builder().host(args[0])
                .postPort(Integer.parseInt(args[1])).pubPort(Integer.parseInt(args[2])).user("echobot").build());
        EchoBot bot = start(client, channel);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bot.close();
            client.close();
        }, "echobot-shutdown"));
        System.err.println("echobot: answering !time and !help in " + channel);
        new CountDownLatch(1).await(); // until the JVM is stopped
    }

    /** Stops answering; the client stays open. Idempotent. */
    @Override
    public void close() {
        subscription.close();
    }
}
