package org.parley.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatClient;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.core.testing.RecordingListener;

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
            // The bot reads the channel in order: a reply to anything above would come before
            // its answer to this.
            alice.post("general", "!help").join();
            assertEquals("!help", seen.next().text());
            assertEquals(EchoBot.HELP, seen.next().text());
        }
    }

    @Test
    void botNeverAnswersItself() throws Exception {
        try (ChatClient botClient = hub.connect("timebot");
             EchoBot bot = EchoBot.start(botClient, "general", clock);
             ChatClient alice = hub.connect("alice")) {
            RecordingListener seen = new RecordingListener();
            alice.subscribe("general", seen);
            botClient.post("general", "!help").join();
            alice.post("general", "!time").join();
            // The bot handles messages in order and posts each answer before reading on: had it
            // answered its own !help, that answer would come before its answer to alice.
            assertEquals(List.of("timebot: !help", "alice: !time", "timebot: the time is 2026-11-21 22:50:51 UTC"),
                    seen.next(3).stream().map(m -> m.user() + ": " + m.text()).toList());
            assertEquals(3, hub.lastSeq("general"));
            assertEquals("the time is 2026-11-21 22:50:51 UTC", bot.answer(" !time "));
            assertNull(bot.answer("hello"));
        }
    }
}
