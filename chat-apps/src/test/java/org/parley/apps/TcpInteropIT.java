package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client written from the protocol page alone (Python, plain sockets, bare json.dumps()
 * without newlines) chats with our clients through our server, and its garbage gets it an
 * error and a close while the others carry on.
 */
class TcpInteropIT {

    static boolean hasPython() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void pythonClientChatsAndIsCutOffForGarbageWhileOthersCarryOn() throws Exception {
        assumeTrue(hasPython(), "python3 is not installed");
        try (Launched server = TcpChatIT.topicServer()) {
            int port = TcpChatIT.portOf(server);
            String address = "127.0.0.1:" + port;
            try (Launched java = Launched.start("chat", "-topic", address, "lame-conversation");
                 Launched other = Launched.start("chat", "-topic", address, "lame-conversation");
                 Launched python = Launched.program("python3", "interop/topic_client.py", "127.0.0.1",
                         Integer.toString(port), "lame-conversation", "other-conversation")) {
                java.nextErrContaining("connected to");
                other.nextErrContaining("connected to");
                python.nextErrContaining("registered");
                java.handshake(python, "lame-conversation"); // registered, both of them
                other.handshake(python, "lame-conversation"); // and the third
                python.type("hello from python");
                java.nextOut("lame-conversation:hello from python"); // python registered and was heard
                java.type("hello python");
                python.nextOut("lame-conversation:hello python");
                python.type("!garbage");
                python.nextErrContaining("error: not JSON");
                python.nextErrContaining("closed");
                java.type("still here");
                other.nextOut("lame-conversation:still here");
                other.type("me too");
                java.nextOut("lame-conversation:me too");
                python.endInput();
                assertEquals(3, python.exitCode(), "python should see the server close: " + python.err());
                java.endInput();
                other.endInput();
                assertEquals(0, java.exitCode());
                assertEquals(0, other.exitCode());
            }
            server.terminate();
            assertEquals(0, server.exitCode());
        }
    }
}
