package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

class SocketPollTest {
    private static final long MINUTE = 60_000;

    /**
     * A socket signals by edge: once its pipe holds messages, more of them raise no descriptor.
     * A reader that takes one message a wait reads a thousand; a wait that looked at the
     * descriptor alone would sleep out its minute with messages queued.
     */
    @Test
    void messagesAlreadyQueuedEndTheWaitAtOnce() throws Exception {
        try (ZContext context = new ZContext(1)) {
            ZMQ.Socket pull = context.createSocket(SocketType.PULL);
            int port = pull.bindToRandomPort("tcp://127.0.0.1");
            ZMQ.Socket push = context.createSocket(SocketType.PUSH);
            push.connect("tcp://127.0.0.1:" + port);
            Waker waker = new Waker();
            try (SocketPoll poll = new SocketPoll(waker, pull, null)) {
                CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                    int n = 0;
                    try {
                        while (n < 1000) {
                            poll.await(MINUTE);
                            if (pull.recv(ZMQ.DONTWAIT) != null) {
                                n++;
                            }
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return n;
                });
                for (int i = 0; i < 1000; i++) {
                    push.send("m" + i);
                }
                assertEquals(1000, read.get(20, TimeUnit.SECONDS));
            } finally {
                waker.close();
            }
        }
    }

    @Test
    void aWakeEndsTheWaitAndIsReported() throws Exception {
        try (ZContext context = new ZContext(1)) {
            ZMQ.Socket pull = context.createSocket(SocketType.PULL);
            pull.bindToRandomPort("tcp://127.0.0.1");
            Waker waker = new Waker();
            try (SocketPoll poll = new SocketPoll(waker, pull)) {
                CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> {
                    try {
                        return poll.await(MINUTE);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                waker.wake();
                assertTrue(woken.get(20, TimeUnit.SECONDS), "the wait ended by the wake says so");
                assertTrue(waker.drain(true));
            } finally {
                waker.close();
            }
        }
    }

    @Test
    void aMessageArrivingEndsTheWaitAndNothingEndsItAtItsTime() throws Exception {
        try (ZContext context = new ZContext(1)) {
            ZMQ.Socket pull = context.createSocket(SocketType.PULL);
            int port = pull.bindToRandomPort("tcp://127.0.0.1");
            Waker waker = new Waker();
            try (SocketPoll poll = new SocketPoll(waker, pull)) {
                long start = System.nanoTime();
                assertFalse(poll.await(300), "no wake came");
                assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(250),
                        "with nothing to read and nobody waking, it waits its time");

                ZMQ.Socket push = context.createSocket(SocketType.PUSH);
                push.connect("tcp://127.0.0.1:" + port);
                CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
                    try {
                        byte[] m = null;
                        while (m == null) {
                            poll.await(MINUTE);
                            m = pull.recv(ZMQ.DONTWAIT);
                        }
                        return m;
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                push.send("hello");
                byte[] m = got.get(20, TimeUnit.SECONDS);
                assertNotNull(m);
                assertEquals("hello", new String(m, StandardCharsets.UTF_8));
            } finally {
                waker.close();
            }
        }
    }

    /** The loops' sockets left out where they have none (a client without a subscription, say). */
    @Test
    void nullSocketsAreLeftOut() throws Exception {
        Waker waker = new Waker();
        try (SocketPoll poll = new SocketPoll(waker, (ZMQ.Socket) null)) {
            waker.wake();
            assertTrue(poll.await(MINUTE), "woken, with no socket to poll");
        } finally {
            waker.close();
        }
    }
}
