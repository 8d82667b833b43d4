/**
 * Parley in a browser: the WebSocket transport and the chat page it serves, on Jetty 12.
 */
module org.parley.web {
    requires transitive org.parley.core;
    requires com.fasterxml.jackson.core;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.util;
    requires org.eclipse.jetty.websocket.api;
    requires org.eclipse.jetty.websocket.server;
    requires org.slf4j;

    exports org.parley.web;
    // Jetty finds a WebSocket listener's methods by reflection: its public class is there.
    exports org.parley.web.internal to org.eclipse.jetty.websocket.common;
}
