package org.parley.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command from {@code bin/} run as a process, as a user would: standard input piped,
 * standard output and error collected line by line. Tests wait on lines with a time limit.
 */
final class Launched implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("parley.home", "..")).toAbsolutePath().normalize();

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final List<String> out = new ArrayList<>(); // guarded by itself
    private final List<String> err = new ArrayList<>(); // guarded by itself

    private Launched(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        collect(process.getInputStream(), out, name + "-out");
        collect(process.getErrorStream(), err, name + "-err");
    }

    static Launched start(String command, String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(HOME.resolve("bin").resolve(command).toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(HOME.toFile());
        pb.environment().put("TZ", "UTC");
        return new Launched(command, pb.start());
    }

    private static void collect(InputStream stream, List<String> into, String threadName) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (into) {
                        into.add(line);
                        into.notifyAll();
                    }
                }
            } catch (IOException e) {
                // The process ended; what it wrote is collected.
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
    }

    /** Writes one line to the process's standard input. */
    void type(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** Closes standard input: end of input for an interactive client. */
    void endInput() throws IOException {
        stdin.close();
    }

    /** The first standard-output line matching {@code regex}, waiting up to {@code timeout}. */
    String awaitOut(String regex, Duration timeout) throws InterruptedException {
        return await(out, regex, timeout, "stdout");
    }

    String awaitErr(String regex, Duration timeout) throws InterruptedException {
        return await(err, regex, timeout, "stderr");
    }

    /** Waits until {@code count} standard-error lines match {@code regex}; returns them. */
    List<String> awaitErrAll(String regex, int count, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (err) {
            while (true) {
                List<String> matching = err.stream().filter(l -> p.matcher(l).matches()).toList();
                if (matching.size() >= count) {
                    return matching;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(name + ": fewer than " + count + " stderr lines matching "
                            + regex + "; stderr " + err);
                }
                TimeUnit.NANOSECONDS.timedWait(err, left);
            }
        }
    }

    /** The first match of {@code regex} (group 1 if any) on standard error. */
    String errGroup(String regex, Duration timeout) throws InterruptedException {
        Matcher m = Pattern.compile(regex).matcher(awaitErr(".*" + regex + ".*", timeout));
        if (!m.find()) {
            throw new AssertionError("no match");
        }
        return m.group(1);
    }

    private String await(List<String> lines, String regex, Duration timeout, String what)
            throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            int seen = 0;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (p.matcher(lines.get(seen)).matches()) {
                        return lines.get(seen);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(name + ": no " + what + " line matching " + regex + " within "
                            + timeout + "; stdout " + out() + ", stderr " + err());
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    List<String> out() {
        synchronized (out) {
            return List.copyOf(out);
        }
    }

    List<String> err() {
        synchronized (err) {
            return List.copyOf(err);
        }
    }

    /** Waits for the exit code; fails if the process is still running after {@code timeout}. */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still running after " + timeout + "; stderr " + err());
        }
        // Let the collectors read what was left in the pipes.
        return process.exitValue();
    }

    /** Sends SIGTERM. */
    void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
