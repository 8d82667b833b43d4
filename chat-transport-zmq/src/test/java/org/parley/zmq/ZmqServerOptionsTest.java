package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.internal.ChatLimits;
import org.parley.core.HubOptions;

class ZmqServerOptionsTest {
    @Test
    void theLimitsOnPeersHaveDefaults() {
        ZmqServerOptions o = ZmqServerOptions.builder().build();
        assertEquals(2 * 64 * 1024, o.maxIncomingBytes());
        assertEquals(64L * 1024 * 1024, o.maxIncomingBufferedBytes());
        assertEquals(16, o.maxIncomingFrames());
        assertEquals(256, o.maxSubscriptionsPerPeer());
        assertEquals(1024 * 1024, o.maxSubscriptionBytes());
    }

    @Test
    void incomingBytesBelowTheHubsFrameLimitAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().maxIncomingBytes(1000).build());
        assertEquals("maxIncomingBytes 1000 is below the hub's frame limit of 65536", e.getMessage());
        try (ChatHub hub = ChatHub.create(HubOptions.builder().maxTextBytes(1000).maxFrameBytes(2000).build())) {
            assertEquals(2000, ZmqServerOptions.builder().hub(hub).maxIncomingBytes(2000).build().maxIncomingBytes());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ZmqServerOptions.builder().hub(hub).maxIncomingBytes(1999).build());
            assertEquals("maxIncomingBytes 1999 is below the hub's frame limit of 2000", e.getMessage());
        }
    }

    @Test
    void incomingBytesFollowTheHubsFrameLimitUnlessSet() {
        try (ChatHub hub = ChatHub.create(HubOptions.builder().maxTextBytes(1000).maxFrameBytes(4 << 20).build())) {
            ZmqServerOptions o = ZmqServerOptions.builder().hub(hub).build();
            assertEquals(8 << 20, o.maxIncomingBytes());
            assertEquals(64L << 20, o.maxIncomingBufferedBytes(), "64 MiB is more than 4 x 8 MiB");
            assertEquals(5 << 20, ZmqServerOptions.builder().hub(hub).maxIncomingBytes(5 << 20).build()
                    .maxIncomingBytes());
        }
        try (ChatHub hub = ChatHub.create(HubOptions.builder()
                .maxTextBytes(1000).maxFrameBytes(Integer.MAX_VALUE - 1).build())) {
            assertEquals(Integer.MAX_VALUE, ZmqServerOptions.builder().hub(hub).build().maxIncomingBytes());
        }
    }

    @Test
    void aNegativeIncomingBytesIsRefusedNotTakenForUnset() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().maxIncomingBytes(-1).build());
        assertEquals("maxIncomingBytes -1 is below the hub's frame limit of 65536", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().maxIncomingBufferedBytes(-1).build());
        assertEquals("maxIncomingBufferedBytes -1 is below maxIncomingBytes 131072", e.getMessage());
    }

    @Test
    void aRequestNeedsTwoFrames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().maxIncomingFrames(1).build());
        assertEquals("maxIncomingFrames < 2: 1", e.getMessage());
    }

    @Test
    void aPeerMayHoldAtLeastOneSubscription() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().maxSubscriptionsPerPeer(0).build());
        assertEquals("maxSubscriptionsPerPeer < 1: 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ZmqServerOptions.builder().maxSubscriptionBytes(257).build());
        assertEquals("maxSubscriptionBytes 257 is below the longest subscription, 258 bytes", e.getMessage());
    }
}
