package org.parley.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection benchmark: a load generator (this process) registers N topic clients with a
 * server running as a separate process, measures the server's resident memory (/proc VmRSS) and
 * heap (jcmd GC.heap_info after jcmd GC.run) before and after, then times one message fanned out
 * to all N.
 *
 * <p>Any server that speaks PROTOCOL.md's topic mode works: the registration is
 * {@code {"source":{"ip":"127.0.0.1","port":"0"},"topics":["bench"]}}, the fanned-out message a
 * chat message on topic {@code bench} from one more registered client; receivers only count lines.
 *
 * <p>Thread safety: one run at a time, on the calling thread.
 */
final class ConnectionBench {
    private static final Logger log = LoggerFactory.getLogger(ConnectionBench.class);
    static final String BASELINE = "baseline NIO registration server";
    static final String PARLEY = "Parley topic server";
    private static final byte[] REGISTRATION =
            "{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"0\"},\"topics\":[\"bench\"]}\n".getBytes(StandardCharsets.UTF_8);
    /** A measured fan-out ends when no line arrives for this long (some were lost). */
    private static final long FANOUT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long WARMUP_QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    private final BenchPlan plan;

    ConnectionBench(BenchPlan plan) {
        this.plan = plan;
    }

    /**
     * The baseline server's command: in a JVM of its own started as the Parley server's is
     * ({@link ExternalServer#javaCommand}), so their memory figures differ only by what the
     * servers themselves hold (the launcher script adds nothing a user would not have).
     */
    static List<String> baselineCommand() {
        return ExternalServer.javaCommand(BaselineTopicServer.class, List.of("{port}"));
    }

    /** The Parley topic server's command: see {@link #baselineCommand}. */
    static List<String> parleyCommand() {
        return ExternalServer.javaCommand(ParleyServerProcess.class, ParleyServerProcess.topic("{port}"));
    }

    /**
     * Runs the benchmark: against the command given with {@code --server} if any, else against
     * the Parley topic server and then the baseline stand-in.
     */
    List<ConnectionResult> run() {
        if (!plan.serverCommand().isEmpty()) {
            return List.of(run(String.join(" ", plan.serverCommand()), plan.serverCommand()));
        }
        return List.of(run(PARLEY, parleyCommand()), run(BASELINE, baselineCommand()));
    }

    ConnectionResult run(String name, List<String> template) {
        int n = plan.connections();
        List<SocketChannel> clients = new ArrayList<>(n + 1);
        try {
            int port = ExternalServer.freePort();
            List<String> command = template.stream().map(s -> s.replace("{port}", Integer.toString(port))).toList();
            try (ExternalServer server = ExternalServer.start("topic-server", command, port, 30_000);
                 Selector selector = Selector.open()) {
                long pid = server.pid();
                long heap0 = heapUsed(pid);
                long rss0 = CpuClock.residentBytes(pid);
                InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
                for (int i = 0; i <= n; i++) { // client n is the sender
                    SocketChannel c = SocketChannel.open(address);
                    clients.add(c);
                    write(c, REGISTRATION);
                    c.configureBlocking(false);
                    if (i < n) {
                        c.register(selector, SelectionKey.OP_READ);
                    }
                }
                SocketChannel sender = clients.get(n);
                // Registrations are not acknowledged: fan out until one reaches everybody (warm-up).
                boolean live = false;
                for (int attempt = 0; attempt < 10 && !live; attempt++) {
                    live = fanout(selector, sender, n, "warm-up " + attempt, WARMUP_QUIET_NANOS).lines() >= n;
                }
                if (!live) {
                    return ConnectionResult.failed(name, n, "no fan-out reached all " + n + " clients");
                }
                List<Double> millis = new ArrayList<>();
                long delivered = 0;
                for (int r = 0; r < plan.fanoutRounds(); r++) {
                    long start = System.nanoTime();
                    Fanout f = fanout(selector, sender, n, "round " + r, FANOUT_LIMIT_NANOS);
                    if (f.lines() >= n) {
                        millis.add((f.lastNanos() - start) / 1e6);
                    }
                    delivered += f.lines();
                }
                long heap1 = heapUsed(pid);
                long rss1 = CpuClock.residentBytes(pid);
                long expected = (long) n * plan.fanoutRounds();
                return new ConnectionResult(name, n, rss0, rss1, heap0, heap1, millis, delivered, expected,
                        heap0 < 0 ? "heap unknown: jcmd could not attach" : null);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("connection benchmark failed", e);
            return ConnectionResult.failed(name, n, "failed: " + Harness.describe(e));
        } finally {
            for (SocketChannel c : clients) {
                try {
                    c.close();
                } catch (IOException e) {
                    log.debug("close failed", e);
                }
            }
        }
    }

    /** Lines received by one fan-out and when the last arrived. */
    private record Fanout(long lines, long lastNanos) {
    }

    /**
     * Sends one message and reads until all {@code n} clients have a line, or until no line has
     * arrived for {@code quietNanos}.
     */
    private static Fanout fanout(Selector selector, SocketChannel sender, int n, String text, long quietNanos)
            throws IOException {
        String json = "{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"0\"},\"destination\":{\"ip\":\"127.0.0.1\",\"port\":\"0\"},"
                + "\"message\":{\"topic\":\"bench\",\"text\":\"" + text + "\"}}\n";
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long lines = 0;
        long last = System.nanoTime();
        write(sender, json.getBytes(StandardCharsets.UTF_8));
        while (lines < n && System.nanoTime() - last < quietNanos) {
            if (selector.select(20) == 0) {
                continue;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                buf.clear();
                int r = ((SocketChannel) key.channel()).read(buf);
                if (r < 0) {
                    throw new IOException("the server closed a client connection");
                }
                byte[] a = buf.array();
                for (int i = 0; i < r; i++) {
                    if (a[i] == '\n') {
                        lines++;
                    }
                }
            }
            selector.selectedKeys().clear();
            last = System.nanoTime();
        }
        return new Fanout(lines, last);
    }

    private static void write(SocketChannel c, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            if (c.write(b) == 0) {
                Thread.onSpinWait(); // a fresh socket's buffer takes a short line at once; this is a safety net
            }
        }
    }

    /** Heap in use by JVM {@code pid} after a full collection, in bytes; -1 if jcmd cannot tell. */
    static long heapUsed(long pid) {
        if (jcmd(pid, "GC.run") == null) {
            return -1;
        }
        String info = jcmd(pid, "GC.heap_info");
        if (info == null) {
            return -1;
        }
        Matcher m = HEAP_USED.matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    private static String jcmd(long pid, String what) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        String exe = Files.isExecutable(jcmd) ? jcmd.toString() : ExternalServer.find("jcmd").map(Path::toString).orElse(null);
        return exe == null ? null : ExternalServer.output(List.of(exe, Long.toString(pid), what), 30);
    }
}
