package org.parley.bench.attack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attack from start to finish: the server in its own process, the good clients, the
 * attack on its own thread under a hard time limit, the after-time, the probe, SIGTERM; and
 * makes the row. Whatever fails, the attack's sockets, the good clients and the server are
 * closed before it returns.
 *
 * <p>Thread safety: one thread runs attacks one after the other.
 */
final class AttackRunner {
    private static final Logger log = LoggerFactory.getLogger(AttackRunner.class);
    /** Beyond its own time, how long an attack (or its preparation) may take before it is abandoned. */
    static final int GRACE_SECONDS = 30;
    static final int WARM_MILLIS = 10_000;
    static final int PROBE_MILLIS = 2_000;

    private final AttackPlan plan;
    private final Path logDir;
    private final ScheduledExecutorService sampler;

    AttackRunner(AttackPlan plan, Path logDir, ScheduledExecutorService sampler) {
        this.plan = plan;
        this.logDir = logDir;
        this.sampler = sampler;
    }

    AttackResult run(Attack attack) {
        ServerProcess server;
        try {
            server = ServerProcess.start(attack.server(), plan.jar(), plan.heap(), logDir.resolve(attack.id() + ".log"), sampler);
        } catch (IOException e) {
            return new AttackResult(attack.id(), "-", "-", "-", "server did not start", "-", -1,
                    List.of(Json.excerpt(String.valueOf(e.getMessage()), 200)));
        }
        AttackContext ctx = new AttackContext(server, plan.seconds(), plan.scale());
        List<GoodClient> good = goodClients(server);
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "attack-" + attack.id());
            t.setDaemon(true);
            return t;
        });
        List<String> notes = new ArrayList<>();
        try {
            for (GoodClient g : good) {
                g.start();
            }
            for (GoodClient g : good) {
                if (!g.log().awaitFirst(WARM_MILLIS)) {
                    notes.add("the " + g.name() + " good client got nothing in " + WARM_MILLIS / 1000 + " s before the attack");
                }
            }
            phase(good, Phase.PREPARE);
            bounded(thread, () -> {
                attack.prepare(ctx);
                return null;
            }, 60, "preparation", ctx, notes);
            long outputBefore = server.outputBytes();
            phase(good, Phase.DURING);
            ctx.startClock();
            bounded(thread, () -> {
                attack.run(ctx);
                return null;
            }, plan.seconds() + GRACE_SECONDS, "attack", ctx, notes);
            closeWithin(ctx, notes);
            phase(good, Phase.AFTER);
            pace(TimeUnit.SECONDS.toNanos(plan.afterSeconds()));
            phase(good, Phase.DONE);
            pace(TimeUnit.MILLISECONDS.toNanos(500)); // deliveries still on their way count for their phase
            String alive = alive(server);
            long grown = server.outputBytes() - outputBefore;
            ServerProcess.Stop stop = server.stop();
            List<String> all = new ArrayList<>(ctx.notes());
            all.addAll(notes);
            if (attack.reportsAckLatency()) {
                good.stream().filter(g -> g.name().equals("zmq")).findFirst().ifPresent(g -> all.add(ackLatency(g)));
            }
            good.stream().map(GoodClient::trouble).filter(t -> !t.isEmpty()).forEach(all::add);
            if (grown > 0) {
                all.add("server output +" + bytes(grown));
            }
            if (server.outputContains("OutOfMemoryError")) {
                all.add("the server printed OutOfMemoryError");
            }
            return new AttackResult(attack.id(), ctx.scaleText(), delivery(good, Phase.DURING), delivery(good, Phase.AFTER),
                    alive, stop.text(), server.peakRssKib(), all);
        } catch (IOException | RuntimeException e) {
            log.warn("{} failed", attack.id(), e);
            List<String> all = new ArrayList<>(ctx.notes());
            all.add("the harness failed: " + e);
            return new AttackResult(attack.id(), ctx.scaleText(), "-", "-", server.alive() ? "yes" : "no",
                    server.stop().text(), server.peakRssKib(), all);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new AttackResult(attack.id(), ctx.scaleText(), "-", "-", "-", server.stop().text(), server.peakRssKib(),
                    List.of("interrupted"));
        } finally {
            ctx.endClock();
            thread.shutdownNow();
            closeWithin(ctx, notes);
            for (GoodClient g : good) {
                g.close();
            }
            server.stop();
        }
    }

    private static List<GoodClient> goodClients(ServerProcess server) {
        List<GoodClient> good = new ArrayList<>();
        if (server.kind().zmq()) {
            good.add(new GoodZmqClient(server.postEndpoint(), server.pubEndpoint()));
        }
        if (server.kind().tcp()) {
            good.add(new GoodTcpClient(server.tcp()));
        }
        return good;
    }

    private static void phase(List<GoodClient> good, Phase p) {
        for (GoodClient g : good) {
            g.log().phase(p);
        }
    }

    /** Runs {@code work} on the attack's thread for at most {@code seconds}; a failure or overrun becomes a note. */
    private static void bounded(ExecutorService thread, Callable<Void> work, int seconds, String what, AttackContext ctx,
            List<String> notes) throws InterruptedException {
        Future<Void> f = thread.submit(work);
        try {
            f.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            ctx.endClock();
            f.cancel(true);
            notes.add("the " + what + " did not end within " + seconds + " s: abandoned");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            log.debug("{} failed", what, cause);
            notes.add("the " + what + " failed: " + Json.excerpt(String.valueOf(cause), 160));
        }
    }

    /** Closes what the attack opened, on a thread of its own, waiting at most 5 s for it. */
    private static void closeWithin(AttackContext ctx, List<String> notes) {
        Thread closing = new Thread(ctx::closeAll, "attack-close");
        closing.setDaemon(true);
        closing.start();
        try {
            closing.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closing.isAlive()) {
            notes.add("closing the attack's sockets took over 5 s: left to a daemon thread");
        }
    }

    private static void pace(long nanos) {
        long end = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left); // a fixed stretch of time for the good clients, not a wait for a condition
        }
    }

    /** "yes, answers", "yes, but zmq: no reply in 2000 ms", or "NO (exit 1)". */
    private static String alive(ServerProcess server) {
        if (!server.alive()) {
            return "NO (exit " + server.exitStatus() + ")";
        }
        List<String> problems = new ArrayList<>();
        if (server.kind().zmq()) {
            String z = Probe.zmq(server.postEndpoint(), "probe", PROBE_MILLIS);
            if (!z.equals("answers")) {
                problems.add("zmq: " + z);
            }
        }
        if (server.kind().tcp()) {
            String t = Probe.tcp(server.tcp(), "probe", PROBE_MILLIS);
            if (!t.equals("answers")) {
                problems.add("tcp: " + t);
            }
        }
        return problems.isEmpty() ? "yes, answers" : "yes, but " + String.join("; ", problems);
    }

    /** One client: "197/200"; both: "zmq 197/200, tcp 200/200". */
    static String delivery(List<GoodClient> good, Phase p) {
        if (good.size() == 1) {
            return good.get(0).log().delivery(p).text();
        }
        List<String> parts = new ArrayList<>();
        for (GoodClient g : good) {
            parts.add(g.name() + " " + g.log().delivery(p).text());
        }
        return String.join(", ", parts);
    }

    private static String ackLatency(GoodClient g) {
        double[] ms = g.log().ackMillis(Phase.DURING);
        Delivery d = g.log().delivery(Phase.DURING);
        return String.format(Locale.ROOT, "good post acks during: p50 %.1f ms, p99 %.1f ms (%d of %d acked)",
                DeliveryLog.quantile(ms, 0.5), DeliveryLog.quantile(ms, 0.99), ms.length, d.sent());
    }

    static String bytes(long n) {
        if (n >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1 << 20));
        }
        if (n >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return n + " B";
    }
}
