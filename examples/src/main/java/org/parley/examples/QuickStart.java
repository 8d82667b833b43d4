package org.parley.examples;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.parley.core.ChatMessage;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/** A ZeroMQ chat server and a client in one program. Thread safety: run main once. */
public final class QuickStart {
    public static void main(String[] args) throws Exception {
        try (ZmqChatServer server = ZmqChatServer.start(ZmqServerOptions.builder()
                     .host("127.0.0.1").postPort(0).pubPort(0).build()); // 0: any free port
             ZmqChatClient alice = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                     .postPort(server.postPort()).pubPort(server.pubPort()).user("alice").build())) {
            alice.post("general", "hello, Parley").get();       // acknowledged: in the server's log
            BlockingQueue<ChatMessage> inbox = new LinkedBlockingQueue<>();
            alice.subscribe("general", 20, inbox::add);          // the last 20, then every new one
            System.out.println(inbox.take().displayLine());      // alice: hello, Parley (22:50:51)
        }
    }

    private QuickStart() {
    }
}
