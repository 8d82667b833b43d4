package org.parley.core;

import org.parley.core.internal.Names;

import org.parley.core.testing.RecordingListener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What one peer can do to a hub by posting (issue "No peer can stop a server"), at test scale. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HubUnderAttackTest {
    @Test
    void oneByteToEachOfAThousandNewChannelsDoesNotUseUpTheChannelLimit() throws Exception {
        try (ChatHub hub = ChatHub.create()) {
            for (int i = 0; i < HubOptions.DEFAULT_MAX_CHANNELS; i++) {
                hub.post("junk-" + i, "mallory", "x", null, null);
            }
            // A new channel is still possible for ever after: the oldest junk is forgotten to make room.
            assertEquals(1, hub.post("general", "alice", "hello", null, null).seq());
            for (int i = 0; i < 10; i++) {
                hub.post("more-junk-" + i, "mallory", "x", null, null);
            }
            assertEquals(2, hub.post("general", "alice", "still here", null, null).seq());
        }
    }

    @Test
    void aFollowerOfAChannelMissesNothingWhileJunkChannelsPushItsHistoryOut() throws Exception {
        try (ChatHub hub = ChatHub.create(HubOptions.builder().maxChannels(8).build());
             ChatClient bob = hub.connect("bob")) {
            RecordingListener heard = new RecordingListener();
            bob.subscribe("dev", heard);
            for (int round = 0; round < 50; round++) {
                hub.post("dev", "alice", "dev " + round, null, null);
                for (int i = 0; i < 20; i++) {
                    hub.post("junk-" + round + "-" + i, "mallory", "x", null, null);
                }
            }
            // dev was forgotten and made again many times; its numbering went on each time.
            List<ChatMessage> got = heard.next(50);
            for (int i = 0; i < got.size(); i++) {
                assertEquals("dev " + i, got.get(i).text());
                assertEquals(i + 1, got.get(i).seq());
            }
        }
    }

    @Test
    void bigTextsSpreadOverManyChannelsStayWithinTheLogsBytes() throws Exception {
        long budget = 4L * 1024 * 1024;
        HubOptions options = HubOptions.builder().maxLogBytes(budget).build();
        MessageLog log = MessageLog.of(options);
        try (ChatHub hub = ChatHub.create(options, log)) {
            String big = "y".repeat(16 * 1024 - 1);
            for (int i = 0; i < 3000; i++) { // 48 MB of text on the wire, over 1,000 channels
                hub.post("ch-" + (i % 1000), "mallory", big, null, null);
                if (log.bytes() > budget) {
                    throw new AssertionError("log holds " + log.bytes() + " bytes after post " + i);
                }
            }
            ChatMessage good = hub.post("general", "alice", "hello", null, null);
            assertEquals(List.of(good), hub.history("general", 0, 10).messages());
            assertEquals(good, hub.recent(Names.ALL, 1).messages().get(0));
        }
    }

    @Test
    void historyOfAllWithAFullLogIsTheNewestInArrivalOrder() throws Exception {
        try (ChatHub hub = ChatHub.create()) {
            for (int round = 0; round < 20; round++) {
                for (int c = 0; c < 1000; c++) {
                    hub.post("ch-" + c, "kyle", round + "/" + c, null, null);
                }
            }
            List<ChatMessage> last = hub.recent(Names.ALL, 1000).messages();
            assertEquals(1000, last.size());
            assertEquals("19/0", last.get(0).text());
            assertEquals("19/999", last.get(999).text());
        }
    }

    @Test
    void aTimeNoClientCanShowIsRefused() {
        try (ChatHub hub = ChatHub.create()) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> hub.post("general", "mallory", "hi",
                    Instant.parse("+1000000000-12-31T23:59:59.999Z"), null));
            assertTrue(e.getMessage().contains("outside the years 1970 to 9999"), e.getMessage());
        }
    }
}
