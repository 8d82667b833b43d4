package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The tests run JeroMQ as users do, without its Java assertions (the build's argLine), while
 * Parley's own stay on: with them, a connection that ends between the two frames of a request
 * (a server restarting) made JeroMQ throw an AssertionError out of a client's send, a failure
 * that only tests could see.
 */
class JeromqAsInProductionTest {
    @Test
    void jeromqsAssertionsAreOffAndParleysOn() {
        assertFalse(zmq.socket.LB.class.desiredAssertionStatus(), "JeroMQ's assertions are on");
        assertFalse(org.zeromq.ZMQ.Socket.class.desiredAssertionStatus(), "JeroMQ's API's assertions are on");
        assertTrue(ZmqChatClient.class.desiredAssertionStatus(), "Parley's assertions are off");
    }
}
