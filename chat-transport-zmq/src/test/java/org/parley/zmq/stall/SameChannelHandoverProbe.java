package org.parley.zmq.stall;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import zmq.Ctx;
import zmq.poll.IPollEvents;
import zmq.poll.Poller;

/**
 * The poller-level mechanism that can stall a fresh JeroMQ 0.6.0 connection, without sockets
 * or threads of ZeroMQ's own: a connecting channel's handle is removed in its connect event
 * (as {@code TcpConnecter.connectEvent} does) and a new handle for the same channel is added
 * before the poller's next pass over its handles (as {@code StreamEngine.plug} does when the
 * I/O thread drains the attach command in the same round). The poller then cancels the
 * channel's one selection key for the retired handle and never registers the new one: the new
 * handle gets no event until something else makes the poller re-register its handles.
 *
 * <p>Run with {@code -Dparley.stallProbe=1 -Dtest=SameChannelHandoverProbe
 * -Dsurefire.failIfNoSpecifiedTests=false}. It reports what happens; with JeroMQ 0.6.0 the
 * same-round hand-over gets no event, the next-round hand-over does.
 */
@EnabledIfSystemProperty(named = "parley.stallProbe", matches = "\\d+")
class SameChannelHandoverProbe {

    @Test
    void aHandleAddedForTheSameChannelInTheSameRoundGetsNoEvent() throws Exception {
        boolean sameRound = handOver(true);
        boolean nextRound = handOver(false);
        System.out.printf("new handle writable within 2 s: hand-over in the same round %s, in the next round %s%n",
                sameRound, nextRound);
        assertTrue(nextRound, "the control: a hand-over in the next round works");
    }

    /** Whether the handle that takes the channel over sees it writable within 2 s. */
    private static boolean handOver(boolean sameRound) throws Exception {
        Ctx ctx = new Ctx();
        Poller poller = new Poller(ctx, "probe");
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.connect(listener.getLocalAddress());
            CountDownLatch writable = new CountDownLatch(1);
            IPollEvents engine = new IPollEvents() {
                @Override
                public void outEvent() {
                    writable.countDown();
                }
            };
            Poller.Handle[] connecting = new Poller.Handle[1];
            IPollEvents connecter = new IPollEvents() {

                @Override
                public void connectEvent() {
                    try {
                        channel.finishConnect();
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                    poller.removeHandle(connecting[0]);
                    if (sameRound) {
                        plugEngine();
                    } else {
                        // A later round, after the poller's pass over its handles and a select: as
                        // when the attach command is read in a round of its own.
                        poller.addTimer(50, this, 1);
                    }
                }

                @Override
                public void timerEvent(int id) {
                    plugEngine();
                }

                private void plugEngine() {
                    Poller.Handle engineHandle = poller.addHandle(channel, engine);
                    poller.setPollIn(engineHandle);
                    poller.setPollOut(engineHandle);
                }
            };
            // Before the poller's thread starts, its handles may be set from this thread.
            connecting[0] = poller.addHandle(channel, connecter);
            poller.setPollConnect(connecting[0]);
            poller.start();
            boolean got = writable.await(2, TimeUnit.SECONDS);
            channel.close();
            return got;
        } finally {
            poller.destroy();
            ctx.terminate();
        }
    }
}
