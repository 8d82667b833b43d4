package org.parley.apps;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chat page in a real headless Chromium, against {@code bin/parley_server --web} run as a
 * process, beside an {@code mc_client}. Each test saves a screenshot under {@code target/}.
 */
class BrowserIT extends WithProcesses {
    private static final Path SHOTS = Path.of("target");
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** {@code user: text (HH:mm:ss)}, as the page shows a message. */
    private static final String TIME = " \\(\\d\\d:\\d\\d:\\d\\d\\)";

    private Chromium chromium;

    @BeforeEach
    void startChromium() throws Exception {
        chromium = Chromium.start();
    }

    @AfterEach
    void stopChromium() {
        if (chromium != null) {
            chromium.close();
        }
    }

    /** A bridge with the web page: {post, pub, tcp, web} ports. */
    private record Bridge(Launched process, int post, int pub, int web) {
        String page(String name, String channel) {
            return "http://127.0.0.1:" + web + "/?name=" + name + "&channel=" + channel;
        }
    }

    private Bridge bridge(String... ports) throws Exception {
        Launched server = start("parley_server", "127.0.0.1", ports[0], ports[1], ports[2], "--web", ports[3]);
        List<Integer> p = server.ports("parley_server: listening .*", Launched.WAIT);
        Matcher m = Pattern.compile("parley_server: chat in a browser at http://127\\.0\\.0\\.1:(\\d+)/")
                .matcher(server.awaitErr("parley_server: chat in a browser at .*", Launched.WAIT));
        assertTrue(m.matches());
        return new Bridge(server, p.get(0), p.get(1), Integer.parseInt(m.group(1)));
    }

    private static void awaitLine(Chromium.Page page, String regex) {
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> page.texts("#messages li").stream().anyMatch(l -> l.matches(regex)));
    }

    private static void awaitStatus(Chromium.Page page, String status) {
        await().atMost(WAIT).ignoreExceptions().until(() -> status.equals(page.text("#status")));
    }

    @Test
    void twoBrowsersAndAnMcClientInOneChannelSeeEachOther() throws Exception {
        Bridge b = bridge("0", "0", "0", "0");
        Launched dave = start("mc_client", "127.0.0.1", Integer.toString(b.post()), Integer.toString(b.pub()), "dev", "dave");
        dave.awaitErr("-- no earlier messages; new messages follow --", Launched.WAIT);
        Chromium.Page alice = chromium.open(b.page("alice", "dev"));
        Chromium.Page bob = chromium.open(b.page("bob", "dev"));
        awaitStatus(alice, "connected");
        awaitStatus(bob, "connected");

        alice.type("#text", "hello from alice");
        awaitLine(bob, "alice: hello from alice" + TIME);
        awaitLine(alice, "alice: hello from alice" + TIME);
        dave.awaitOut("alice: hello from alice " + Launched.TIME, Launched.SOON);

        dave.type("hi browsers");
        awaitLine(alice, "dave: hi browsers" + TIME);
        awaitLine(bob, "dave: hi browsers" + TIME);

        bob.type("#text", "bob here");
        awaitLine(alice, "bob: bob here" + TIME);
        dave.awaitOut("bob: bob here " + Launched.TIME, Launched.SOON);
        // Each line once, in the order posted.
        assertEquals(List.of("alice: hello from alice", "dave: hi browsers", "bob: bob here"),
                alice.texts("#messages li").stream().map(l -> l.replaceAll(TIME + "$", "")).toList());

        // Who is here: the page and mc_client say so every 5 s, to one list.
        await().atMost(WAIT).ignoreExceptions().until(() -> alice.texts("#who li").equals(List.of("alice", "bob", "dave")));
        alice.screenshot(SHOTS.resolve("web.png"));
    }

    @Test
    void aMessageThatLooksLikeMarkupIsShownAsText() throws Exception {
        Bridge b = bridge("0", "0", "0", "0");
        Chromium.Page alice = chromium.open(b.page("alice", "dev"));
        Chromium.Page bob = chromium.open(b.page("bob", "dev"));
        awaitStatus(alice, "connected");
        awaitStatus(bob, "connected");
        String markup = "<img src=x onerror=alert(1)>";
        alice.type("#text", markup);
        awaitLine(bob, Pattern.quote("alice: " + markup) + TIME);
        assertEquals(0, bob.script("return document.querySelectorAll('#messages img, #messages script').length;").asInt());
        assertTrue(bob.alert().isEmpty(), "an alert ran");
        assertTrue(alice.alert().isEmpty(), "an alert ran");
        bob.screenshot(SHOTS.resolve("browser-markup-as-text.png"));
    }

    @Test
    void aPageJoinsByItsFormAndAllShowsEveryChannelReadOnlyAndAPageSwitchesChannels() throws Exception {
        Bridge b = bridge("0", "0", "0", "0");
        // The watcher picks a name and a channel on the page; alice comes by a link.
        Chromium.Page watcher = chromium.open("http://127.0.0.1:" + b.web() + "/");
        watcher.fill("#name", "watcher");
        watcher.type("#channel", "ALL");
        Chromium.Page alice = chromium.open(b.page("alice", "dev"));
        awaitStatus(watcher, "connected");
        awaitStatus(alice, "connected");
        assertTrue(watcher.script("return document.getElementById('text').disabled;").asBoolean(), "ALL is read-only");

        alice.type("#text", "in dev");
        awaitLine(watcher, "\\[dev\\] alice: in dev" + TIME);
        alice.type("#switch-channel", "ops");
        await().atMost(WAIT).ignoreExceptions().until(() -> "alice in ops".equals(alice.text("#where")));
        alice.type("#text", "in ops");
        awaitLine(watcher, "\\[ops\\] alice: in ops" + TIME);
        awaitLine(alice, "alice: in ops" + TIME);
        assertTrue(alice.texts("#messages li").stream().noneMatch(l -> l.contains("in dev")), "ops shows ops only");
        assertTrue(alice.script("return location.search;").asText().contains("channel=ops"), "the address is a link to ops");
        watcher.screenshot(SHOTS.resolve("browser-all.png"));
    }

    @Test
    void aServerRestartShowsReconnectingThenTheMessagesMissedAndWhatWasTypedMeanwhile() throws Exception {
        String[] ports = {Integer.toString(ZmqLaunchersIT.freePort()), Integer.toString(ZmqLaunchersIT.freePort()),
                Integer.toString(ZmqLaunchersIT.freePort()), Integer.toString(ZmqLaunchersIT.freePort())};
        Bridge first = bridge(ports);
        Chromium.Page alice = chromium.open(first.page("alice", "general"));
        awaitStatus(alice, "connected");
        alice.type("#text", "before the restart");
        awaitLine(alice, "alice: before the restart" + TIME);

        first.process().terminate();
        assertEquals(0, first.process().exitCode(Launched.WAIT));
        awaitStatus(alice, "reconnecting...");
        alice.type("#text", "typed while away");
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> alice.texts("#pending li").equals(List.of("sending: typed while away")));

        // A new server on the same ports, with an empty log (a new epoch), and a post the page missed.
        Bridge second = bridge(ports);
        Launched post = start("post_client", "127.0.0.1", ports[0], "zoe", "while alice was away");
        assertEquals(0, post.exitCode(Launched.WAIT), post.err().toString());
        awaitStatus(alice, "reconnected");
        awaitLine(alice, "zoe: while alice was away" + TIME);
        awaitLine(alice, "alice: typed while away" + TIME);
        await().atMost(WAIT).ignoreExceptions().until(() -> alice.texts("#pending li").isEmpty());
        // Each once: what the page showed before, what it missed, and what it sent once back.
        List<String> lines = alice.texts("#messages li").stream().filter(l -> !l.startsWith("--"))
                .map(l -> l.replaceAll(TIME + "$", "")).sorted().toList();
        assertEquals(List.of("alice: before the restart", "alice: typed while away", "zoe: while alice was away"), lines);
        alice.screenshot(SHOTS.resolve("browser-after-restart.png"));
        second.process().terminate();
        assertEquals(0, second.process().exitCode(Launched.WAIT));
    }
}
