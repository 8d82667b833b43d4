package org.parley.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuickStartTest {
    static final Path SOURCE = Path.of("src/main/java/org/parley/examples/QuickStart.java");
    static final Path LIBRARY_DOC = Path.of("../docs/LIBRARY.md");
    static final String MARKER = "<!-- quick start: the whole of examples/" + SOURCE + " -->";

    @Test
    void quickStartPassesAMessageFromItsClientThroughItsServer() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(out);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("alice: hello, Parley \\(\\d\\d:\\d\\d:\\d\\d\\)"), lines.get(0));
    }

    @Test
    void quickStartIsShortAndTheLibraryDocQuotesItVerbatim() throws Exception {
        String source = Files.readString(SOURCE, StandardCharsets.UTF_8);
        assertTrue(source.lines().count() < 30, "QuickStart.java has " + source.lines().count() + " lines");
        String doc = Files.readString(LIBRARY_DOC, StandardCharsets.UTF_8);
        int marker = doc.indexOf(MARKER);
        assertTrue(marker >= 0, "docs/LIBRARY.md lacks the line " + MARKER);
        int open = doc.indexOf("```java\n", marker);
        int close = doc.indexOf("\n```", open);
        assertTrue(open >= 0 && close > open, "no java code block after the marker");
        assertEquals(source.strip(), doc.substring(open + "```java\n".length(), close).strip());
    }
}
