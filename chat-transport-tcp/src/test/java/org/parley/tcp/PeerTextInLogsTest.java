package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * What peers send reaches the server's log only as a short escaped excerpt, and a peer that
 * repeats itself is logged now and then, not every time (issue 11, row 11): the log grows by
 * what happened, not by what attackers send.
 */
@Timeout(30)
class PeerTextInLogsTest {
    private static final String NASTY = "\\u001b[2J\\u001b[31mfake line\\nERROR forged " + "z".repeat(4000);
    private static final int REPEATS = 40;
    private final Logger tcpLog = (Logger) LoggerFactory.getLogger("org.parley.tcp");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Level levelBefore;
    private TopicServer server;

    @BeforeEach
    void capture() throws Exception {
        levelBefore = tcpLog.getLevel();
        tcpLog.setLevel(Level.INFO);
        tcpLog.setAdditive(false); // the lines are counted here, not printed
        lines.start();
        tcpLog.addAppender(lines);
        server = TopicServer.start(TopicServerOptions.builder().bindAddress(InetAddress.getLoopbackAddress()).build());
    }

    @AfterEach
    void release() {
        server.close();
        tcpLog.detachAppender(lines);
        tcpLog.setAdditive(true);
        tcpLog.setLevel(levelBefore);
    }

    private RawClient registered() throws Exception {
        RawClient c = new RawClient(server.port());
        long before = server.registrations();
        c.register("dev");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2))
                .until(() -> server.registrations() > before);
        return c;
    }

    @Test
    void peerErrorsBadInputAndStrayTopicsAreLoggedShortEscapedAndNowAndThen() throws Exception {
        try (RawClient a = registered(); RawClient b = registered()) {
            for (int i = 0; i < REPEATS; i++) {
                a.write("{\"error\":\"" + NASTY + "\"}\n"); // an error object: logged, the connection stays
            }
            for (int i = 0; i < REPEATS; i++) {
                try (RawClient stray = registered()) { // a message to a topic it never registered for
                    stray.write("{\"source\":{\"ip\":\"1.1.1.1\",\"port\":\"1\"},\"message\":{\"topic\":\"" + NASTY
                            + "\",\"text\":\"x\"}}\n");
                    stray.say("dev", "done " + i); // after the stray one: it has been handled
                    assertEquals("dev:done " + i, b.next());
                }
            }
            for (int i = 0; i < REPEATS; i++) {
                try (RawClient bad = new RawClient(server.port())) { // a topic name that breaks the rule
                    bad.write("{\"source\":{\"ip\":\"1.1.1.1\",\"port\":\"1\"},\"topics\":[\"" + NASTY + "\"]}\n");
                    assertTrue(bad.json().has("error"));
                }
            }
            a.say("dev", "after");
            assertEquals("dev:after", b.next());
        }
        List<String> logged = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        for (String line : logged) {
            assertTrue(line.length() < 300, "a long line: " + line.length() + " chars");
            assertTrue(line.chars().noneMatch(c -> c < 0x20 || c == 0x7f), "a control character in: " + line);
        }
        assertTrue(logged.size() <= 6, () -> "each kind of line at most once (the interval is 10 s): "
                + logged.size() + " lines, the first: " + logged.subList(0, Math.min(3, logged.size())));
        assertTrue(logged.stream().anyMatch(l -> l.contains("reported an error: \"\\u001b[2J")), String.valueOf(logged));
    }
}
