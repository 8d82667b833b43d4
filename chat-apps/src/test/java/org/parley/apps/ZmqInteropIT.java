package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An independent client, interop/zmq_client.py (pyzmq on libzmq, written from the protocol
 * page alone), against the real {@code mc_server}. Skipped where Python has no zmq module.
 */
class ZmqInteropIT {
    private static final String PYTHON = "/usr/bin/python3";

    static boolean pythonHasZmq() {
        if (!new File(PYTHON).canExecute()) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import zmq")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void libzmqClientWrittenFromTheProtocolTalksToMcServer() throws Exception {
        assumeTrue(pythonHasZmq(), PYTHON + " cannot import zmq (install python3-zmq)");
        try (Launched server = Launched.start("mc_server", "127.0.0.1", "0", "0")) {
            java.util.List<Integer> ports = server.ports(".*listening for posts.*", Launched.WAIT);
            String post = Integer.toString(ports.get(0));
            String pub = Integer.toString(ports.get(1));
            Process py = new ProcessBuilder(PYTHON,
                    Launched.HOME.resolve("interop/zmq_client.py").toString(), "127.0.0.1", post, pub)
                    .redirectErrorStream(true).start();
            try {
                String output;
                if (!py.waitFor(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("the Python client did not finish within 60 s");
                }
                output = new String(py.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertEquals(0, py.exitValue(), output);
                assertEquals("interop ok", output.strip());
            } finally {
                py.destroyForcibly();
            }
            server.terminate();
            assertEquals(0, server.exitCode(Duration.ofSeconds(3)));
        }
    }
}
