package org.parley.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one scenario: set up, warm up, measured rounds as fast as flow control allows, then a
 * latency run at half the measured peak, then tear down.
 *
 * <p>Posting clients send as fast as they can but keep at most {@link #WINDOW} messages ahead of
 * the slowest subscriber, so a pub/sub system that drops on overflow (ZeroMQ's high-water mark,
 * Redis' output-buffer limit, NATS' slow-consumer rule) is measured at its sustainable rate, not
 * at how fast it can throw messages away. Losses still show in delivered/sent.
 *
 * <p>Thread safety: one run at a time; it starts one thread per posting client and stops them.
 */
final class Harness {
    private static final Logger log = LoggerFactory.getLogger(Harness.class);

    /** Messages in flight (sent, not yet at the slowest subscriber) across all posting clients. */
    static final long WINDOW = 2_000;
    /**
     * How long a posting client that is a window ahead waits before it looks again. At 20 µs
     * the four posting threads of a scenario woke a million times in a K=10 round set, a
     * fifth of the benchmark process's system time spent by the harness, not the system
     * measured; the fastest system drains a window in well over 100 µs.
     */
    static final long WINDOW_POLL_NANOS = 100_000;
    /** A round ends when no delivery arrives for this long (some were lost). */
    static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Hard bound on one round, whatever the system does. */
    static final long ROUND_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(120);
    static final long READY_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final BenchPlan plan;

    Harness(BenchPlan plan) {
        this.plan = plan;
    }

    /** Measures {@code scenario}; a failure becomes a row with a note, never an exception. */
    ThroughputResult run(Scenario scenario, boolean latency) {
        int k = scenario.subscribers();
        DeliverySink sink = new DeliverySink(k);
        int p = scenario.publishers();
        List<ExecutorService> threads = new ArrayList<>();
        List<Scenario.Sender> senders = new ArrayList<>();
        try {
            scenario.setup(sink);
            for (int i = 0; i < p; i++) {
                int index = i;
                String name = "parley-bench-post-" + scenario.system().replace(' ', '-') + "-" + i;
                ExecutorService t = Executors.newSingleThreadExecutor(r -> new Thread(r, name));
                threads.add(t);
                senders.add(t.submit(() -> scenario.openSender(index)).get(30, TimeUnit.SECONDS));
            }
            for (int i = 0; i < p; i++) {
                Scenario.Sender s = senders.get(i);
                threads.get(i).submit(() -> {
                    s.awaitReady(sink, READY_LIMIT_NANOS);
                    return null;
                }).get(30, TimeUnit.SECONDS);
            }
            long messages = plan.messagesPerRound(k);
            RoundResult warm = null;
            for (int w = 0; w < plan.warmups(); w++) {
                warm = round(scenario, sink, threads, senders, messages, 0);
            }
            if (warm != null) {
                messages = boundedBySeconds(messages, warm, k, plan.minMessages(), plan.roundSeconds());
            }
            List<RoundResult> rounds = new ArrayList<>();
            for (int r = 0; r < plan.rounds(); r++) {
                RoundResult rr = round(scenario, sink, threads, senders, messages, 0);
                log.info("{} K={} round {}: {} deliveries/s", scenario.system(), k, r, (long) rr.deliveriesPerSecond());
                rounds.add(rr);
            }
            ThroughputResult partial = new ThroughputResult(scenario.system(), k, rounds, null, null);
            LatencyResult lat = latency ? latency(scenario, sink, threads, senders, partial.median()) : null;
            String note = sink.foreign() > 0 ? sink.foreign() + " payloads arrived altered" : null;
            return new ThroughputResult(scenario.system(), k, rounds, lat, note);
        } catch (Exception e) {
            log.warn("{} K={} failed", scenario.system(), k, e);
            return ThroughputResult.notMeasured(scenario.system(), k, "failed: " + describe(e));
        } finally {
            for (int i = 0; i < senders.size(); i++) {
                Scenario.Sender s = senders.get(i);
                try {
                    threads.get(i).submit(s::close).get(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    log.warn("closing a sender of {} failed", scenario.system(), e);
                }
            }
            for (ExecutorService t : threads) {
                t.shutdownNow();
            }
            scenario.teardown();
        }
    }

    /**
     * The latency phase: {@link BenchPlan#rounds()} paced rounds sharing the plan's latency
     * time, each recorded into a histogram of its own, so that one stall of the machine decides
     * one round's p99 and not the figure (the issue asks for every figure as a median of rounds).
     */
    private LatencyResult latency(Scenario scenario, DeliverySink sink, List<ExecutorService> threads,
                                  List<Scenario.Sender> senders, double peakDeliveries) throws Exception {
        int k = scenario.subscribers();
        double rate = 0.5 * peakDeliveries / k; // messages per second
        long messages = Math.max(100, (long) (rate * plan.latencyRoundSeconds()));
        GcWatch gc = new GcWatch();
        gc.start();
        List<LatencyResult.Round> rounds = new ArrayList<>();
        for (int i = 0; i < plan.rounds(); i++) {
            Histogram h = sink.startRecording();
            RoundResult r;
            try {
                r = round(scenario, sink, threads, senders, messages, rate);
            } finally {
                sink.stopRecording();
            }
            rounds.add(new LatencyResult.Round(r, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3));
        }
        return new LatencyResult(rate, rounds, gc.stop());
    }

    /** One round of {@code messages}, unpaced when {@code rate} is 0, else at {@code rate} messages/s. */
    private RoundResult round(Scenario scenario, DeliverySink sink, List<ExecutorService> threads,
                              List<Scenario.Sender> senders, long messages, double rate) throws Exception {
        int p = senders.size();
        int k = sink.subscribers();
        long[] mark = sink.mark();
        AtomicLong sent = new AtomicLong();
        List<Long> pids = scenario.serverPids();
        double cpu0 = CpuClock.seconds(pids);
        long start = System.nanoTime();
        List<Future<?>> posting = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            long share = messages / p + (i < messages % p ? 1 : 0);
            Scenario.Sender s = senders.get(i);
            int index = i;
            posting.add(threads.get(i).submit(() -> {
                post(s, index, p, share, rate, start, sink, mark, sent);
                return null;
            }));
        }
        long deadline = start + ROUND_LIMIT_NANOS;
        for (Future<?> f : posting) {
            f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        long expected = sent.get() * k;
        long seen = sink.delivered(mark);
        long lastProgress = System.nanoTime();
        while (seen < expected) {
            long now = System.nanoTime();
            if (now - lastProgress > QUIET_NANOS || now > deadline) {
                break;
            }
            LockSupport.parkNanos(50_000);
            long d = sink.delivered(mark);
            if (d != seen) {
                seen = d;
                lastProgress = System.nanoTime();
            }
        }
        double cpu = CpuClock.seconds(pids) - cpu0;
        return new RoundResult(sent.get(), seen, expected, (lastProgress - start) / 1e9, cpu);
    }

    /** One posting client's share: global message numbers index, index + p, index + 2p, ... */
    private static void post(Scenario.Sender s, int index, int p, long share, double rate, long start,
                             DeliverySink sink, long[] mark, AtomicLong sent) throws Exception {
        double interval = rate > 0 ? 1e9 / rate : 0;
        for (long j = 0; j < share; j++) {
            long stamp;
            if (interval > 0) {
                stamp = start + (long) ((j * p + index) * interval);
                long now;
                while ((now = System.nanoTime()) < stamp) {
                    s.idle(stamp - now);
                }
            } else {
                stamp = System.nanoTime();
            }
            if ((j & 15) == 0) {
                long waitStart = System.nanoTime();
                while (sent.get() - sink.slowest(mark) > WINDOW) {
                    if (System.nanoTime() - waitStart > QUIET_NANOS) {
                        break; // subscribers stopped receiving: let the round end and report the loss
                    }
                    s.idle(WINDOW_POLL_NANOS);
                }
            }
            s.send(Payload.text(stamp));
            sent.incrementAndGet();
        }
        s.flush();
        // Keep servicing pending writes (raw NIO) until this client's messages reached everyone.
        long waitStart = System.nanoTime();
        while (sink.slowest(mark) < sent.get() && System.nanoTime() - waitStart < QUIET_NANOS) {
            s.idle(50_000);
        }
    }

    /** {@code messages}, or fewer if that would take longer than {@code seconds} at {@code warm}'s rate. */
    static long boundedBySeconds(long messages, RoundResult warm, int k, long minMessages, double seconds) {
        double perSecond = warm.deliveriesPerSecond() / k;
        if (perSecond <= 0) {
            return messages;
        }
        return Math.max(minMessages, Math.min(messages, (long) (perSecond * seconds)));
    }

    static String describe(Throwable e) {
        Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
