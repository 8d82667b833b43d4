package org.parley.zmq;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link ZmqChatServer} in a JVM of its own with a small heap ({@value #HEAP}): an attack
 * on memory then shows as an {@link OutOfMemoryError} in that JVM, never in the test's.
 *
 * <p>The child prints {@code ports <post> <pub>} once bound, {@code uncaught <thread> <error>}
 * for any error that ends one of its threads, and stops when its standard input ends.
 *
 * <p>Thread safety: one test thread at a time.
 */
public final class ChildServer implements AutoCloseable {
    static final String HEAP = "-Xmx64m";
    private static final Duration START = Duration.ofSeconds(15);

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = new ArrayList<>();
    final int postPort;
    final int pubPort;

    private ChildServer(List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(HEAP);
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ChildServer.class.getName());
        command.addAll(options);
        process = new ProcessBuilder(command).start();
        collect(process.getInputStream(), "");
        collect(process.getErrorStream(), "stderr: ");
        String ports = nextLine(l -> l.startsWith("ports "), "starting with \"ports \"", START);
        String[] p = ports.split(" ");
        postPort = Integer.parseInt(p[1]);
        pubPort = Integer.parseInt(p[2]);
    }

    /** Starts a child server with the given server options, each {@code name=value}. */
    static ChildServer start(String... options) throws IOException, InterruptedException {
        return new ChildServer(List.of(options));
    }

    private void collect(InputStream stream, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(prefix + line);
                }
            } catch (IOException e) {
                lines.add(prefix + "(unreadable: " + e.getMessage() + ")");
            }
        }, "child-server-reader");
        t.setDaemon(true);
        t.start();
    }

    private String nextLine(Predicate<String> wanted, String what, Duration timeout) throws InterruptedException {
        synchronized (all) {
            for (String line : all) {
                if (wanted.test(line)) {
                    return line;
                }
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        String line;
        while ((line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null) {
            synchronized (all) {
                all.add(line);
            }
            if (wanted.test(line)) {
                return line;
            }
        }
        throw new AssertionError("the child server printed no line " + what + " within "
                + timeout + "; it printed " + output());
    }

    /** The first line the child printed (standard error lines start with {@code stderr: }) that contains {@code part}. */
    String awaitLine(String part, Duration timeout) throws InterruptedException {
        return nextLine(l -> l.contains(part), "containing \"" + part + "\"", timeout);
    }

    /** Everything the child printed so far. */
    List<String> output() {
        lines.drainTo(all);
        synchronized (all) {
            return List.copyOf(all);
        }
    }

    /** The child's reports of errors that ended one of its threads (such as OutOfMemoryError). */
    List<String> uncaught() {
        return output().stream().filter(l -> l.startsWith("uncaught ")).toList();
    }

    /** Ends the child's standard input, which stops it, and waits for it; kills it if it does not stop. */
    @Override
    public void close() throws IOException, InterruptedException {
        process.getOutputStream().close();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** The child: starts a server on ephemeral ports, reports them, serves until standard input ends. */
    public static void main(String[] args) throws IOException {
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            System.out.println("uncaught " + thread.getName() + " " + error);
            System.out.flush();
        });
        ZmqServerOptions.Builder options = ZmqServerOptions.builder().postPort(0).pubPort(0);
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            apply(options, kv[0], Integer.parseInt(kv[1]));
        }
        try (ZmqChatServer server = ZmqChatServer.start(options.build())) {
            System.out.println("ports " + server.postPort() + " " + server.pubPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent ends our input
            }
        }
        System.exit(0); // JeroMQ's threads are not daemons
    }

    private static void apply(ZmqServerOptions.Builder options, String name, int value) {
        switch (name) {
            case "maxIncomingBytes" -> options.maxIncomingBytes(value);
            case "maxIncomingFrames" -> options.maxIncomingFrames(value);
            case "maxIncomingBufferedBytes" -> options.maxIncomingBufferedBytes(value);
            case "maxSubscriptionsPerPeer" -> options.maxSubscriptionsPerPeer(value);
            case "maxSubscriptionBytes" -> options.maxSubscriptionBytes(value);
            default -> throw new IllegalArgumentException("unknown option " + name);
        }
    }
}
