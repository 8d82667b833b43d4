package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bin/web_server} as a process: the URL to open, the page there, a clean stop, clear failures. */
class WebServerIT extends WithProcesses {
    @Test
    void printsTheUrlToOpenServesThePageThereAndStopsCleanly() throws Exception {
        Launched server = start("web_server", "127.0.0.1", "0");
        List<Integer> ports = server.ports("web_server: chat in a browser at http://127\\.0\\.0\\.1:\\d+/ \\(Ctrl-C stops\\)",
                Launched.WAIT);
        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ports.get(0) + "/?name=alice&channel=dev")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>Parley</title>"));
        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(5)), server.err().toString());
        assertEquals(List.of(), server.out());
    }

    @Test
    void keepsItsMessagesInTheDataFileItIsGiven(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path data = dir.resolve("chat.db");
        Launched server = start("web_server", "127.0.0.1", "0", "--data", data.toString());
        server.awaitErr("web_server: messages are kept in " + java.util.regex.Pattern.quote(data.toString()), Launched.WAIT);
        server.awaitErr("web_server: chat in a browser at .*", Launched.WAIT);
        assertTrue(java.nio.file.Files.exists(data));
        server.terminate();
        assertEquals(0, server.exitCode(Duration.ofSeconds(5)), server.err().toString());
    }

    @Test
    void aPortInUseIsOneLineAndExitOne() throws Exception {
        Launched first = start("web_server", "127.0.0.1", "0");
        int port = first.ports("web_server: chat in a browser at .*", Launched.WAIT).get(0);
        Launched second = start("web_server", "127.0.0.1", Integer.toString(port));
        assertEquals(1, second.exitCode(Launched.WAIT));
        second.awaitOutputEnd(Launched.SOON);
        assertEquals(List.of("web_server: address 127.0.0.1:" + port + " is already in use"), second.err());
    }

    @Test
    void badArgumentsPrintTheUsageAndExitTwo() throws Exception {
        Launched few = start("web_server", "127.0.0.1");
        Launched web = start("parley_server", "127.0.0.1", "0", "0", "0", "--web");
        for (Launched l : List.of(few, web)) {
            assertEquals(2, l.exitCode(Launched.WAIT), l.err().toString());
            l.awaitOutputEnd(Launched.SOON);
            assertTrue(l.err().get(1).startsWith("usage: "), l.err().toString());
        }
        assertEquals("parley_server: --web needs a port", web.err().get(0));
    }
}
