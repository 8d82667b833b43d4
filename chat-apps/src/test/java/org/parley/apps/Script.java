package org.parley.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A command run as a user would run it (a script of {@code bin/}, or any program), with piped
 * standard input and its output lines recorded. Closing it kills the process if it still runs.
 */
final class Script implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("parley.home", "..")).toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(20); // JVM start-up on a busy machine

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> out = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> err = new LinkedBlockingQueue<>();
    private final List<String> allErr = new ArrayList<>();

    private Script(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(HOME.toFile());
        pb.environment().put("PARLEY_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -Xshare:auto");
        process = pb.start();
        stdin = process.getOutputStream();
        pump(process.getInputStream(), out, "stdout");
        pump(process.getErrorStream(), err, "stderr");
    }

    /** Runs {@code bin/<name> <args...>}. */
    static Script bin(String name, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(HOME.resolve("bin").resolve(name).toString());
        command.addAll(List.of(args));
        return new Script(command);
    }

    /** Runs any program, from the project's root. */
    static Script program(String... command) throws IOException {
        return new Script(List.of(command));
    }

    Script type(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        return this;
    }

    /** End of input. */
    Script endInput() throws IOException {
        stdin.close();
        return this;
    }

    /** Waits for a standard output line equal to {@code line}, skipping others. */
    String awaitOut(String line) throws InterruptedException {
        return await(out, line, true, "stdout");
    }

    /**
     * Types {@code probe from <pid> #N} lines every half second until {@code reader} prints one as
     * {@code topic:probe from <pid> #N}. The protocol has no acknowledgement of a registration, so this
     * is how a test knows that both ends are registered: the server forwards only from and to
     * registered connections.
     */
    void handshake(Script reader, String topic) throws Exception {
        for (int i = 0; i < 40; i++) {
            String probe = "probe from " + process.pid() + " #";
            type(probe + i);
            String line = reader.out.poll(500, TimeUnit.MILLISECONDS);
            while (line != null) {
                if (line.startsWith(topic + ":" + probe)) {
                    return;
                }
                line = reader.out.poll(100, TimeUnit.MILLISECONDS);
            }
        }
        throw new AssertionError("no probe reached the other side within 20 s; stderr: " + reader.errorLines());
    }

    /** Waits for a standard error line containing {@code part}, skipping others. */
    String awaitErr(String part) throws InterruptedException {
        return await(err, part, false, "stderr");
    }

    /** Every standard output line received so far, and those to come until the process ends. */
    List<String> remainingOut() {
        List<String> lines = new ArrayList<>();
        out.drainTo(lines);
        return lines;
    }

    List<String> errorLines() {
        synchronized (allErr) {
            return List.copyOf(allErr);
        }
    }

    /** The exit code, failing if the process does not end within {@code timeout}. */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + "; stderr: " + errorLines());
        }
        return process.exitValue();
    }

    int exitCode() throws InterruptedException {
        return exitCode(WAIT);
    }

    /** SIGTERM. */
    void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private String await(BlockingQueue<String> queue, String wanted, boolean exact, String name)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> seen = new ArrayList<>();
        while (true) {
            String line = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("no " + name + " line " + (exact ? "" : "containing ") + "\"" + wanted
                        + "\" within " + WAIT + "; saw " + seen + "; stderr: " + errorLines());
            }
            seen.add(line);
            if (exact ? line.equals(wanted) : line.contains(wanted)) {
                return line;
            }
        }
    }

    private void pump(InputStream stream, BlockingQueue<String> queue, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (queue == err) {
                        synchronized (allErr) {
                            allErr.add(line);
                        }
                    }
                    queue.add(line);
                }
            } catch (IOException e) {
                queue.add("(" + name + " failed: " + e + ")");
            }
        }, "test-" + name + "-" + process.pid());
        t.setDaemon(true);
        t.start();
    }
}
