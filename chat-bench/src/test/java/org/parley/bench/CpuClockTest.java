package org.parley.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CPU clocks: a process from /proc stat and from its threads' schedstat, a group of threads. */
class CpuClockTest {
    @Test
    void aStatLineGivesUserAndSystemTimeWhateverTheCommandIsCalled() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4321 (java (a) b) S 1 4321 4321 0 -1 4194560 9000 0 12 0 250 150 0 0 20 0 41 0 900 0 0";
        assertEquals(4.0, CpuClock.statSeconds(stat), 1e-9, "(250 + 150) ticks of 1/100 s");
        assertEquals(0.07, CpuClock.statSeconds("7 (x) R 1 1 1 0 -1 0 0 0 0 0 3 4 0 0"), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> CpuClock.statSeconds("7 (x) R 1 1"));
        assertThrows(IllegalArgumentException.class, () -> CpuClock.statSeconds("no parenthesis at all"));
    }

    @Test
    void thisProcessReadFromProcIsThisProcessAsTheJvmTellsIt() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "Linux only");
        long pid = ProcessHandle.current().pid();
        double proc = CpuClock.procSeconds(pid);
        double jvm = CpuClock.processSeconds();
        assertTrue(proc > 0 && Math.abs(proc - jvm) < 0.5 + jvm * 0.1, proc + " s from /proc, " + jvm + " s from the JVM");
        assertEquals(proc, CpuClock.procSeconds(List.of(pid)), 0.5);
        assertTrue(Double.isNaN(CpuClock.procSeconds(List.of())), "no server: not measured, not 0");
        assertEquals(0, CpuClock.procSeconds(Long.MAX_VALUE), "a process that is not there");
    }

    @Test
    void aSchedstatLineGivesTheThreadsRunTimeInNanoseconds() {
        assertEquals(1_234_567_891L, TaskClock.schedstatNanos("1234567891 5000 12\n"));
        assertThrows(IllegalArgumentException.class, () -> TaskClock.schedstatNanos("garbage 1 2"));
    }

    @Test
    void theTaskCounterAddsWhatEachThreadRanAndNeverGoesBack() {
        Map<Long, Long> first = Map.of(1L, 5_000L, 2L, 7_000L);
        assertEquals(12_000, TaskClock.advance(null, first), "the first reading: all of it");
        Map<Long, Long> second = Map.of(1L, 6_000L, 3L, 500L); // thread 2 ended, thread 3 began
        assertEquals(1_500, TaskClock.advance(first, second), "1's 1,000 ns more, and new 3's 500; ended 2 takes nothing back");
        assertEquals(0, TaskClock.advance(second, Map.of(1L, 6_000L)));
    }

    @Test
    @Timeout(30)
    void anotherProcessesClockCountsItsThreadsToTheNanosecond() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/task")), "Linux only");
        TaskClock clock = new TaskClock(ProcessHandle.current().pid()); // this process, read as another is
        double before = clock.seconds();
        var mx = ManagementFactory.getThreadMXBean();
        long until = mx.getCurrentThreadCpuTime() + TimeUnit.MILLISECONDS.toNanos(30);
        while (mx.getCurrentThreadCpuTime() < until) {
            Thread.onSpinWait(); // spend CPU: a clock is what is tested
        }
        double spent = clock.seconds() - before;
        assertTrue(spent >= 0.029 && spent < 5, spent + " s");
        assertTrue(clock.seconds() >= before + spent, "a counter");
        assertEquals(0, new TaskClock(Long.MAX_VALUE).seconds(), "no such process: /proc stat's 0");
    }

    @Test
    @Timeout(30)
    void aGroupsCpuTimeIsItsThreadsAloneWhileTheyLive() throws InterruptedException {
        assumeTrue(ManagementFactory.getThreadMXBean().isThreadCpuTimeSupported(), "no thread CPU time here");
        ThreadGroup busy = new ThreadGroup("cpu-clock-test-busy");
        ThreadGroup idle = new ThreadGroup("cpu-clock-test-idle");
        CountDownLatch spent = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread spender = new Thread(busy, () -> {
            var mx = ManagementFactory.getThreadMXBean();
            long until = mx.getCurrentThreadCpuTime() + TimeUnit.MILLISECONDS.toNanos(50);
            long x = 0;
            while (mx.getCurrentThreadCpuTime() < until) {
                x += System.nanoTime() & 1; // work the JIT cannot drop
            }
            if (x >= 0) {
                spent.countDown();
            }
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cpu-clock-test-spender");
        Thread waiter = new Thread(idle, () -> {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cpu-clock-test-waiter");
        spender.start();
        waiter.start();
        try {
            assertTrue(spent.await(20, TimeUnit.SECONDS));
            double busySeconds = CpuClock.threadSeconds(busy);
            assertTrue(busySeconds >= 0.05, busySeconds + " s");
            assertTrue(CpuClock.threadSeconds(idle) < 0.05, "a waiting thread spends next to nothing");
        } finally {
            done.countDown();
            spender.join(10_000);
            waiter.join(10_000);
        }
        assertEquals(0, CpuClock.threadSeconds(busy), "an ended thread no longer counts");
    }
}
