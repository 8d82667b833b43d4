package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

class SocketPollTest {
    private static final long MINUTE = 60_000;

    private ZContext context;
    private ZMQ.Socket pull;
    private int port;
    private Waker waker;

    @BeforeEach
    void open() throws IOException {
        context = new ZContext(1);
        pull = context.createSocket(SocketType.PULL);
        port = pull.bindToRandomPort("tcp://127.0.0.1");
        waker = new Waker();
    }

    @AfterEach
    void close() {
        waker.close();
        context.close();
    }

    /** What a loop's thread does with its poll, done on another thread than the test's. */
    private interface PollWork<T> {
        T run() throws IOException;
    }

    private static <T> CompletableFuture<T> onAnotherThread(PollWork<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private ZMQ.Socket pusher() {
        ZMQ.Socket push = context.createSocket(SocketType.PUSH);
        push.connect("tcp://127.0.0.1:" + port);
        return push;
    }

    /**
     * A socket signals by edge: once its pipe holds messages, more of them raise no descriptor.
     * A reader that takes one message a wait reads a thousand; a wait that looked at the
     * descriptor alone would sleep out its minute with messages queued.
     */
    @Test
    void messagesAlreadyQueuedEndTheWaitAtOnce() throws Exception {
        ZMQ.Socket push = pusher();
        try (SocketPoll poll = new SocketPoll(waker, pull, null)) {
            CompletableFuture<Integer> read = onAnotherThread(() -> {
                int n = 0;
                while (n < 1000) {
                    poll.await(MINUTE);
                    if (pull.recv(ZMQ.DONTWAIT) != null) {
                        n++;
                    }
                }
                return n;
            });
            for (int i = 0; i < 1000; i++) {
                push.send("m" + i);
            }
            assertEquals(1000, read.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aWakeEndsTheWaitAndIsReported() throws Exception {
        try (SocketPoll poll = new SocketPoll(waker, pull)) {
            CompletableFuture<Boolean> woken = onAnotherThread(() -> poll.await(MINUTE));
            waker.wake();
            assertTrue(woken.get(20, TimeUnit.SECONDS), "the wait ended by the wake says so");
            assertTrue(waker.drain(true));
        }
    }

    @Test
    void aMessageArrivingEndsTheWaitAndNothingEndsItAtItsTime() throws Exception {
        try (SocketPoll poll = new SocketPoll(waker, pull)) {
            long start = System.nanoTime();
            assertFalse(poll.await(300), "no wake came");
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(250),
                    "with nothing to read and nobody waking, it waits its time");

            ZMQ.Socket push = pusher();
            CompletableFuture<byte[]> got = onAnotherThread(() -> {
                byte[] m = null;
                while (m == null) {
                    poll.await(MINUTE);
                    m = pull.recv(ZMQ.DONTWAIT);
                }
                return m;
            });
            push.send("hello");
            byte[] m = got.get(20, TimeUnit.SECONDS);
            assertNotNull(m);
            assertEquals("hello", new String(m, StandardCharsets.UTF_8));
        }
    }

    /** The loops' sockets left out where they have none (a client without a subscription, say). */
    @Test
    void nullSocketsAreLeftOut() throws Exception {
        try (SocketPoll poll = new SocketPoll(waker, (ZMQ.Socket) null)) {
            waker.wake();
            assertTrue(poll.await(MINUTE), "woken, with no socket to poll");
        }
    }
}
