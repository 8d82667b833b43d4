package org.parley.tcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A plain blocking socket client for tests: writes raw bytes, reads lines with a time limit. */
final class RawClient implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    RawClient(int port) throws IOException {
        this(port, 0);
    }

    /** With {@code receiveBuffer} > 0, a small kernel buffer (for a client that never reads). */
    RawClient(int port, int receiveBuffer) throws IOException {
        this(port, receiveBuffer, null);
    }

    /** From {@code localIp} (another loopback address, {@code 127.0.0.2}, say). */
    RawClient(int port, String localIp) throws IOException {
        this(port, 0, localIp);
    }

    private RawClient(int port, int receiveBuffer, String localIp) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        if (localIp != null) {
            socket.bind(new InetSocketAddress(localIp, 0));
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
    }

    String ip() {
        return socket.getLocalAddress().getHostAddress();
    }

    int port() {
        return socket.getLocalPort();
    }

    RawClient write(String s) throws IOException {
        return write(s.getBytes(StandardCharsets.UTF_8));
    }

    RawClient write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    RawClient register(String... topics) throws IOException {
        StringBuilder list = new StringBuilder();
        for (String t : topics) {
            list.append(list.length() == 0 ? "" : ",").append('"').append(t).append('"');
        }
        return write("{\"source\":{\"ip\":\"" + ip() + "\",\"port\":\"" + port() + "\"},\"topics\":[" + list + "]}\n");
    }

    RawClient say(String topic, String text) throws IOException {
        return write(chat(topic, text) + "\n");
    }

    static String chat(String topic, String text) {
        return "{\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"2000\"},\"destination\":{\"ip\":\"10.0.0.2\",\"port\":\"2032\"},"
                + "\"message\":{\"topic\":\"" + topic + "\",\"text\":\"" + text + "\"}}";
    }

    /** The next line, failing after five seconds. */
    String line() throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new AssertionError("connection closed");
        }
        return line;
    }

    JsonNode json() throws IOException {
        return MAPPER.readTree(line());
    }

    /** topic:text of the next message. */
    String next() throws IOException {
        JsonNode m = json();
        if (m.has("error")) {
            throw new AssertionError("got an error: " + m);
        }
        return m.get("message").get("topic").textValue() + ":" + m.get("message").get("text").textValue();
    }

    /** True when the server has closed the connection (end of stream within five seconds). */
    boolean closedByServer() throws IOException {
        try {
            return in.readLine() == null;
        } catch (java.net.SocketException e) {
            return true; // reset: closed too
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
