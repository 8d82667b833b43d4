package org.parley.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;

/** The options' checks, and the server's own refusals at start. */
class WebServerOptionsTest {
    @Test
    void eachBadValueIsRefusedNamingIt() {
        assertEquals("port 70000 is outside 0..65535", assertThrows(IllegalArgumentException.class,
                () -> WebServerOptions.builder().port(70000).build()).getMessage());
        assertEquals("maxQueuedBytes 10 is below 1024", assertThrows(IllegalArgumentException.class,
                () -> WebServerOptions.builder().maxQueuedBytes(10).build()).getMessage());
        assertEquals("maxConnections 0 is below 1", assertThrows(IllegalArgumentException.class,
                () -> WebServerOptions.builder().maxConnections(0).build()).getMessage());
        assertEquals("origin https://chat.example.org/ is not a scheme and a host like https://chat.example.org "
                        + "(no path, no trailing slash)", assertThrows(IllegalArgumentException.class,
                () -> WebServerOptions.builder().allowOrigin("https://chat.example.org/")).getMessage());
    }

    @Test
    void aHubThatAuthenticatesNeedsTlsAndATokenSecret(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        java.nio.file.Path users = java.nio.file.Files.writeString(dir.resolve("users"), "alice\n");
        try (ChatHub hub = ChatHub.create(HubOptions.builder().usersFile(users).build())) {
            assertEquals("the hub authenticates its users: the WebSocket server needs TLS (tls(context)) and a token "
                    + "secret (tokenSecret(secret)), with which browsers prove who they are",
                    assertThrows(IllegalArgumentException.class,
                            () -> WebServerOptions.builder().hub(hub).build()).getMessage());
        }
    }

    @Test
    void aQueueBoundBelowTwoFramesIsRefusedAtStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WebServer.start(WebServerOptions.builder().port(0).maxQueuedBytes(100_000).build()));
        assertEquals("maxQueuedBytes 100000 is below twice the hub's frame limit, 131072", e.getMessage());
    }

    @Test
    void aPortInUseIsAnIoExceptionNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IOException e = assertThrows(IOException.class,
                    () -> WebServer.start(WebServerOptions.builder().port(taken.getLocalPort()).build()));
            assertEquals("address 127.0.0.1:" + taken.getLocalPort() + " is already in use", e.getMessage());
        }
    }

    @Test
    void utf8LengthCountsEachCharacterAsItsEncoding() {
        assertEquals(0, WebWire.utf8Length(""));
        assertEquals(3, WebWire.utf8Length("abc"));
        assertEquals(2, WebWire.utf8Length("é"));
        assertEquals(3, WebWire.utf8Length("€"));
        assertEquals(4, WebWire.utf8Length("😀"));
        String mixed = "a é € 😀 z";
        assertEquals(mixed.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, WebWire.utf8Length(mixed));
    }

    @Test
    void aPagesOwnOriginCountsOnlyForAnAddressOrLocalhostAgainstDnsRebinding() {
        for (String host : new String[] {"127.0.0.1:8080", "10.0.0.7", "localhost:8080", "LOCALHOST", "[::1]:8080"}) {
            org.junit.jupiter.api.Assertions.assertTrue(WebServer.isAddressOrLocalhost(host), host);
        }
        for (String host : new String[] {"evil.example:8080", "chat.example.org", "127.0.0.1.evil.example", "localhost.evil"}) {
            org.junit.jupiter.api.Assertions.assertFalse(WebServer.isAddressOrLocalhost(host), host);
        }
    }

    /** The TCP connections accepted at once follow maxConnections, and a huge one means no bound, not a negative one. */
    @Test
    void theBoundOnTcpConnectionsFollowsMaxConnections() {
        assertEquals(17, WebServer.networkConnections(1));
        assertEquals(320, WebServer.networkConnections(WebServerOptions.DEFAULT_MAX_CONNECTIONS));
        assertEquals(Integer.MAX_VALUE, WebServer.networkConnections(Integer.MAX_VALUE));
    }
}
