/**
 * Parley's core: messages, names, the hub and its store seam.
 */
module org.parley.core {
    requires org.slf4j;

    exports org.parley.core;
    exports org.parley.core.internal to org.parley.zmq, org.parley.tcp, org.parley.web, org.parley.store.sqlite,
            org.parley.store.redis;
}
