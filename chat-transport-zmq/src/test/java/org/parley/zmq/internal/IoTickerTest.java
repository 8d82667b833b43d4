package org.parley.zmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import zmq.msg.MsgAllocator;

class IoTickerTest {
    @Test
    void eachIoThreadOfAContextGetsATickerOfItsOwn() {
        try (ZContext context = new ZContext(3)) {
            IoTicker.attach(context);
            // An affinity of one bit keeps a socket's connections on that I/O thread alone.
            Set<Long> affinities = context.getSockets().stream().map(ZMQ.Socket::getAffinity).collect(Collectors.toSet());
            assertEquals(Set.of(1L, 2L, 4L), affinities);
        }
    }

    @Test
    void aTickerReadsNothingEvenIfSomethingListensWhereItConnects() {
        try (ZContext context = new ZContext(1)) {
            IoTicker.attach(context);
            for (ZMQ.Socket ticker : context.getSockets()) {
                assertEquals(0, ticker.getMaxMsgSize());
                // A length with the top bit set reaches the allocator as a size: it allocates nothing.
                MsgAllocator allocator = (MsgAllocator) ticker.base().getSocketOptx(zmq.ZMQ.ZMQ_MSG_ALLOCATOR);
                assertEquals(0, allocator.allocate(Integer.MAX_VALUE - 255).size());
            }
        }
    }
}
