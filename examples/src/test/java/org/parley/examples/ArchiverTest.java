package org.parley.examples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatClient;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;

class ArchiverTest {
    @TempDir
    Path dir;

    @Test
    void archiverAppendsEveryChannelAsJsonLines() throws Exception {
        Path file = dir.resolve("chat.jsonl");
        try (ChatHub hub = ChatHub.create();
             ChatClient archive = hub.connect("archiver");
             Archiver archiver = Archiver.start(archive, file);
             ChatClient alice = hub.connect("alice")) {
            alice.post("general", "hello").join();
            alice.post("dev", "say \"hi\"\nnewline").join();
            await().atMost(Duration.ofSeconds(5)).until(() -> archiver.written() == 2);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).startsWith("{\"channel\":\"general\",\"seq\":1,\"user\":\"alice\",\"time\":\""),
                lines.get(0));
        assertTrue(lines.get(1).startsWith("{\"channel\":\"dev\",\"seq\":1,"), lines.get(1));
        assertTrue(lines.get(1).endsWith(",\"text\":\"say \\\"hi\\\"\\nnewline\"}"), lines.get(1));
    }

    @Test
    void lineHasThePublicationForm() {
        ChatMessage m = new ChatMessage("general", 17, "kyle", Instant.parse("2026-11-21T22:50:51.123Z"), "hello");
        assertEquals("{\"channel\":\"general\",\"seq\":17,\"user\":\"kyle\",\"time\":\"2026-11-21T22:50:51.123Z\","
                + "\"text\":\"hello\"}", Archiver.line(m));
    }

    @Test
    void archiverAppendsToAnExistingFile() throws Exception {
        Path file = dir.resolve("chat.jsonl");
        Files.writeString(file, "{\"old\":true}\n");
        try (ChatHub hub = ChatHub.create();
             ChatClient archive = hub.connect("archiver");
             Archiver archiver = Archiver.start(archive, file)) {
            hub.post("general", "bob", "new", null, null);
            await().atMost(Duration.ofSeconds(5)).until(() -> archiver.written() == 1);
        }
        assertEquals(2, Files.readAllLines(file).size());
    }
}
