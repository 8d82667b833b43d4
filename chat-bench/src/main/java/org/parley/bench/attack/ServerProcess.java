package org.parley.bench.attack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Parley server started from {@code parley.jar} as its own process on free loopback ports,
 * its standard output and error captured to one file, its peak RSS sampled every 100 ms, and
 * stopped with SIGTERM (SIGKILL after 2 s).
 *
 * <p>Thread safety: {@link #stop()} is synchronized and idempotent; the rest are safe to call
 * from any thread.
 */
final class ServerProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerProcess.class);
    static final String HOST = "127.0.0.1";
    static final long STOP_MILLIS = 2_000;

    /** Which server: the launcher command and the ports it takes. */
    enum Kind {
        /** {@code mc_server <ip> <post_port> <pub_port>}. */
        ZMQ("mc_server", 2),
        /** {@code topicserver <port> --bind <ip>}. */
        TCP("topicserver", 1),
        /** {@code parley_server <ip> <post_port> <pub_port> <tcp_port>}: both on one hub. */
        BRIDGE("parley_server", 3);

        final String command;
        final int ports;

        Kind(String command, int ports) {
            this.command = command;
            this.ports = ports;
        }

        boolean zmq() {
            return this != TCP;
        }

        boolean tcp() {
            return this != ZMQ;
        }
    }

    /** How the server ended. */
    record Stop(boolean wasAlive, boolean exitedInTime, int status, long millis) {
        /** "exit 0 after 310 ms", "killed: no exit within 2 s", "had already exited with 1". */
        String text() {
            if (!wasAlive) {
                return "had already exited with " + status;
            }
            if (!exitedInTime) {
                return "no exit within 2 s: killed";
            }
            return "exit " + status + " after " + millis + " ms";
        }

        boolean clean() {
            return wasAlive && exitedInTime && status == 0;
        }
    }

    /** Servers started and not yet stopped, for {@link #killAll()}. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    private final Kind kind;
    private final Process process;
    private final ProcessHandle java;
    private final List<Integer> ports;
    private final Path output;
    private final AtomicLong peakKib = new AtomicLong(-1);
    private final ScheduledFuture<?> sampling;
    private Stop stop; // guarded by this

    private ServerProcess(Kind kind, Process process, List<Integer> ports, Path log, ScheduledExecutorService sampler) {
        this.kind = kind;
        this.process = process;
        LIVE.add(process);
        this.java = ProcStatus.javaProcess(process.toHandle());
        this.ports = ports;
        this.output = log;
        this.sampling = sampler.scheduleAtFixedRate(this::sample, 0, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the server and waits until every port accepts connections.
     *
     * @throws IOException if it exits first or does not listen within 30 s (it is then killed)
     */
    static ServerProcess start(Kind kind, Path jar, String heap, Path log, ScheduledExecutorService sampler)
            throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port may be taken before the server binds it
            List<Integer> ports = freePorts(kind.ports);
            List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx" + heap, "-jar", jar.toString(), kind.command));
            switch (kind) {
                case ZMQ -> command.addAll(List.of(HOST, ports.get(0).toString(), ports.get(1).toString()));
                case TCP -> command.addAll(List.of(ports.get(0).toString(), "--bind", HOST));
                case BRIDGE -> command.addAll(List.of(HOST, ports.get(0).toString(), ports.get(1).toString(),
                        ports.get(2).toString()));
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().remove("PARLEY_LOG_LEVEL"); // the default level, whatever the caller's shell says
            ServerProcess server = new ServerProcess(kind, pb.start(), ports, log, sampler);
            try {
                server.awaitListening(30_000);
                return server;
            } catch (IOException e) {
                server.stop();
                last = e;
                if (!server.output().contains("in use")) {
                    break;
                }
            }
        }
        throw last;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
                held.add(s);
                ports.add(s.getLocalPort());
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    private void awaitListening(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (int port : ports) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IOException(kind.command + " exited with " + process.exitValue() + " before listening: "
                            + Json.excerpt(output(), 200));
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(HOST, port), 200);
                    break;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException(kind.command + " did not listen on " + port + " within " + timeoutMillis + " ms");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polls a port; nothing to be told by
                }
            }
        }
    }

    private void sample() {
        ProcStatus.peakRssKib(java.pid()).ifPresent(kib -> peakKib.accumulateAndGet(kib, Math::max));
    }

    Kind kind() {
        return kind;
    }

    long pid() {
        return java.pid();
    }

    InetSocketAddress post() {
        return zmqAddress(0);
    }

    InetSocketAddress pub() {
        return zmqAddress(1);
    }

    InetSocketAddress tcp() {
        if (!kind.tcp()) {
            throw new IllegalStateException(kind.command + " has no TCP port");
        }
        return new InetSocketAddress(HOST, ports.get(kind == Kind.TCP ? 0 : 2));
    }

    String postEndpoint() {
        return "tcp://" + HOST + ":" + post().getPort();
    }

    String pubEndpoint() {
        return "tcp://" + HOST + ":" + pub().getPort();
    }

    private InetSocketAddress zmqAddress(int index) {
        if (!kind.zmq()) {
            throw new IllegalStateException(kind.command + " has no ZeroMQ ports");
        }
        return new InetSocketAddress(HOST, ports.get(index));
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The exit status, if the process has ended. */
    Integer exitStatus() {
        return process.isAlive() ? null : process.exitValue();
    }

    /** The highest VmHWM seen, in KiB; -1 if never read. */
    long peakRssKib() {
        sample();
        return peakKib.get();
    }

    /** Bytes the server has written to standard output and error so far. */
    long outputBytes() {
        try {
            return Files.size(output);
        } catch (IOException e) {
            log.debug("cannot size {}", output, e);
            return -1;
        }
    }

    /** True if the server's output holds {@code text} (ASCII) anywhere; read in chunks, however large it grew. */
    boolean outputContains(String text) {
        byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[1 << 20];
        try (java.io.InputStream in = Files.newInputStream(output)) {
            int kept = 0; // bytes carried over from the previous chunk, so a match across two chunks is found
            for (int n = in.read(chunk, kept, chunk.length - kept); n > 0; n = in.read(chunk, kept, chunk.length - kept)) {
                int end = kept + n;
                if (indexOf(chunk, end, needle) >= 0) {
                    return true;
                }
                kept = Math.min(needle.length - 1, end);
                System.arraycopy(chunk, end - kept, chunk, 0, kept);
            }
        } catch (IOException e) {
            log.debug("cannot read {}", output, e);
        }
        return false;
    }

    private static int indexOf(byte[] hay, int length, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The last 2,000 characters of the server's output. */
    String output() {
        try {
            byte[] all = Files.readAllBytes(output);
            int from = Math.max(0, all.length - 2_000);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            log.debug("cannot read {}", output, e);
            return "";
        }
    }

    /** SIGTERM, then SIGKILL if the server has not exited within 2 s. Idempotent: later calls return the first result. */
    synchronized Stop stop() {
        if (stop != null) {
            return stop;
        }
        sample();
        if (!process.isAlive()) {
            stop = new Stop(false, true, process.exitValue(), 0);
        } else {
            long start = System.nanoTime();
            java.destroy(); // SIGTERM to the JVM itself, should the process started be a launcher
            boolean exited = waitFor(STOP_MILLIS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (!exited) {
                log.warn("{} ignored SIGTERM for 2 s; killing it", kind.command);
                java.destroyForcibly();
                process.destroyForcibly();
                waitFor(5_000);
            }
            stop = new Stop(true, exited, exited ? process.exitValue() : -9, millis);
        }
        sampling.cancel(false);
        LIVE.remove(process);
        return stop;
    }

    /** Kills every server still running: for a shutdown hook, so an interrupted run leaves no server behind. */
    static void killAll() {
        for (Process p : LIVE) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private boolean waitFor(long millis) {
        try {
            return process.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
