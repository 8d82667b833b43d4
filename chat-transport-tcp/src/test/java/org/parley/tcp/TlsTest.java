package org.parley.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
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
import org.parley.core.testing.DroppingProxy;

/**
 * The topic server and client over TLS, with a certificate the JDK's keytool makes for the test:
 * messages go both ways, nothing of them crosses in clear, and a client that does not trust the
 * certificate, or speaks plain TCP to a TLS server, is refused without harm to the others.
 */
class TlsTest {
    private static final char[] PASSWORD = "parley-test".toCharArray();
    @TempDir
    static Path dir;
    private static SSLContext serverTls;
    private static SSLContext clientTls;
    private static SSLContext strangerTls;

    private ChatHub hub;
    private TopicServer server;

    /** A key pair and self-signed certificate for 127.0.0.1 and localhost, in a PKCS12 file. */
    private static KeyStore keystore(String name) throws Exception {
        Path file = dir.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", name, "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    /** A context that presents {@code own}'s key (if any) and trusts {@code trusted}'s certificate. */
    private static SSLContext context(KeyStore own, KeyStore trusted, String trustedAlias) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(own, PASSWORD);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        Certificate cert = trusted.getCertificate(trustedAlias);
        trust.setCertificateEntry(trustedAlias, cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(own == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    @BeforeAll
    static void certificates() throws Exception {
        KeyStore serverKeys = keystore("server");
        KeyStore otherKeys = keystore("other");
        serverTls = context(serverKeys, serverKeys, "server");
        clientTls = context(null, serverKeys, "server");
        strangerTls = context(null, otherKeys, "other"); // trusts another certificate only
    }

    @BeforeEach
    void start() throws Exception {
        hub = ChatHub.create();
        server = TopicServer.start(TopicServerOptions.builder().hub(hub).tls(serverTls).build());
    }

    @AfterEach
    void stop() {
        server.close();
        hub.close();
    }

    private TopicClient client(int port, Recorder seen, String... topics) throws IOException {
        return TopicClient.builder("127.0.0.1", port).topics(List.of(topics)).tls(clientTls).connect(seen);
    }

    @Test
    void clientsOverTlsExchangeMessagesAndNothingCrossesInClear() throws Exception {
        Recorder aliceSees = new Recorder();
        Recorder bobSees = new Recorder();
        try (DroppingProxy relay = new DroppingProxy(server.port());
             TopicClient alice = client(relay.port(), aliceSees, "dev");
             TopicClient bob = client(relay.port(), bobSees, "dev")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() >= 2);
            // Twenty messages of 14 KB in a burst: many TLS records arrive in one read.
            String secret = "the launch code is 0000 ".repeat(600);
            for (int i = 0; i < 20; i++) {
                assertTrue(alice.send(i + " " + secret));
            }
            for (int i = 0; i < 20; i++) {
                assertTrue(bobSees.until("dev:").endsWith(i + " " + secret), "message " + i);
            }
            assertTrue(bob.send("and back"));
            assertTrue(aliceSees.until("dev:").endsWith("and back"));
            String wire = new String(relay.recorded(), StandardCharsets.ISO_8859_1);
            assertTrue(wire.length() > secret.length(), "the relay carried it: " + wire.length() + " bytes");
            assertFalse(wire.contains("launch code"), "the text crossed in clear");
            assertFalse(wire.contains("\"topic\""), "the JSON crossed in clear");
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefusedAndOthersGoOn() throws Exception {
        Recorder seen = new Recorder();
        try (TopicClient alice = client(server.port(), seen, "dev")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() >= 1);
            Recorder strangerSees = new Recorder();
            TopicClient stranger = TopicClient.builder("127.0.0.1", server.port()).topics(List.of("dev"))
                    .tls(strangerTls).connect(strangerSees);
            assertEquals("closed abnormally", strangerSees.until("closed"));
            stranger.close();
            // A plain client on the TLS port: its registration is not TLS, and goes nowhere.
            try (RawClient plain = new RawClient(server.port())) {
                plain.register("dev");
                // The server's answer is a TLS alert at most (a line of binary), then the end.
                assertTrue(plain.closedByServer() || plain.closedByServer(), "the server closed it");
            }
            assertEquals(1, server.registrations(), "neither registered");
            assertTrue(alice.send("still here"));
            try (TopicClient bob = client(server.port(), new Recorder(), "dev")) {
                await().atMost(Duration.ofSeconds(10)).until(() -> server.registrations() >= 2);
                assertTrue(bob.send("me too"));
                assertTrue(seen.until("dev:").endsWith("me too"));
            }
        }
    }

    @Test
    void aReaderThatFallsBehindGetsEveryByteOnceWhenItReadsAgain() throws Exception {
        // A socket full on the server's side, again and again: TLS takes part of what it is given
        // and holds encrypted bytes; none may be sent twice or lost.
        try (TopicServer roomy = TopicServer.start(TopicServerOptions.builder().hub(hub).tls(serverTls)
                .maxOutboundBytes(64L * 1024 * 1024).build());
             javax.net.ssl.SSLSocket reader = (javax.net.ssl.SSLSocket) clientTls.getSocketFactory().createSocket()) {
            reader.setReceiveBufferSize(4096);
            reader.connect(new java.net.InetSocketAddress("127.0.0.1", roomy.port()), 5000);
            reader.setSoTimeout(30_000);
            java.io.OutputStream out = reader.getOutputStream();
            out.write("{\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"2000\"},\"topics\":[\"dev\"]}\n"
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> roomy.registrations() >= 1);
            String payload = "x".repeat(10_000);
            int count = 1200;
            try (TopicClient sender = client(roomy.port(), new Recorder(), "dev")) {
                await().atMost(Duration.ofSeconds(10)).until(() -> roomy.registrations() >= 2);
                for (int i = 0; i < count; i++) {
                    assertTrue(sender.send(i + " " + payload), "the sender's connection is open");
                    if (i % 100 == 99) { // paced: a client's own queue is bounded (4 MiB)
                        long sent = i + 1;
                        await().atMost(Duration.ofSeconds(30)).until(() -> roomy.forwarded() >= sent);
                    }
                }
                java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(reader.getInputStream(), StandardCharsets.UTF_8));
                for (int i = 0; i < count; i++) {
                    String line = in.readLine();
                    assertTrue(line != null && line.contains("\"text\":\"" + i + " " + payload + "\""),
                            "message " + i + " arrived whole and in order: "
                                    + (line == null ? "end of stream" : line.substring(0, Math.min(120, line.length()))));
                }
            }
        }
    }

    /** A topic server on a hub whose users file names alice and bob by their tokens' hashes. */
    private TopicServer authenticating(ChatHub users) throws Exception {
        return TopicServer.start(TopicServerOptions.builder().hub(users).tls(serverTls).build());
    }

    private static ChatHub usersHub() throws Exception {
        Path file = dir.resolve("users");
        Files.writeString(file, "alice token=" + hex("alice's token") + "\n"
                + "bob token=" + hex("bob's token") + " read=dev write=dev\n");
        return ChatHub.create(org.parley.core.HubOptions.builder().usersFile(file).build());
    }

    private static String hex(String token) {
        return java.util.HexFormat.of().formatHex(org.parley.core.internal.Users.sha256(token));
    }

    private static TopicClient.Builder as(int port, String user, String token, String... topics) {
        return TopicClient.builder("127.0.0.1", port).topics(List.of(topics)).user(user).token(token).tls(clientTls);
    }

    @Test
    void usersProveWhoTheyAreWithTheirTokensAndTheRulesHold() throws Exception {
        try (ChatHub users = usersHub(); TopicServer auth = authenticating(users)) {
            Recorder aliceSees = new Recorder();
            Recorder bobSees = new Recorder();
            try (TopicClient alice = as(auth.port(), "alice", "alice's token", "dev").connect(aliceSees);
                 TopicClient bob = as(auth.port(), "bob", "bob's token", "dev").connect(bobSees)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> auth.registrations() >= 2);
                assertTrue(alice.send("signed, alice"));
                assertEquals("dev:alice: signed, alice", bobSees.until("dev:"));
                assertEquals("alice", users.recent("dev", 1).messages().get(0).user());
            }
            // A wrong token, and a right token under another name: refused before anything.
            for (String[] attempt : new String[][] {{"alice", "guess"}, {"bob", "alice's token"}, {"carol", "x"}}) {
                Recorder seen = new Recorder();
                TopicClient mallory = as(auth.port(), attempt[0], attempt[1], "dev").connect(seen);
                assertEquals("error authentication failed: no user \"" + attempt[0] + "\" with this token",
                        seen.until("error"));
                mallory.close();
            }
            // bob may read dev only: registering for ops is refused.
            Recorder bobElsewhere = new Recorder();
            TopicClient nosy = as(auth.port(), "bob", "bob's token", "ops").connect(bobElsewhere);
            assertEquals("error user bob may not read ops", bobElsewhere.until("error"));
            nosy.close();
        }
    }

    @Test
    void aClientThatReconnectsGivesUpOnARefusedTokenWithinItsRetryTime() throws Exception {
        try (ChatHub users = usersHub(); TopicServer auth = authenticating(users)) {
            java.util.concurrent.CompletableFuture<IOException> closed = new java.util.concurrent.CompletableFuture<>();
            TcpListener seen = new TcpListener() {
                @Override
                public void onMessage(TcpMessage message) {
                }

                @Override
                public void onClosed(IOException cause) {
                    closed.complete(cause);
                }
            };
            // The server ends each connection after refusing the token: reconnecting must not
            // start the retry time again each time, or the client would go round for ever.
            TopicClient mallory = as(auth.port(), "alice", "guess", "dev").retryFor(Duration.ofSeconds(2)).connect(seen);
            try {
                IOException cause = closed.get(20, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(cause != null && cause.getMessage().startsWith("gave up reconnecting"), String.valueOf(cause));
            } finally {
                mallory.close();
            }
        }
    }

    @Test
    void onAnAuthenticatingServerAClientWithoutATokenOrAnotherNameIsRefused() throws Exception {
        try (ChatHub users = usersHub(); TopicServer auth = authenticating(users)) {
            Recorder seen = new Recorder();
            TopicClient anonymous = TopicClient.builder("127.0.0.1", auth.port()).topics(List.of("dev"))
                    .tls(clientTls).connect(seen);
            assertTrue(seen.until("error").startsWith("error authenticate first"));
            anonymous.close();
            // A client of its own that authenticates as alice, then signs a message as bob.
            try (javax.net.ssl.SSLSocket raw = (javax.net.ssl.SSLSocket) clientTls.getSocketFactory()
                    .createSocket("127.0.0.1", auth.port())) {
                raw.setSoTimeout(5000);
                java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(raw.getInputStream(), StandardCharsets.UTF_8));
                java.io.OutputStream out = raw.getOutputStream();
                String source = "\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"2000\"}";
                out.write(("{\"auth\":{\"user\":\"alice\",\"token\":\"alice's token\"}}\n"
                        + "{" + source + ",\"topics\":[\"dev\"]}\n"
                        + "{" + source + ",\"message\":{\"topic\":\"dev\",\"text\":\"as alice\"}}\n"
                        + "{" + source + ",\"message\":{\"topic\":\"dev\",\"text\":\"I am bob\",\"user\":\"bob\"}}\n")
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertEquals("{\"error\":\"user \\\"bob\\\" is not this connection's user, alice\"}", in.readLine());
            }
            assertEquals(1, users.lastSeq("dev"), "only alice's own message was stored");
            assertEquals("alice", users.recent("dev", 1).messages().get(0).user());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TopicServerOptions.builder().hub(users).build());
            assertTrue(e.getMessage().startsWith("the hub authenticates its users: the TCP topic server needs TLS"),
                    e.getMessage());
            assertThrows(IllegalStateException.class, () -> TopicClient.builder("127.0.0.1", auth.port())
                    .topics(List.of("dev")).user("alice").token("t").connect(new Recorder()));
        }
    }
}
