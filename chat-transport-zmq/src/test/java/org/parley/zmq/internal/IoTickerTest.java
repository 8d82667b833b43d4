package org.parley.zmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

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
}
