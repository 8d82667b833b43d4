package org.parley.apps;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A peer that opens connections until the server runs out of file descriptors must not make
 * it spin on the failing accept (and fill its log); once the connections go, it serves again.
 */
class TopicServerOutOfFilesIT {
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
    private static final String REGISTER = "{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"1\"},\"topics\":[\"t\"]}";

    @Test
    void serverOutOfFileDescriptorsPausesAcceptingAndRecovers() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PRLIMIT), "needs prlimit (util-linux) to lower the limit");
        String jar = System.getProperty("parley.jar", Launched.HOME.resolve("chat-apps/target/parley.jar").toString());
        try (Launched server = Launched.program(PRLIMIT.toString(), "--nofile=64:64",
                "java", "-XX:TieredStopAtLevel=1", "-jar", jar, "topicserver", "--bind", "127.0.0.1", "0")) {
            int port = Integer.parseInt(server.errGroup("listening on 127\\.0\\.0\\.1:(\\d+)", Launched.WAIT));
            List<Socket> flood = new ArrayList<>();
            try {
                for (int i = 0; i < 80; i++) {
                    flood.add(new Socket("127.0.0.1", port)); // the kernel's backlog takes them all
                }
                server.awaitErr(".*accept failed.*Too many open files.*", Launched.WAIT);
                // A spinning accept logs thousands of lines a second; a paused one a handful.
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                        .until(() -> server.err().size() < 20);
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
            try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
                b.setSoTimeout(500); // one probe's wait; the loop below sends the next
                BufferedReader bIn = new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8));
                OutputStream aOut = a.getOutputStream();
                aOut.write(REGISTER.getBytes(StandardCharsets.UTF_8));
                b.getOutputStream().write(REGISTER.getBytes(StandardCharsets.UTF_8));
                // No acknowledgement of a registration exists: send until b hears one.
                String heard = null;
                for (int i = 0; i < 40 && heard == null; i++) {
                    aOut.write(("{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"1\"},\"message\":{\"topic\":\"t\","
                            + "\"text\":\"after the storm " + i + "\"}}").getBytes(StandardCharsets.UTF_8));
                    try {
                        heard = bIn.readLine();
                    } catch (java.net.SocketTimeoutException e) {
                        // not registered yet: try again
                    }
                }
                assertTrue(heard != null && heard.contains("after the storm"), String.valueOf(heard));
            }
            server.terminate();
            assertEquals(0, server.exitCode());
        }
    }
}
