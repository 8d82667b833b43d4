package org.parley.zmq;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ZMTP commands a peer sends that JeroMQ's engine fails on: the server logs them through SLF4J,
 * a few lines however many come, and goes on serving.
 */
@Timeout(30)
class ZmqPeerCommandTest {
    /** A PING of 5 bytes, "\x04PING" without its TTL: JeroMQ 0.6.0 reads the TTL at bytes 5 and 6. */
    private static final byte[] SHORT_PING = {RawZmtp.COMMAND, 5, 4, 'P', 'I', 'N', 'G'};

    @Test
    void aShortPingIsLoggedAFewTimesNotPrintedAndTheServerGoesOn() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (ZmqChatServer server = ZmqTestSupport.startServer();
             ZmqChatClient good = ZmqTestSupport.client(server, "good");
             LogCapture logged = LogCapture.of(ContextErrors.class);
             RawZmtp attacker = RawZmtp.connect(server.postPort(), "DEALER")) {
            System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
            for (int i = 0; i < 20; i++) {
                attacker.sendRaw(SHORT_PING); // a write, and so a segment, each
            }
            // A whole PING (TTL 0, no context) is answered with a PONG once the engine has read
            // everything before it. A failure abandons the rest of the bytes the engine had
            // read, until more arrive: each PING sent makes it read on.
            RawZmtp.Frame pong = null;
            for (int i = 0; i < 200 && pong == null; i++) {
                attacker.sendFrame(RawZmtp.COMMAND, new byte[] {4, 'P', 'I', 'N', 'G', 0, 0});
                pong = attacker.pollFrame(Duration.ofMillis(100));
            }
            assertNotNull(pong, "the server never answered a PING");
            assertEquals("\u0004PONG", new String(pong.body(), US_ASCII));
            System.setErr(err);

            assertEquals("", printed.toString(StandardCharsets.UTF_8), "JeroMQ printed to standard error");
            List<String> lines = logged.containing("failed handling a connection");
            assertFalse(lines.isEmpty(), logged.lines().toString());
            assertTrue(lines.size() <= 3, lines.size() + " lines: " + lines);
            assertTrue(lines.get(0).contains("IndexOutOfBoundsException"), lines.get(0));
            assertEquals("general", good.post("general", "still served").get(5, TimeUnit.SECONDS).channel());
        } finally {
            System.setErr(err);
        }
    }
}
