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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command run as a process, as a user would run it (a script of {@code bin/}, or any
 * program): standard input piped, standard output and error collected line by line. Tests
 * wait on lines with a time limit; closing kills the process if it still runs.
 *
 * <p>Two ways to wait: {@code await*} finds the first line ever printed that matches (the
 * lines stay), {@code next*} consumes lines in order up to the one wanted, so waiting twice
 * for the same text waits for a second such line.
 */
final class Launched implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("parley.home", "..")).toAbsolutePath().normalize();
    /** How long the {@code next*} waits and {@link #exitCode()} allow: JVM start-up on a busy machine. */
    static final Duration WAIT = Duration.ofSeconds(20);
    /** How long a line that should follow at once may take (a message on a running chat). */
    static final Duration SOON = Duration.ofSeconds(10);
    /** The {@code (HH:mm:ss)} that ends a printed chat line, as a pattern. */
    static final String TIME = "\\(\\d\\d:\\d\\d:\\d\\d\\)";

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final Stream out;
    private final Stream err;

    private Launched(String name, List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(HOME.toFile());
        pb.environment().put("TZ", "UTC");
        pb.environment().put("PARLEY_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -Xshare:auto");
        this.name = name;
        this.process = pb.start();
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.out = new Stream("stdout");
        this.err = new Stream("stderr");
        out.collect(process.getInputStream());
        err.collect(process.getErrorStream());
    }

    /** Runs {@code bin/<command> <args...>}. */
    static Launched start(String command, String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(HOME.resolve("bin").resolve(command).toString());
        argv.addAll(List.of(args));
        return new Launched(command, argv);
    }

    /** Runs any program, from the project's root. */
    static Launched program(String... command) throws IOException {
        return new Launched(command[0], List.of(command));
    }

    /** Writes one line to the process's standard input. */
    Launched type(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
        return this;
    }

    /** Closes standard input: end of input for an interactive client. */
    Launched endInput() throws IOException {
        stdin.close();
        return this;
    }

    /** The first standard-output line matching {@code regex}, waiting up to {@code timeout}. */
    String awaitOut(String regex, Duration timeout) throws InterruptedException {
        return out.await(regex, timeout);
    }

    /** The first standard-error line matching {@code regex}, waiting up to {@code timeout}. */
    String awaitErr(String regex, Duration timeout) throws InterruptedException {
        return err.await(regex, timeout);
    }

    /** Waits until {@code count} standard-error lines match {@code regex}; returns them. */
    List<String> awaitErrAll(String regex, int count, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        return err.require(err.waitFor(lines -> {
            List<String> matching = lines.stream().filter(l -> p.matcher(l).matches()).toList();
            return matching.size() >= count ? matching : null;
        }, timeout), timeout, "at least " + count + " lines matching " + regex);
    }

    /** The first match of {@code regex} (group 1) on standard error. */
    String errGroup(String regex, Duration timeout) throws InterruptedException {
        Matcher m = Pattern.compile(regex).matcher(awaitErr(".*" + regex + ".*", timeout));
        if (!m.find()) {
            throw new AssertionError("no match");
        }
        return m.group(1);
    }

    /** Consumes standard-output lines up to one equal to {@code line}. */
    String nextOut(String line) throws InterruptedException {
        return out.next(line::equals, "\"" + line + "\"");
    }

    /** Consumes standard-error lines up to one containing {@code part}. */
    String nextErrContaining(String part) throws InterruptedException {
        return err.next(l -> l.contains(part), "containing \"" + part + "\"");
    }

    /** The standard-output lines not consumed yet; consumes them. */
    List<String> remainingOut() {
        return out.drain();
    }

    /**
     * Types {@code probe from <pid> #N} lines until {@code reader} prints one as
     * {@code topic:probe from <pid> #N}. The TCP protocol has no acknowledgement of a
     * registration, so this is how a test knows both ends are registered: the server forwards
     * only from and to registered connections.
     */
    void handshake(Launched reader, String topic) throws Exception {
        String probe = "probe from " + process.pid() + " #";
        probeUntilPrinted(i -> type(probe + i), Pattern.quote(topic + ":" + probe) + "\\d+", reader);
    }

    /** Sends one probe, the {@code i}th. */
    @FunctionalInterface
    interface Probe {
        void send(int i) throws Exception;
    }

    /**
     * Sends probes, one every 300 ms at most, until each of {@code readers} printed a line
     * matching {@code regex}: subscriptions and registrations have no acknowledgement, so a
     * probe heard is how a test knows a reader is live. Fails after 60 probes per reader.
     */
    static void probeUntilPrinted(Probe send, String regex, Launched... readers) throws Exception {
        int i = 0;
        for (Launched reader : readers) {
            for (int tries = 0; ; tries++) {
                send.send(i++);
                if (reader.out.find(regex, Duration.ofMillis(300)) != null) {
                    break;
                }
                if (tries == 60) {
                    throw new AssertionError(reader.name + " printed no line matching " + regex
                            + "; stdout " + reader.out() + ", stderr " + reader.err());
                }
            }
        }
    }

    /** The port numbers ({@code :1234}) in the first standard-error line matching {@code regex}. */
    List<Integer> ports(String regex, Duration timeout) throws InterruptedException {
        Matcher m = Pattern.compile(":(\\d+)").matcher(awaitErr(regex, timeout));
        List<Integer> ports = new ArrayList<>();
        while (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
        }
        return ports;
    }

    /**
     * Waits until both output streams have ended (the process exited, or closed them) and every
     * line was collected; then {@link #out()} and {@link #err()} are all it will ever print.
     */
    void awaitOutputEnd(Duration timeout) throws InterruptedException {
        out.require(out.waitFor(lines -> out.ended ? lines : null, timeout), timeout, "end of output");
        err.require(err.waitFor(lines -> err.ended ? lines : null, timeout), timeout, "end of output");
    }

    List<String> out() {
        return out.all();
    }

    List<String> err() {
        return err.all();
    }

    /** Waits for the exit code; fails if the process is still running after {@code timeout}. */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still running after " + timeout + "; stderr " + err());
        }
        return process.exitValue();
    }

    int exitCode() throws InterruptedException {
        return exitCode(WAIT);
    }

    /** Sends SIGKILL, as {@code kill -9} does, and waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " still running 10 s after SIGKILL");
        }
    }

    /** Sends SIGTERM. */
    void terminate() {
        process.destroy();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The lines of one output stream. */
    private final class Stream {
        private final String label;
        private final List<String> lines = new ArrayList<>(); // guarded by itself
        private int consumed; // guarded by lines
        private boolean ended; // guarded by lines

        Stream(String label) {
            this.label = label;
        }

        void collect(InputStream stream) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        add(line);
                    }
                } catch (IOException e) {
                    // The process ended and its pipe was closed: what it wrote is collected.
                } finally {
                    end();
                }
            }, "test-" + name + "-" + label);
            t.setDaemon(true);
            t.start();
        }

        private void add(String line) {
            synchronized (lines) {
                lines.add(line);
                lines.notifyAll();
            }
        }

        private void end() {
            synchronized (lines) {
                ended = true;
                lines.notifyAll();
            }
        }

        List<String> all() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        List<String> drain() {
            synchronized (lines) {
                List<String> rest = List.copyOf(lines.subList(consumed, lines.size()));
                consumed = lines.size();
                return rest;
            }
        }

        String await(String regex, Duration timeout) throws InterruptedException {
            return require(find(regex, timeout), timeout, "line matching " + regex);
        }

        <T> T require(T found, Duration timeout, String what) {
            if (found == null) {
                throw new AssertionError(name + ": no " + label + " " + what + " within " + timeout
                        + "; stdout " + out() + ", stderr " + err());
            }
            return found;
        }

        /** The first line ever printed that matches {@code regex}, waiting up to {@code timeout}; else null. */
        String find(String regex, Duration timeout) throws InterruptedException {
            Pattern p = Pattern.compile(regex);
            return waitFor(all -> all.stream().filter(l -> p.matcher(l).matches()).findFirst().orElse(null), timeout);
        }

        String next(Predicate<String> wanted, String what) throws InterruptedException {
            return require(poll(wanted, WAIT), WAIT, "line " + what);
        }

        /** Consumes lines up to the first {@code wanted} one; null (nothing consumed past it) on timeout. */
        String poll(Predicate<String> wanted, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lines) {
                while (true) {
                    while (consumed < lines.size()) {
                        String line = lines.get(consumed++);
                        if (wanted.test(line)) {
                            return line;
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lines, left);
                }
            }
        }

        /** What {@code check} finds in the lines, waiting up to {@code timeout} for it; else null. */
        <T> T waitFor(java.util.function.Function<List<String>, T> check, Duration timeout)
                throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lines) {
                while (true) {
                    T found = check.apply(lines);
                    if (found != null) {
                        return found;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lines, left);
                }
            }
        }
    }
}
