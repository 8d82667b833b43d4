package org.parley.zmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * The server reads a connection's user only from a User-Id it sealed itself: a client that puts
 * a User-Id of its own in its handshake (which JeroMQ 0.6.0 lets replace the ZAP handler's) names
 * nobody.
 */
class UserSealTest {
    @Test
    void onlyTheServersOwnSealsOpen() {
        UserSeal seal = new UserSeal();
        String alice = seal.close("alice");
        assertEquals("alice", seal.open(alice));
        assertEquals("a/b", seal.open(seal.close("a/b")), "a slash in a name is no trouble");
        assertNull(seal.open("alice"), "a bare name, as a client could send it");
        assertNull(seal.open("alice/"), "no tag");
        assertNull(seal.open(alice.substring(0, alice.length() - 1) + "x"), "a tag changed by one character");
        assertNull(seal.open("bob" + alice.substring(alice.indexOf('/'))), "alice's tag under bob's name");
        assertNull(new UserSeal().open(alice), "another server's seal (or this one's before a restart)");
        assertNull(seal.open(null));
        assertNull(seal.open(""));
    }
}
