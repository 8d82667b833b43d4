package org.parley.bench.attack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Attack 12: text the protocol forbids, on both transports of the bridge: overlong UTF-8
 * ({@code C0 AF}, {@code E0 80 AF}, both a disguised '/'), a UTF-16 body, duplicate keys.
 * Each case is sent once; the note says whether the server took it. Accepting one is a
 * finding, not a crash.
 */
final class BadUtf8 implements Attack {
    static final byte[] OVERLONG_2 = {(byte) 0xC0, (byte) 0xAF};
    static final byte[] OVERLONG_3 = {(byte) 0xE0, (byte) 0x80, (byte) 0xAF};
    private static final String MARK = "@@";

    @Override
    public String id() {
        return "bad-utf8";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.BRIDGE;
    }

    @Override
    public String description() {
        return "overlong UTF-8 in text on both transports, a UTF-16 body on ZeroMQ, duplicate keys on TCP";
    }

    @Override
    public void run(AttackContext ctx) {
        Dealer dealer = ctx.own(new Dealer(ctx.zmq(), ctx.server().postEndpoint()));
        String post = "{\"user\":\"u8\",\"channel\":\"utf\",\"text\":\"a" + MARK + "b\"}";
        ctx.note("zmq C0 AF: " + zmq(dealer, with(post, OVERLONG_2)));
        ctx.note("zmq E0 80 AF: " + zmq(dealer, with(post, OVERLONG_3)));
        ctx.note("zmq UTF-16 body: " + zmq(dealer,
                "{\"user\":\"u8\",\"channel\":\"utf\",\"text\":\"utf16\"}".getBytes(StandardCharsets.UTF_16)));
        ctx.note("zmq duplicate text: " + zmq(dealer,
                "{\"user\":\"u8\",\"channel\":\"utf\",\"text\":\"first\",\"text\":\"second\"}".getBytes(StandardCharsets.UTF_8)));
        ctx.note("tcp C0 AF: " + tcp(ctx, m -> with(m.message("utf", "\"a" + MARK + "b\""), OVERLONG_2)));
        ctx.note("tcp E0 80 AF: " + tcp(ctx, m -> with(m.message("utf", "\"a" + MARK + "b\""), OVERLONG_3)));
        ctx.note("tcp duplicate text: " + tcp(ctx, m -> bytes(m.message("utf", "\"first\",\"text\":\"second\""))));
        ctx.note("tcp duplicate topic: " + tcp(ctx, m -> bytes(m.message("utf", "\"dup\"")
                .replace("\"topic\":\"utf\"", "\"topic\":\"utf\",\"topic\":\"elsewhere\""))));
        ctx.scale("8 cases");
    }

    private static String zmq(Dealer dealer, byte[] body) {
        dealer.send(body);
        String reply = dealer.receive(2_000);
        if (reply == null) {
            return "no reply in 2 s";
        }
        return Json.ok(reply) ? "ACCEPTED" : "refused (" + Json.excerpt(Json.field(reply, "error").orElse(reply), 70) + ")";
    }

    /**
     * Registers a sender and a receiver for {@code utf}, proves the route with a plain message,
     * then sends the bad bytes: "ACCEPTED, delivered as ...", "refused (error)" or what else happened.
     */
    private static String tcp(AttackContext ctx, java.util.function.Function<TopicConn, byte[]> bad) {
        try (TopicConn receiver = TopicConn.connect(ctx.tcp(), 2_000); TopicConn sender = TopicConn.connect(ctx.tcp(), 2_000)) {
            receiver.register("utf");
            sender.register("utf");
            long routeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            String seen = null;
            while (seen == null && System.nanoTime() < routeDeadline) {
                sender.send("utf", "route check");
                seen = receiver.readLine(Math.min(routeDeadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)));
            }
            if (seen == null) {
                return "not tried: the route check was not delivered";
            }
            sender.writeRaw(bad.apply(sender));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            String delivered = null;
            try {
                for (String line = receiver.readLine(deadline); line != null; line = receiver.readLine(deadline)) {
                    if (!line.contains("route check")) {
                        delivered = line;
                        break;
                    }
                }
            } catch (IOException e) {
                return "the receiver was disconnected (" + e.getMessage() + ")";
            }
            if (delivered != null) {
                return "ACCEPTED, delivered as " + Json.excerpt(Json.field(delivered, "text").orElse(delivered), 40);
            }
            try {
                String answer = sender.readLine(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500));
                return answer == null ? "dropped without a word, sender still connected"
                        : "refused (" + Json.excerpt(Json.field(answer, "error").orElse(answer), 70) + ")";
            } catch (IOException e) {
                return "dropped, sender disconnected without an error object";
            }
        } catch (IOException e) {
            return "failed: " + Json.excerpt(String.valueOf(e.getMessage()), 60);
        }
    }

    /** {@code json} + a newline as UTF-8, with {@code MARK} replaced by raw bytes. */
    static byte[] with(String json, byte[] raw) {
        int at = json.indexOf(MARK);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(json.substring(0, at).getBytes(StandardCharsets.UTF_8));
        out.writeBytes(raw);
        out.writeBytes((json.substring(at + MARK.length()) + "\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static byte[] bytes(String json) {
        return (json + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
