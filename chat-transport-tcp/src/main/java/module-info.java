/**
 * Parley over TCP: the topic server, topic clients and direct peers of the JSON protocol.
 */
module org.parley.tcp {
    requires transitive org.parley.core;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires jdk.net;
    requires tls.channel; // TLS on the selector loop (its jar names no module: the name comes from the file)
    requires org.slf4j;

    exports org.parley.tcp;
}
