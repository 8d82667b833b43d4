package org.parley.zmq;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import zmq.Msg;
import zmq.io.Metadata;

/**
 * The frame guard fed frames in memory, as JeroMQ's decoder and engine hand them over: the
 * allocation when a header arrives, then the metadata once the frame is complete.
 */
class FrameGuardTest {
    private static final int KIB = 1024;

    private static Metadata connection(String address) {
        Metadata m = new Metadata();
        m.put(Metadata.PEER_ADDRESS, address);
        return m;
    }

    /** A frame's header arrives: the decoder allocates it and sets its flags. */
    private static Msg header(FrameGuard guard, int size, boolean more) {
        Msg msg = guard.allocate(size);
        if (more) {
            msg.setFlags(Msg.MORE);
        }
        return msg;
    }

    /** The frame is complete: the engine hands it the connection's metadata; true if the session keeps it. */
    private static boolean complete(Msg msg, Metadata connection) {
        msg.setMetadata(connection);
        return !msg.isCommand();
    }

    @Test
    void framesUnderWayAndUnfinishedMessagesShareOneBudget() {
        FrameGuard guard = FrameGuard.forMessages("test", 64 * KIB, 16, 100 * KIB);
        Metadata a = connection("a");
        Metadata b = connection("b");
        Metadata c = connection("c");
        Msg a1 = header(guard, 40 * KIB, true);
        assertEquals(40 * KIB, guard.bufferedBytes());
        assertTrue(complete(a1, a));
        assertEquals(40 * KIB, guard.bufferedBytes(), "a's message under way");
        Msg b1 = header(guard, 40 * KIB, false);
        assertEquals(80 * KIB, guard.bufferedBytes());

        Msg c1 = header(guard, 40 * KIB, false);
        assertEquals(0, c1.size(), "allocated past the budget");
        assertFalse(complete(c1, c));
        assertEquals(1, guard.overBudget());
        assertEquals(0, guard.bogusLengths());
        Msg small = header(guard, FrameGuard.SMALL_FRAME_BYTES, false);
        assertEquals(FrameGuard.SMALL_FRAME_BYTES, small.size(), "a small frame is never refused");
        assertFalse(complete(small, c), "c reads no further");

        assertTrue(complete(header(guard, 10, false), a));
        assertEquals(40 * KIB, guard.bufferedBytes(), "a's message ended");
        assertTrue(complete(b1, b));
        assertEquals(0, guard.bufferedBytes());
        assertEquals(40 * KIB, header(guard, 40 * KIB, false).size(), "room again");
    }

    @Test
    void aMessageEndedAtTheBoundLeavesTheBudget() {
        FrameGuard guard = FrameGuard.forMessages("test", 64 * KIB, 16, 1024 * KIB);
        Metadata a = connection("a");
        assertTrue(complete(header(guard, 40 * KIB, true), a));
        Msg crossing = header(guard, 40 * KIB, true);
        assertTrue(complete(crossing, a));
        assertFalse(crossing.hasMore(), "ended at the bound");
        assertEquals(1, guard.cutMessages());
        assertEquals(0, guard.bufferedBytes());
        assertFalse(complete(header(guard, 40 * KIB, true), a), "the rest is dropped");
        assertEquals(0, guard.bufferedBytes());
    }

    @Test
    void aRefusedLengthInTheMiddleOfAMessageEndsIt() {
        FrameGuard guard = FrameGuard.forMessages("test", 64 * KIB, 16, 1024 * KIB);
        Metadata a = connection("a");
        assertTrue(complete(header(guard, 20 * KIB, true), a));
        Msg bogus = header(guard, -256, true);
        assertEquals(0, bogus.size());
        assertTrue(complete(bogus, a), "the empty frame ends the message, so the socket reads it whole");
        assertFalse(bogus.hasMore());
        assertEquals(1, guard.bogusLengths());
        assertEquals(0, guard.bufferedBytes());
        assertFalse(complete(header(guard, 5, false), a), "nothing more is read from a");
        Msg first = header(guard, -256, false);
        assertFalse(complete(first, connection("b")), "a refused first frame is dropped");
    }

    @Test
    void aFrameItsConnectionDroppedUnfinishedIsReleased() {
        FrameGuard guard = FrameGuard.forMessages("test", 64 * KIB, 16, 100 * KIB);
        header(guard, 60 * KIB, false); // the connection closes before the frame's body arrives
        assertEquals(60 * KIB, guard.bufferedBytes());
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            System.gc();
            return guard.bufferedBytes() == 0;
        });
    }

    @Test
    void aClosedConnectionsUnfinishedMessageIsReleased() {
        FrameGuard guard = FrameGuard.forMessages("test", 64 * KIB, 16, 100 * KIB);
        assertTrue(complete(header(guard, 30 * KIB, true), connection("a"))); // a closes mid-message
        assertEquals(30 * KIB, guard.bufferedBytes());
        Metadata b = connection("b");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            System.gc();
            complete(header(guard, 1, false), b); // frames of others make the guard look
            return guard.bufferedBytes() == 0;
        });
    }
}
