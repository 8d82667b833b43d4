package org.parley.tcp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sample objects of the TCP wire, shared by the codec's tests: the plain chat message our
 * encoder writes, its variants the fast path must take or leave, bad stream ends, and objects
 * with a repeated key.
 */
final class WireSamples {
    static final String PLAIN = "{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"5555\"},"
            + "\"message\":{\"topic\":\"bench\",\"text\":\"hello there\"}}\n";
    static final String FULL = "{\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"1\"},"
            + "\"destination\":{\"ip\":\"::1\",\"port\":\"65535\"},"
            + "\"message\":{\"topic\":\"dev\",\"text\":\"\",\"user\":\"bob\"}}\n";

    /** Objects of every kind (the fast path must take or leave each), one per line unless they say otherwise. */
    static final List<String> SHAPES = List.of(
            PLAIN,
            FULL,
            encoded("10.1.2.3", 7, "::2", 8, "t", "a b ~!@#$%^&*()", null),
            encoded("1.2.3.4", 0, null, 0, "t", "x", "alice"),
            PLAIN.replace("hello there", "esc\\\"aped\\\\ \\u00e9 \\n"),
            PLAIN.replace("hello there", "caf\u00e9 \uD83D\uDE00"),
            PLAIN.replace("hello there", "tab\there"),
            PLAIN.replace(",\"message\"", ", \"message\""),
            PLAIN.replace("{\"topic\":\"bench\",\"text\":\"hello there\"}", "{\"text\":\"hello there\",\"topic\":\"bench\"}"),
            PLAIN.replace("\"port\":\"5555\"", "\"port\":5555"),
            PLAIN.replace("\"port\":\"5555\"", "\"port\":\"65536\""),
            PLAIN.replace("\"port\":\"5555\"", "\"port\":\"007\""),
            PLAIN.replace("\"port\":\"5555\"", "\"port\":\"123456\""),
            PLAIN.replace("\"port\":\"5555\"", "\"port\":\"\""),
            PLAIN.replace("\"ip\":\"127.0.0.1\"", "\"ip\":\"\""),
            PLAIN.replace("\"topic\":\"bench\"", "\"topic\":\"\""),
            PLAIN.replace("}}\n", ",\"user\":\"u\",\"user\":\"v\"}}\n"),
            PLAIN.replace("}}\n", "},\"extra\":1}\n"),
            PLAIN.replace("}}\n", ",\"x\":\"y\"}}\n"),
            PLAIN.replace("\"text\":\"hello there\"", "\"text\":5"),
            PLAIN.replace("\"source\"", "\"sauce\""),
            PLAIN.replace("\n", ""),
            PLAIN.replace("\n", "\r\n  \t"),
            PLAIN.replace("{\"source\":{\"ip\"", "{\n  \"source\": {\"ip\""),
            "{\"source\":{\"ip\":\"1.2.3.4\",\"port\":\"9\"},\"topics\":[\"a\",\"b\"]}\n",
            "{\"error\":\"something\"}\n",
            "{}\n",
            "{\"n\":1}{\"n\":2}\n");

    /** Ends of a stream that are errors, each its own. */
    static final List<String> BAD_ENDS = List.of(
            "xyz\n",
            "[1,2]\n",
            "\"str\"\n",
            "12 ",
            "{\"a\":tru}\n",
            "{\"source\":{\"ip\":\"1\",\"port\":\"2\"},\"message\":{\"topic\":\"t\",\"text\":\"x\"}",
            "{\"a\":",
            "}",
            "\uFEFF" + PLAIN,
            "\u0000");

    /** Chat-shaped objects, each with one key repeated. */
    static final List<String> REPEATED_KEYS = repeatedKeys();

    private WireSamples() {
    }

    private static List<String> repeatedKeys() {
        String message = "\"message\":{\"topic\":\"bench\",\"text\":\"hello\"}";
        String source = "\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"5555\"}";
        String destination = "\"destination\":{\"ip\":\"::1\",\"port\":\"1\"}";
        return List.of(
                "{" + source + "," + source + "," + message + "}",
                "{" + source + "," + destination + "," + destination + "," + message + "}",
                "{\"source\":{\"ip\":\"127.0.0.1\",\"ip\":\"127.0.0.2\",\"port\":\"5555\"}," + message + "}",
                "{\"source\":{\"ip\":\"127.0.0.1\",\"port\":\"5555\",\"port\":\"5556\"}," + message + "}",
                "{" + source + ",\"message\":{\"topic\":\"bench\",\"topic\":\"other\",\"text\":\"hello\"}}",
                "{" + source + ",\"message\":{\"topic\":\"bench\",\"text\":\"hello\",\"text\":\"bye\"}}",
                "{" + source + ",\"message\":{\"topic\":\"bench\",\"text\":\"hello\",\"user\":\"u\",\"user\":\"v\"}}",
                "{" + source + "," + message + "," + message + "}");
    }

    /** What {@link WireCodec#encodeChat} writes for these values, as text. */
    static String encoded(String ip, int port, String destIp, int destPort, String topic, String text, String user) {
        return StandardCharsets.UTF_8.decode(WireCodec.encodeChat(new TcpAddress(ip, port),
                destIp == null ? null : new TcpAddress(destIp, destPort), topic, text, user)).toString();
    }
}
