package org.parley.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.parley.core.ChatHub;
import org.parley.core.ChatMessage;
import org.parley.tcp.TcpMessage;
import org.parley.tcp.TopicClient;
import org.parley.tcp.TopicServer;
import org.parley.tcp.TopicServerOptions;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqChatServer;
import org.parley.zmq.ZmqClientOptions;
import org.parley.zmq.ZmqServerOptions;

/** The three transports on one hub: a browser, a ZeroMQ client and a TCP client of one channel. */
class WebBridgeTest {
    @Test
    void webZeroMqAndTcpClientsOfOneChannelSeeEachOther() throws Exception {
        try (ChatHub hub = ChatHub.create();
             WebServer web = WebServer.start(WebServerOptions.builder().port(0).hub(hub).build());
             ZmqChatServer zmq = ZmqChatServer.start(ZmqServerOptions.builder().postPort(0).pubPort(0).hub(hub).build());
             TopicServer tcp = TopicServer.start(TopicServerOptions.builder().port(0).hub(hub).build());
             WsClient browser = WsClient.connect(web.port());
             ZmqChatClient zoe = ZmqChatClient.connect(ZmqClientOptions.builder().host("127.0.0.1")
                     .postPort(zmq.postPort()).pubPort(zmq.pubPort()).user("zoe").build())) {
            BlockingQueue<ChatMessage> zoeGot = new LinkedBlockingQueue<>();
            BlockingQueue<TcpMessage> tcpGot = new LinkedBlockingQueue<>();
            zoe.subscribe("dev", 0, zoeGot::add);
            browser.subscribe("dev");
            try (TopicClient ted = TopicClient.builder("127.0.0.1", tcp.port()).topics(List.of("dev"))
                    .connect(tcpGot::add)) {
                // Each transport's subscription takes effect a moment after it is made: posts from
                // the web until both others have one (the ZeroMQ client also reads history).
                browser.sendJson("{'user':'alice','channel':'dev','text':'from the web'}");
                ChatMessage atZoe = zoeGot.poll(10, TimeUnit.SECONDS);
                assertEquals("alice: from the web", atZoe.displayLine().replaceAll(" \\(.*\\)$", ""));
                TcpMessage probe = null;
                for (int i = 0; probe == null && i < 50; i++) {
                    browser.sendJson("{'user':'alice','channel':'dev','text':'probe " + i + "'}");
                    probe = tcpGot.poll(200, TimeUnit.MILLISECONDS);
                }
                assertEquals("alice", probe.user(), "the TCP client got a web post");
                browser.next(n -> "from the web".equals(n.path("text").asText()));

                zoe.post("dev", "from zeromq").get(10, TimeUnit.SECONDS);
                JsonNode fromZoe = browser.next(n -> "from zeromq".equals(n.path("text").asText()));
                assertEquals("zoe", fromZoe.get("user").asText());

                ted.send("dev", "from tcp");
                JsonNode fromTed = browser.next(n -> "from tcp".equals(n.path("text").asText()));
                assertEquals("dev", fromTed.get("channel").asText());
                TcpMessage atTed;
                do {
                    atTed = tcpGot.poll(10, TimeUnit.SECONDS);
                } while (atTed != null && !"from zeromq".equals(atTed.text()));
                assertEquals("zoe", atTed.user());
            }
        }
    }
}
