package org.parley.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ChatHub;
import org.parley.core.HubOptions;
import org.parley.core.internal.SignedTokens;

/**
 * Browsers on a hub that authenticates: wss only, a signed token first, then the users file's
 * rules; a token of another secret, an expired one, or none is refused.
 */
class WebAuthTest {
    private static final char[] PASSWORD = "parley-test".toCharArray();
    private static final byte[] SECRET = "a secret of thirty-two bytes, at least".getBytes(StandardCharsets.US_ASCII);
    @TempDir
    static Path dir;
    private static SSLContext serverTls;
    private static HttpClient https;

    private ChatHub hub;
    private WebServer server;
    private final SignedTokens tokens = new SignedTokens(SECRET);

    @BeforeAll
    static void certificate() throws Exception {
        Path store = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "server", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", new String(PASSWORD)).redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool: " + out);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", keys.getCertificate("server"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        https = HttpClient.newBuilder().sslContext(client).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @BeforeEach
    void start() throws Exception {
        Path users = Files.writeString(dir.resolve("users"), "alice\nbob read=dev write=dev\n");
        hub = ChatHub.create(HubOptions.builder().usersFile(users).build());
        server = WebServer.start(WebServerOptions.builder().host("127.0.0.1").port(0).hub(hub).tls(serverTls)
                .tokenSecret(SECRET).build());
    }

    @AfterEach
    void stop() {
        server.close();
        hub.close();
    }

    private WsClient connect() throws Exception {
        return WsClient.connect(URI.create("wss://127.0.0.1:" + server.port() + "/ws"), https, null, true);
    }

    private static String auth(String token) {
        return "{\"type\":\"auth\",\"token\":\"" + token + "\",\"ref\":\"a\"}";
    }

    private static String post(String user, String channel, String text) {
        return "{\"type\":\"post\",\"user\":\"" + user + "\",\"channel\":\"" + channel + "\",\"text\":\"" + text
                + "\",\"ref\":\"p\"}";
    }

    @Test
    void aSignedTokenMakesTheConnectionItsUsersAndTheRulesHold() throws Exception {
        try (WsClient bob = connect()) {
            JsonNode ok = bob.sendJson(auth(tokens.sign("bob", Instant.now().plusSeconds(60)))).next();
            assertTrue(ok.get("ok").asBoolean(), ok.toString());
            assertEquals("bob", ok.get("user").asText());
            assertTrue(bob.sendJson(post("bob", "dev", "mine")).next().get("ok").asBoolean());
            assertEquals("user \"alice\" is not this connection's user, bob",
                    bob.sendJson(post("alice", "dev", "I am alice")).next().get("error").asText());
            assertEquals("user bob may not post to general",
                    bob.sendJson(post("bob", "general", "not mine")).next().get("error").asText());
            assertEquals("user bob may not read general",
                    bob.sendJson("{\"type\":\"subscribe\",\"channel\":\"general\",\"ref\":\"s\"}").next().get("error").asText());
            assertEquals("user bob may not read ALL",
                    bob.sendJson("{\"type\":\"history\",\"channel\":\"ALL\",\"last\":5,\"ref\":\"h\"}").next().get("error").asText());
            assertEquals("this connection is authenticated already, as bob",
                    bob.sendJson(auth(tokens.sign("alice", Instant.now().plusSeconds(60)))).next().get("error").asText());
        }
        assertEquals(1, hub.lastSeq("dev"));
        assertEquals(0, hub.lastSeq("general"));
    }

    @Test
    void withoutAGoodTokenNothingIsDone() throws Exception {
        try (WsClient anonymous = connect()) {
            assertTrue(anonymous.sendJson(post("alice", "dev", "hi")).next().get("error").asText()
                    .startsWith("authenticate first"));
            assertEquals("the token expired at " + Instant.ofEpochSecond(1000),
                    anonymous.sendJson(auth(tokens.sign("alice", Instant.ofEpochSecond(1000)))).next().get("error").asText());
            SignedTokens other = new SignedTokens("another secret of thirty-two bytes!".getBytes(StandardCharsets.US_ASCII));
            assertEquals("the token's signature is not this server's",
                    anonymous.sendJson(auth(other.sign("alice", Instant.now().plusSeconds(60)))).next().get("error").asText());
            assertTrue(anonymous.sendJson(post("alice", "dev", "hi")).next().get("error").asText()
                    .startsWith("authenticate first"));
        }
        assertEquals(0, hub.lastSeq("dev"));
    }

    @Test
    void anAuthenticatingHubNeedsTlsAndASecretAndAPlainClientGetsNowhere() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WebServerOptions.builder().hub(hub).tokenSecret(SECRET).build());
        assertTrue(e.getMessage().startsWith("the hub authenticates its users: the WebSocket server needs TLS"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WebServerOptions.builder().tokenSecret(new byte[8]));
        try (ChatHub plain = ChatHub.create()) {
            assertThrows(IllegalArgumentException.class,
                    () -> WebServerOptions.builder().hub(plain).tokenSecret(SECRET).build());
        }
        assertThrows(Exception.class, () -> WsClient.connect(server.port()), "ws:// on a wss-only port");
    }

    @Test
    void aConnectionThatDoesNotAuthenticateSoonIsClosed() throws Exception {
        try (WsClient idle = connect()) {
            for (int i = 0; i < WebConnection.MAX_UNAUTHENTICATED_REQUESTS; i++) {
                assertTrue(idle.sendJson("{\"type\":\"channels\",\"ref\":\"c\"}").next().get("error").asText()
                        .startsWith("authenticate first"));
            }
            idle.sendJson("{\"type\":\"channels\",\"ref\":\"c\"}");
            assertEquals(1008, idle.closed.get(10, TimeUnit.SECONDS).intValue());
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedOnceItsTimeToAuthenticateIsUp() throws Exception {
        try (WsClient silent = connect()) {
            long opened = System.nanoTime();
            assertEquals(1008, silent.closed.get(30, TimeUnit.SECONDS).intValue());
            assertTrue(System.nanoTime() - opened >= WebConnection.AUTHENTICATE_WITHIN_NANOS - TimeUnit.SECONDS.toNanos(1),
                    "closed before its time was up");
        }
    }

    @Test
    void binaryMessagesCountAgainstAConnectionThatHasNotAuthenticated() throws Exception {
        try (WsClient binary = connect()) {
            for (int i = 0; i <= WebConnection.MAX_UNAUTHENTICATED_REQUESTS; i++) {
                binary.sendBinary(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
            }
            assertEquals(1008, binary.closed.get(5, TimeUnit.SECONDS).intValue());
        }
    }
}
