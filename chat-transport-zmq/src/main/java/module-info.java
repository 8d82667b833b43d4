/**
 * Parley over ZeroMQ: the chat server and client of the ZeroMQ protocol.
 */
module org.parley.zmq {
    requires transitive org.parley.core;
    requires org.zeromq.jeromq;
    requires jnacl; // CurveZMQ's own library, which JeroMQ brings: a secret key's public key
    requires com.fasterxml.jackson.core;
    requires org.slf4j;

    exports org.parley.zmq;
}
