package org.parley.bench.attack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZContext;

/**
 * Does the server still answer a newcomer? A fresh client's one exchange, within a time limit.
 *
 * <p>Thread safety: stateless; each call makes and closes its own sockets.
 */
final class Probe {
    private Probe() {
    }

    /** "answers", or why not: a fresh DEALER's post to a channel of its own gets ok:true in time. */
    static String zmq(String postEndpoint, String channel, int timeoutMillis) {
        try (ZContext context = TickingContext.create(); Dealer dealer = new Dealer(context, postEndpoint)) {
            dealer.send(Dealer.post("probe", channel, "are you there?", "p"));
            String reply = dealer.receive(timeoutMillis);
            if (reply == null) {
                return "no reply in " + timeoutMillis + " ms";
            }
            return Json.ok(reply) ? "answers" : "refuses: " + Json.excerpt(Json.field(reply, "error").orElse(reply), 80);
        }
    }

    /**
     * "answers", or why not: two fresh topic clients register for {@code topic} and one's message
     * reaches the other in time (it sends again every 200 ms, since registrations land unseen).
     */
    static String tcp(InetSocketAddress server, String topic, int timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try (TopicConn receiver = TopicConn.connect(server, timeoutMillis);
             TopicConn sender = TopicConn.connect(server, timeoutMillis)) {
            receiver.register(topic);
            sender.register(topic);
            while (System.nanoTime() < deadline) {
                sender.send(topic, "are you there?");
                String line = receiver.readLine(Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)));
                if (line != null) {
                    return line.contains("are you there?") ? "answers" : "sent back: " + Json.excerpt(line, 80);
                }
            }
            return "nothing delivered in " + timeoutMillis + " ms";
        } catch (IOException e) {
            return Json.excerpt(e.getMessage() == null ? e.toString() : e.getMessage(), 80);
        }
    }
}
