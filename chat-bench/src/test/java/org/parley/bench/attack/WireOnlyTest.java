package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The suite speaks the wire only: while the servers change, nothing of Parley's own code may creep in. */
@Timeout(10)
class WireOnlyTest {
    @Test
    void theAttackPackageImportsNothingOfParleyButItself() throws IOException {
        Path dir = Path.of("src", "main", "java", "org", "parley", "bench", "attack");
        assertTrue(Files.isDirectory(dir), dir.toAbsolutePath() + " missing: run from the chat-bench module");
        List<String> offending;
        try (Stream<Path> files = Files.list(dir)) {
            offending = files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream()
                            .filter(l -> l.startsWith("import org.parley.") || l.startsWith("import static org.parley."))
                            .filter(l -> !l.contains("org.parley.bench.attack."))
                            .map(l -> f.getFileName() + ": " + l);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertEquals(List.of(), offending);
    }
}
