package org.parley.store.redis.testing;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} for a test, on a free loopback port, in a folder of its own,
 * persisting nothing unless asked: started by {@link #start}, killed by {@link #close}.
 *
 * <p>Where {@code redis-server} is not installed a test that needs it is skipped with one line
 * saying how to install it, except on CI ({@code CI=true}), where it fails: there it must run.
 *
 * <p>Thread safety: one test thread.
 */
public final class RedisProcess implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final boolean appendOnly;
    private Process process;

    private RedisProcess(Path dir, int port, boolean appendOnly) {
        this.dir = dir;
        this.port = port;
        this.appendOnly = appendOnly;
    }

    /** A Redis that keeps nothing on disk: killed and started again, it is empty. */
    public static RedisProcess start(Path dir) throws IOException {
        return start(dir, false);
    }

    /** With {@code appendOnly}, a Redis that writes every command to its AOF and fsyncs it at once. */
    public static RedisProcess start(Path dir, boolean appendOnly) throws IOException {
        String server = executable();
        if (server == null) {
            String line = "redis-server is not installed: apt-get install redis-server";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(line + " (on CI it must be)");
            }
            Assumptions.abort(line);
        }
        RedisProcess r = new RedisProcess(dir, freePort(), appendOnly);
        r.launch();
        return r;
    }

    /** {@code redis-server} on the PATH, or null. */
    public static String executable() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, "redis-server");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    public int port() {
        return port;
    }

    public URI uri() {
        return URI.create("redis://127.0.0.1:" + port);
    }

    /** Kills it ({@code SIGKILL}: nothing saved on the way out) and waits until it is gone. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts it again on the same port and folder, once it answers. */
    public void restart() throws IOException {
        kill();
        launch();
    }

    /** Sends one command (inline) and returns Redis's first line of answer. */
    public String command(String... words) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            StringBuilder cmd = new StringBuilder("*" + words.length + "\r\n");
            for (String w : words) {
                byte[] b = w.getBytes(StandardCharsets.UTF_8);
                cmd.append('$').append(b.length).append("\r\n").append(w).append("\r\n");
            }
            out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != -1 && c != '\n'; ) {
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }
    }

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(executable(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--daemonize", "no",
                "--logfile", dir.resolve("redis.log").toString()));
        if (appendOnly) {
            cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
        } else {
            cmd.addAll(List.of("--appendonly", "no"));
        }
        Files.createDirectories(dir);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile()).start();
        Process p = process;
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
            if (!p.isAlive()) {
                throw new AssertionError("redis-server ended at start: " + Files.readString(dir.resolve("redis.out")));
            }
            return "+PONG".equals(command("PING"));
        });
    }

    @Override
    public void close() {
        kill();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
