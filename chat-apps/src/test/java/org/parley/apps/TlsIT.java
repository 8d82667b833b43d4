package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** topicserver and chat -topic over TLS, from PEM files, as a user runs them (docs/SECURITY.md). */
class TlsIT extends WithProcesses {
    @TempDir
    Path dir;

    /**
     * Writes cert.pem and key.pem (PKCS#8) for 127.0.0.1, as openssl would: keytool makes the
     * pair, and the test writes both out as PEM.
     */
    private void certificate() throws Exception {
        Path store = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "server", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "parley-test").redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool: " + out);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "parley-test".toCharArray());
        }
        Key key = keys.getKey("server", "parley-test".toCharArray());
        Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded()));
        Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", keys.getCertificate("server").getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void twoChatClientsTalkThroughATlsTopicServer() throws Exception {
        certificate();
        Launched server = start("topicserver", "0", "--bind", "127.0.0.1",
                "--tls-cert", file("cert.pem"), "--tls-key", file("key.pem"));
        int port = server.ports(".*listening on .* \\(TLS\\).*", Launched.WAIT).get(0);
        String address = "127.0.0.1:" + port;
        Launched alice = start("chat", "-topic", address, "dev", "--name", "alice", "--tls-ca", file("cert.pem"));
        Launched bob = start("chat", "-topic", address, "dev", "--name", "bob", "--tls-ca", file("cert.pem"));
        alice.awaitErr("chat: connected to .*", Launched.WAIT);
        bob.awaitErr("chat: connected to .*", Launched.WAIT);
        Launched.probeUntilPrinted(i -> alice.type("over TLS " + i), "dev:alice: over TLS \\d+", bob);
        bob.type("and back");
        alice.awaitOut("dev:bob: and back", Launched.SOON);
    }

    @Test
    void onAServerWithUsersOnlyATokensUserGetsIn() throws Exception {
        certificate();
        Launched keygen = start("keygen", "--token", "alice");
        assertEquals(0, keygen.exitCode());
        String token = keygen.awaitOut("token for alice \\(shown once; give it to alice alone\\): .*", Launched.SOON)
                .replaceFirst(".*: ", "");
        String line = keygen.awaitOut("for a server's users file: alice token=[0-9a-f]{64}", Launched.SOON)
                .substring("for a server's users file: ".length());
        Path users = Files.writeString(dir.resolve("users"), line + "\n");
        Launched server = start("topicserver", "0", "--bind", "127.0.0.1", "--tls-cert", file("cert.pem"),
                "--tls-key", file("key.pem"), "--auth", users.toString());
        int port = server.ports(".*listening on .* \\(TLS; users of .*\\).*", Launched.WAIT).get(0);
        String address = "127.0.0.1:" + port;
        Path tokenFile = Files.writeString(dir.resolve("alice.token"), token + "\n");
        Launched alice = start("chat", "-topic", address, "dev", "--name", "alice", "--token-file", tokenFile.toString(),
                "--tls-ca", file("cert.pem"));
        alice.awaitErr("chat: connected to .*", Launched.WAIT);
        Launched wrong = start("chat", "-topic", address, "dev", "--name", "alice", "--token", "guess",
                "--tls-ca", file("cert.pem"), "--retry-for", "0");
        wrong.awaitErr(".*authentication failed: no user \"alice\" with this token.*", Launched.WAIT);
        assertEquals(1, wrong.exitCode());
        Launched noTls = start("chat", "-topic", address, "dev", "--name", "alice", "--token", token);
        assertEquals(2, noTls.exitCode());
        noTls.awaitOutputEnd(Launched.SOON);
        assertEquals("chat: --token needs --name (the token's user) and --tls or --tls-ca: a token must not cross "
                + "the network in clear", noTls.err().get(0));
    }

    @Test
    void aWebServerWithUsersTakesSignedTokensOverWss() throws Exception {
        certificate();
        Path users = Files.writeString(dir.resolve("users"), "alice write=dev\n");
        Path secret = dir.resolve("web.secret");
        assertEquals(0, start("keygen", "--secret", secret.toString()).exitCode());
        Launched signed = start("keygen", "--sign", "alice", "--secret", secret.toString());
        assertEquals(0, signed.exitCode());
        signed.awaitOutputEnd(Launched.SOON);
        String token = signed.out().get(0);
        Launched web = start("web_server", "127.0.0.1", "0", "--tls-cert", file("cert.pem"), "--tls-key", file("key.pem"),
                "--auth", users.toString(), "--token-secret", secret.toString());
        String line = web.awaitErr("web_server: chat in a browser at https://127.0.0.1:\\d+/ \\(users of .*", Launched.WAIT);
        int port = Integer.parseInt(line.replaceFirst(".*https://127.0.0.1:(\\d+)/.*", "$1"));

        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("cert.pem"))) {
            trust.setCertificateEntry("server", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        java.util.concurrent.BlockingQueue<String> replies = new java.util.concurrent.LinkedBlockingQueue<>();
        java.net.http.WebSocket ws = java.net.http.HttpClient.newBuilder().sslContext(tls).build().newWebSocketBuilder()
                .buildAsync(java.net.URI.create("wss://127.0.0.1:" + port + "/ws"), new java.net.http.WebSocket.Listener() {
                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data,
                            boolean last) {
                        replies.add(data.toString());
                        w.request(1);
                        return null;
                    }
                }).get(20, TimeUnit.SECONDS);
        ws.sendText("{\"type\":\"post\",\"user\":\"alice\",\"channel\":\"dev\",\"text\":\"hi\",\"ref\":\"1\"}", true).join();
        assertTrue(replies.poll(20, TimeUnit.SECONDS).contains("authenticate first"));
        ws.sendText("{\"type\":\"auth\",\"token\":\"" + token + "\",\"ref\":\"a\"}", true).join();
        assertTrue(replies.poll(20, TimeUnit.SECONDS).contains("\"user\":\"alice\""));
        ws.sendText("{\"type\":\"post\",\"user\":\"alice\",\"channel\":\"dev\",\"text\":\"hi\",\"ref\":\"2\"}", true).join();
        assertTrue(replies.poll(20, TimeUnit.SECONDS).contains("\"seq\":1"));
        ws.abort();

        Launched noSecret = start("web_server", "127.0.0.1", "0", "--tls-cert", file("cert.pem"), "--tls-key",
                file("key.pem"), "--auth", users.toString());
        assertEquals(2, noSecret.exitCode());
    }

    @Test
    void aBridgeWithUsersLetsACurveUserAndATokenUserTalk() throws Exception {
        certificate();
        for (String name : new String[] {"server", "alice"}) {
            assertEquals(0, start("keygen", dir.resolve(name).toString()).exitCode());
        }
        String aliceCurve = new String(Files.readAllBytes(dir.resolve("alice.pub")), StandardCharsets.UTF_8)
                .replaceAll("(?s).*public-key = \"([^\"]{40})\".*", "$1");
        Launched bobToken = start("keygen", "--token", "bob");
        assertEquals(0, bobToken.exitCode());
        String token = bobToken.awaitOut("token for bob .*", Launched.SOON).replaceFirst(".*: ", "");
        String bobLine = bobToken.awaitOut("for a server's users file: bob token=.*", Launched.SOON)
                .substring("for a server's users file: ".length());
        Path users = Files.writeString(dir.resolve("users"), "alice curve=" + aliceCurve + "\n" + bobLine + "\n");
        Launched bridge = start("parley_server", "127.0.0.1", "0", "0", "0", "--auth", users.toString(),
                "--key", dir.resolve("server.key").toString(), "--tls-cert", file("cert.pem"), "--tls-key", file("key.pem"));
        List<Integer> ports = bridge.ports(".*listening for posts.*\\(users of .*", Launched.WAIT);
        Launched bob = start("chat", "-topic", "127.0.0.1:" + ports.get(ports.size() - 1), "dev", "--name", "bob",
                "--token", token, "--tls-ca", file("cert.pem"));
        bob.awaitErr("chat: connected to .*", Launched.WAIT);
        Launched alice = start("mc_client", "127.0.0.1", ports.get(0).toString(), ports.get(1).toString(), "dev", "alice",
                "--key", dir.resolve("alice.key").toString(), "--server-key", dir.resolve("server.pub").toString());
        alice.awaitErr("mc_client: joined dev as alice.*", Launched.WAIT);
        Launched.probeUntilPrinted(i -> alice.type("hello bob " + i), "dev:alice: hello bob \\d+", bob);
        bob.type("hello alice");
        alice.awaitOut("bob: hello alice " + Launched.TIME, Launched.SOON);
    }

    @Test
    void mistakesInTlsFilesAreOneLineEach() throws Exception {
        certificate();
        Launched keyAsCert = start("topicserver", "0", "--tls-cert", file("key.pem"), "--tls-key", file("key.pem"));
        assertEquals(1, keyAsCert.exitCode());
        keyAsCert.awaitOutputEnd(Launched.SOON);
        assertEquals(1, keyAsCert.err().size(), keyAsCert.err().toString());
        assertTrue(keyAsCert.err().get(0).startsWith("topicserver: certificate file \"" + file("key.pem")
                + "\" holds no PEM certificate"), keyAsCert.err().toString());

        Launched certAsKey = start("topicserver", "0", "--tls-cert", file("cert.pem"), "--tls-key", file("cert.pem"));
        assertEquals(1, certAsKey.exitCode());
        certAsKey.awaitOutputEnd(Launched.SOON);
        assertEquals(List.of("topicserver: key file \"" + file("cert.pem") + "\" holds no PKCS#8 key (BEGIN PRIVATE KEY)"),
                certAsKey.err());

        Launched half = start("topicserver", "0", "--tls-cert", file("cert.pem"));
        assertEquals(2, half.exitCode());
        half.awaitOutputEnd(Launched.SOON);
        assertEquals("topicserver: --tls-cert and --tls-key go together", half.err().get(0));

        // Every option of topicserver once: a second would silently win over the first.
        Launched twice = start("topicserver", "0", "--tls-cert", file("cert.pem"), "--tls-key", file("key.pem"),
                "--auth", file("users"), "--auth", file("others"));
        twice.awaitOutputEnd(Launched.SOON);
        assertEquals(2, twice.exitCode(), twice.err().toString());
        assertEquals("topicserver: --auth is given twice", twice.err().get(0));

        Launched missing = start("chat", "-topic", "127.0.0.1:1", "dev", "--tls-ca", file("nothing.pem"));
        assertEquals(1, missing.exitCode());
        missing.awaitOutputEnd(Launched.SOON);
        assertEquals(List.of("chat: certificate file \"" + file("nothing.pem") + "\" does not exist"), missing.err());
    }
}
