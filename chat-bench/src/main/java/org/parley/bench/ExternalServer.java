package org.parley.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server process the benchmark starts on a loopback port and always stops: redis-server,
 * nats-server, the server of the connection benchmark, or a server of this jar in a JVM of its
 * own ({@link #startJava}). Its CPU time is read from /proc to the nanosecond ({@link TaskClock}).
 *
 * <p>Thread safety: start and close from one thread; a daemon thread drains the output;
 * {@link #cpuSeconds} may be called from any thread.
 */
final class ExternalServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExternalServer.class);
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/sbin");
    /** The heap limit of every server this jar runs in a JVM of its own. */
    static final String SERVER_HEAP = "-Xmx512m";

    private final String name;
    private final Process process;
    private final int port;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final TaskClock cpu;

    private ExternalServer(String name, Process process, int port) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.cpu = new TaskClock(process.pid());
        Thread drain = new Thread(this::drain, "parley-bench-drain-" + name);
        drain.setDaemon(true);
        drain.start();
    }

    /** Starts {@code command} and waits until {@code port} on 127.0.0.1 accepts connections. */
    static ExternalServer start(String name, List<String> command, int port, long timeoutMillis) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        ExternalServer server = new ExternalServer(name, p, port);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            if (!p.isAlive()) {
                String out = server.output();
                throw new IOException(name + " exited with status " + p.exitValue() + " before listening"
                        + (out.isEmpty() ? "" : ": " + out));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return server;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    server.close();
                    throw new IOException(name + " did not listen on port " + port + " within " + timeoutMillis + " ms");
                }
                LockSupport.parkNanos(20_000_000);
            }
        }
    }

    /**
     * Starts {@code main} of this jar in a JVM of its own ({@link #javaCommand}) and waits until
     * {@code port} accepts connections; the server ends with the benchmark ({@link ServerControl}).
     */
    static ExternalServer startJava(String name, Class<?> main, List<String> args, int port, long timeoutMillis)
            throws IOException {
        return start(name, javaCommand(main, args), port, timeoutMillis);
    }

    /**
     * A command that runs {@code main} with {@code args} in a JVM of its own: this JVM's java and
     * class path, and {@link #SERVER_HEAP}. Every server of this jar starts the same way, so
     * figures of two of them differ only by what the servers themselves do.
     */
    static List<String> javaCommand(Class<?> main, List<String> args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, SERVER_HEAP, "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(args);
        return command;
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The executable named {@code binary} on the PATH or in the usual system directories. */
    static Optional<Path> find(String binary) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
        }
        dirs.addAll(EXTRA_DIRS);
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, binary);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Each binary's version line, asked once per run: the registry of systems is built more than once. */
    private static final Map<Path, String> VERSIONS = new ConcurrentHashMap<>();

    /** The first line {@code binary --version} prints, or "" if it prints nothing in 5 s. */
    static String version(Path binary) {
        return VERSIONS.computeIfAbsent(binary, b -> {
            String out = output(List.of(b.toString(), "--version"), 5);
            return out == null || out.isBlank() ? "" : out.lines().findFirst().orElse("").trim();
        });
    }

    /**
     * What {@code command} prints (standard output and error) if it exits with 0 within
     * {@code seconds}; else null, the process killed. The output goes to a file, not a pipe,
     * so a command that hangs with its output open cannot hold the caller past the limit.
     */
    static String output(List<String> command, long seconds) {
        Path file = null;
        try {
            file = Files.createTempFile("parley-bench-", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(file.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? Files.readString(file, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            log.debug("{} failed", command, e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    log.debug("cannot delete {}", file, e);
                }
            }
        }
    }

    long pid() {
        return process.pid();
    }

    int port() {
        return port;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** CPU seconds the server has used so far, to the nanosecond where /proc tells ({@link TaskClock}). */
    double cpuSeconds() {
        return cpu.seconds();
    }

    /** The last lines the server printed, for error messages. */
    synchronized String output() {
        return String.join(" | ", lastLines);
    }

    private void drain() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                log.debug("{}: {}", name, line);
                synchronized (this) {
                    lastLines.addLast(line);
                    if (lastLines.size() > 5) {
                        lastLines.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            log.debug("{} output closed", name, e);
        }
    }

    /** SIGTERM, then SIGKILL after 5 s. Idempotent. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                log.warn("{} ignored SIGTERM for 5 s; killing it", name);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
