package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/bench} and {@code bin/attack} answer --help and -h at once, measuring and attacking nothing. */
class HelpIT {
    private static final Path HOME = Path.of(System.getProperty("parley.home", "..")).toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void benchAndAttackPrintTheirHelpOnStandardOutputAndExitZero() throws Exception {
        for (String jar : List.of("chat-bench/target/parley-bench.jar", "chat-apps/target/parley.jar")) {
            // The scripts build a missing jar first: that is no test of --help.
            assertTrue(Files.isRegularFile(HOME.resolve(jar)), HOME.resolve(jar) + " missing: run mvn -B verify");
        }
        List<List<String>> cases = List.of(
                List.of("bench", "--help"),
                List.of("bench", "--quick", "-h"),
                List.of("attack", "--help"),
                List.of("attack", "--seconds", "1", "-h"));
        List<Process> runs = new ArrayList<>();
        try {
            for (int i = 0; i < cases.size(); i++) {
                List<String> argv = new ArrayList<>(cases.get(i));
                argv.set(0, HOME.resolve("bin").resolve(argv.get(0)).toString());
                runs.add(new ProcessBuilder(argv).directory(HOME.toFile())
                        .redirectOutput(dir.resolve(i + ".out").toFile())
                        .redirectError(dir.resolve(i + ".err").toFile()).start());
            }
            for (int i = 0; i < cases.size(); i++) {
                Process p = runs.get(i);
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), cases.get(i) + " still running: it measures or attacks");
                String err = Files.readString(dir.resolve(i + ".err"), StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), cases.get(i) + ": " + err);
                assertEquals("", err, cases.get(i).toString());
                List<String> out = Files.readAllLines(dir.resolve(i + ".out"), StandardCharsets.UTF_8);
                String usage = cases.get(i).get(0).equals("bench") ? BenchMain.USAGE : "usage: attack [--only ";
                assertTrue(out.get(0).startsWith(usage), cases.get(i) + ": " + out);
                assertTrue(out.stream().anyMatch(l -> l.startsWith("  -h, --help ")), cases.get(i) + ": " + out);
            }
        } finally {
            runs.forEach(Process::destroyForcibly);
        }
    }
}
