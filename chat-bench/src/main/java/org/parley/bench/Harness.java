package org.parley.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Runs one scenario, or several in turn: set up, warm up, measured rounds as fast as flow
 * control allows, then latency runs at half the measured peak and at fixed rates, then tear down.
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

    /** What a run measures after its throughput rounds. */
    record Phases(boolean latency, List<Integer> fixedRates) {
        Phases {
            fixedRates = List.copyOf(fixedRates);
        }
    }

    /**
     * Measures {@code scenarios} together, one result each in their order: all are set up, then
     * each step is taken by each in turn (warm-up, every measured round, every latency round), so
     * that a slow phase of the machine falls on all of them alike and their ratios are ratios of
     * alternated rounds. With one scenario this is the plain run. A scenario that fails becomes
     * a row with a note and leaves the turns; the others go on. Every scenario is torn down, on
     * failure too.
     */
    List<ThroughputResult> run(List<Scenario> scenarios, Phases phases) {
        List<Session> sessions = scenarios.stream().map(Session::new).toList();
        try {
            each(sessions, Session::open);
            for (int w = 0; w < plan.warmups(); w++) {
                each(sessions, s -> s.warm = s.round(plan.messagesPerRound(s.k()), 0));
            }
            each(sessions, s -> s.messages = s.warm == null ? plan.messagesPerRound(s.k())
                    : boundedBySeconds(plan.messagesPerRound(s.k()), s.warm, s.k(), plan.minMessages(), plan.roundSeconds()));
            for (int r = 0; r < plan.rounds(); r++) {
                each(sessions, Session::measureRound);
            }
            if (phases.latency()) {
                for (int r = 0; r < plan.rounds(); r++) {
                    // half of each system's own peak: the rate a system sustains, where the fixed rates are the same for all
                    each(sessions, s -> {
                        double rate = s.halfPeakRate();
                        Measured m = s.latencyRound(Math.max(100, (long) (rate * plan.latencyRoundSeconds())), rate);
                        s.halfPeak.add(m.round());
                        s.halfPeakGc = s.halfPeakGc.plus(m.gc());
                    });
                }
            }
            for (int rate : phases.fixedRates()) {
                for (int r = 0; r < plan.rounds(); r++) {
                    each(sessions, s -> s.addFixed(rate,
                            s.latencyRound(plan.fixedRates().messagesPerRound(rate, s.scenario.publishers()), rate)));
                }
            }
        } finally {
            sessions.forEach(Session::close);
        }
        return sessions.stream().map(s -> s.result(phases)).toList();
    }

    /** One step of a run, for one scenario. */
    @FunctionalInterface
    private interface Step {
        void take(Session s) throws Exception;
    }

    /** Takes {@code step} for each session still measuring, in turn; a failure ends that session alone. */
    private static void each(List<Session> sessions, Step step) {
        for (Session s : sessions) {
            if (s.failure != null) {
                continue;
            }
            try {
                step.take(s);
            } catch (Exception e) {
                log.warn("{} K={} failed", s.scenario.system(), s.k(), e);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                s.failure = "failed: " + describe(e);
                s.close();
            }
        }
    }

    /** A latency round, and the collections of this JVM during it. */
    private record Measured(LatencyResult.Round round, GcWatch.Pauses gc) {
    }

    /** One scenario being measured: its sink, its posting clients and their threads, its figures so far. */
    private final class Session {
        final Scenario scenario;
        final DeliverySink sink;
        final List<ExecutorService> threads = new ArrayList<>();
        final List<Scenario.Sender> senders = new ArrayList<>();
        RoundResult warm;
        long messages;
        final List<RoundResult> rounds = new ArrayList<>();
        final List<LatencyResult.Round> halfPeak = new ArrayList<>();
        GcWatch.Pauses halfPeakGc = GcWatch.Pauses.NONE;
        /** By rate: the rounds, and the collections during them. */
        final Map<Integer, List<LatencyResult.Round>> fixed = new LinkedHashMap<>();
        final Map<Integer, GcWatch.Pauses> fixedGc = new HashMap<>();
        String failure;
        private boolean closed;

        Session(Scenario scenario) {
            this.scenario = scenario;
            this.sink = new DeliverySink(scenario.subscribers());
        }

        int k() {
            return scenario.subscribers();
        }

        /** Half the median deliveries/s of the throughput rounds, in messages/s: the latency phase's rate. */
        double halfPeakRate() {
            return 0.5 * new ThroughputResult(scenario.system(), k(), rounds, null, null).median() / k();
        }

        List<LatencyResult.Round> fixed(int rate) {
            return fixed.computeIfAbsent(rate, r -> new ArrayList<>());
        }

        void addFixed(int rate, Measured m) {
            fixed(rate).add(m.round());
            fixedGc.merge(rate, m.gc(), GcWatch.Pauses::plus);
        }

        /** Sets the scenario up, opens its posting clients on their threads and waits until its subscribers are live. */
        void open() throws Exception {
            scenario.setup(sink);
            int p = scenario.publishers();
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
        }

        void measureRound() throws Exception {
            RoundResult rr = round(messages, 0);
            log.info("{} K={} round {}: {} deliveries/s", scenario.system(), k(), rounds.size(), (long) rr.deliveriesPerSecond());
            rounds.add(rr);
        }

        /**
         * One latency round of {@code messages} at {@code rate} messages/s, recorded into a
         * histogram of its own, so that one stall of the machine decides one round's p99 and not
         * the figure (the issue asks for every figure as a median of rounds).
         */
        Measured latencyRound(long messages, double rate) throws Exception {
            GcWatch gc = new GcWatch();
            gc.start();
            Histogram h = sink.startRecording();
            RoundResult r;
            GcWatch.Pauses pauses;
            try {
                r = round(messages, rate);
            } finally {
                sink.stopRecording();
                pauses = gc.stop();
            }
            return new Measured(new LatencyResult.Round(r, h.getValueAtPercentile(50) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3), pauses);
        }

        /** One round of {@code messages}, unpaced when {@code rate} is 0, else at {@code rate} messages/s. */
        RoundResult round(long messages, double rate) throws Exception {
            int p = senders.size();
            int k = sink.subscribers();
            long[] mark = sink.mark();
            AtomicLong sent = new AtomicLong();
            double cpu0 = CpuClock.processSeconds();
            double server0 = scenario.serverCpuSeconds();
            double subscribers0 = scenario.subscriberCpuSeconds();
            long start = System.nanoTime();
            List<Future<?>> posting = new ArrayList<>();
            for (int i = 0; i < p; i++) {
                long share = Pacing.share(messages, p, i);
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
            double server = scenario.serverCpuSeconds() - server0;
            double subscribers = scenario.subscriberCpuSeconds() - subscribers0;
            double cpu = CpuClock.processSeconds() - cpu0 + (Double.isNaN(server) ? 0 : server);
            return new RoundResult(sent.get(), seen, expected, (lastProgress - start) / 1e9, cpu, server, subscribers);
        }

        /** Closes the posting clients on their threads and tears the scenario down; once. */
        void close() {
            if (closed) {
                return;
            }
            closed = true;
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

        ThroughputResult result(Phases phases) {
            if (failure != null) {
                return ThroughputResult.notMeasured(scenario.system(), k(), failure);
            }
            LatencyResult latency = halfPeak.isEmpty() ? null
                    : new LatencyResult(halfPeakRate(), halfPeak, halfPeakGc);
            List<LatencyResult> rates = new ArrayList<>();
            for (int rate : phases.fixedRates()) {
                rates.add(new LatencyResult(rate, fixed(rate), fixedGc.getOrDefault(rate, GcWatch.Pauses.NONE)));
            }
            String note = sink.foreign() > 0 ? sink.foreign() + " payloads arrived altered" : null;
            return new ThroughputResult(scenario.system(), k(), rounds, latency, rates, note);
        }
    }

    /** One posting client's share: global message numbers index, index + p, index + 2p, ... ({@link Pacing}). */
    private static void post(Scenario.Sender s, int index, int p, long share, double rate, long start,
                             DeliverySink sink, long[] mark, AtomicLong sent) throws Exception {
        for (long j = 0; j < share; j++) {
            long stamp;
            if (rate > 0) {
                stamp = Pacing.intendedNanos(start, j, p, index, rate);
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
