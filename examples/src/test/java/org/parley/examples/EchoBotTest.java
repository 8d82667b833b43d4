package org.parley.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatClient;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.RecordingListener;

class EchoBotTest {
    private final ChatHub hub = ChatHub.create();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-21T22:50:51Z"), ZoneOffset.UTC);

    @AfterEach
    void close() {
        hub.close();
    }

    @Test
    void botAnswersTimeAndHelpInItsChannel() throws Exception {
        try (ChatClient botClient = hub.connect("timebot");
             EchoBot bot = EchoBot.start(botClient, "general", clock);
             ChatClient alice = hub.connect("alice")) {
            RecordingListener seen = new RecordingListener();
            alice.subscribe("general", seen);
            alice.post("general", "!time").join();
            assertEquals("!time", seen.next().text());
            ChatMessage reply = seen.next();
            assertEquals("timebot", reply.user());
            assertEquals("the time is 2026-11-21 22:50:51 UTC", reply.text());

            alice.post("general", "!help").join();
            seen.next();
            assertEquals(EchoBot.HELP, seen.next().text());
        }
    }

    @Test
    void botIgnoresOrdinaryTextAndOtherChannels() throws Exception {
        try (ChatClient botClient = hub.connect("timebot");
             EchoBot bot = EchoBot.start(botClient, "general", clock);
             ChatClient alice = hub.connect("alice")) {
            RecordingListener seen = new RecordingListener();
            alice.subscribe("ALL", seen);
            alice.post("general", "what time is it?").join();
            alice.post("dev", "!time").join();
            alice.post("general", "marker").join();
            assertEquals("what time is it?", seen.next().text());
            assertEquals("!time", seen.next().text());
            assertEquals("marker", seen.next().text());
            assertNull(seen.poll(Duration.ofMillis(300)), "the bot said nothing");
        }
    }

    @Test
    void botNeverAnswersItself() {
        try (ChatClient botClient = hub.connect("timebot");
             EchoBot bot = EchoBot.start(botClient, "general", clock)) {
            botClient.post("general", "!help").join();
            // Its own !help must not trigger a reply; the channel holds exactly one message.
            assertEquals(1, hub.log().lastSeq("general"));
            assertEquals("the time is 2026-11-21 22:50:51 UTC", bot.answer(" !time "));
            assertNull(bot.answer("hello"));
        }
    }
}
