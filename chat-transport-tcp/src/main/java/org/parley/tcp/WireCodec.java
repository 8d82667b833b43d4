package org.parley.tcp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.parley.core.Names;
import org.parley.core.ProtocolException;
import org.parley.core.internal.PlainStrings;

/**
 * The TCP transport's JSON objects and their meaning: chat messages, registrations and
 * errors, read from trees and written as compact JSON plus {@code \n}. No socket here.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
final class WireCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private WireCodec() {
    }

    /** What one received object means. */
    sealed interface Frame permits Chat, Registration, Error {
    }

    /** A chat message; {@code user} is {@code null} when absent. */
    record Chat(TcpMessage message) implements Frame {
    }

    /** A topic registration: the complete new set of topics. */
    record Registration(TcpAddress source, List<String> topics) implements Frame {
    }

    /** An error reported by the other side. */
    record Error(String error) implements Frame {
    }

    /**
     * Reads one whole object from its bytes. A chat message of the plain shape (the fields of
     * the protocol, each once, of the right types) is read straight from Jackson's tokens;
     * anything else is turned into a tree and read by {@link #decode(ObjectNode)}, which names
     * what is wrong. Bytes that are not JSON, or repeat a key, are refused either way: the
     * plain reader takes no key twice, so an object that repeats one goes to the tree, whose
     * parser refuses it; Jackson's own check (a set of keys per object) runs there only.
     */
    static Frame decode(JsonBytes object) throws ProtocolException {
        Chat plain;
        try (JsonParser p = JsonObjectDecoder.readerParser(object)) {
            plain = plainChat(p);
        } catch (IOException e) {
            throw JsonObjectDecoder.notJson(e);
        }
        return plain != null ? plain : decode(JsonObjectDecoder.tree(object));
    }

    /**
     * The chat message {@code p} holds if it has exactly the plain shape, else null (the caller
     * then reads the tree, with its error messages). Decoding a tree per message cost more than
     * everything else a subscriber does. Invariant: a key seen twice in one object gives null
     * (the parser does not check for repeats; the tree's does).
     */
    private static Chat plainChat(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        TcpAddress source = null;
        TcpAddress destination = null;
        String topic = null;
        String text = null;
        String user = null;
        boolean message = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "source" -> {
                    if (source != null || (source = plainAddress(p)) == null) {
                        return null;
                    }
                }
                case "destination" -> {
                    if (destination != null || (destination = plainAddress(p)) == null) {
                        return null;
                    }
                }
                case "message" -> {
                    if (message || p.currentToken() != JsonToken.START_OBJECT) {
                        return null;
                    }
                    message = true;
                    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        if (p.nextToken() != JsonToken.VALUE_STRING) {
                            return null;
                        }
                        switch (field) {
                            case "topic" -> {
                                if (topic != null) {
                                    return null;
                                }
                                topic = p.getText();
                            }
                            case "text" -> {
                                if (text != null) {
                                    return null;
                                }
                                text = p.getText();
                            }
                            case "user" -> {
                                if (user != null) {
                                    return null;
                                }
                                user = p.getText();
                            }
                            default -> {
                                return null;
                            }
                        }
                    }
                    if (t != JsonToken.END_OBJECT) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (t != JsonToken.END_OBJECT || !message || source == null || topic == null || text == null) {
            return null;
        }
        return new Chat(new TcpMessage(source, destination, topic, text, user));
    }

    /** {@code {"ip":"...","port":"..."}} (port a string of digits or a number, 0..65535), else null. */
    private static TcpAddress plainAddress(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            return null;
        }
        String ip = null;
        int port = -1;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("ip") && ip == null && value == JsonToken.VALUE_STRING) {
                ip = p.getText();
            } else if (field.equals("port") && port < 0 && value == JsonToken.VALUE_STRING && isPortDigits(p.getText())) {
                port = Integer.parseInt(p.getText());
            } else if (field.equals("port") && port < 0 && value == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() == JsonParser.NumberType.INT) {
                port = p.getIntValue();
                if (port < 0) {
                    return null;
                }
            } else {
                return null;
            }
        }
        if (t != JsonToken.END_OBJECT || ip == null || port < 0 || port > 65535) {
            return null;
        }
        return new TcpAddress(ip, port);
    }

    /** Reads one object; a missing or wrong-typed field is a {@link ProtocolException}. */
    static Frame decode(ObjectNode object) throws ProtocolException {
        if (object.has("error")) {
            return new Error(string(object, "error", "error"));
        }
        if (object.has("topics")) {
            TcpAddress source = address(object, "source");
            JsonNode topics = object.get("topics");
            List<String> list = new ArrayList<>();
            if (topics.isTextual()) {
                list.add(topics.textValue());
            } else if (topics.isArray()) {
                for (JsonNode t : topics) {
                    if (!t.isTextual()) {
                        throw new ProtocolException("topics must hold strings, not " + type(t));
                    }
                    list.add(t.textValue());
                }
            } else {
                throw new ProtocolException("topics must be a list of strings or a string, not " + type(topics));
            }
            return new Registration(source, List.copyOf(list));
        }
        if (object.has("message")) {
            TcpAddress source = address(object, "source");
            TcpAddress destination = object.has("destination") ? address(object, "destination") : null;
            JsonNode m = object.get("message");
            if (!m.isObject()) {
                throw new ProtocolException("message must be an object, not " + type(m));
            }
            String topic = string(m, "topic", "message.topic");
            String text = string(m, "text", "message.text");
            String user = m.has("user") ? string(m, "user", "message.user") : null;
            return new Chat(new TcpMessage(source, destination, topic, text, user));
        }
        throw new ProtocolException(
                "object is neither a chat message (no \"message\") nor a registration (no \"topics\")");
    }

    /**
     * A chat message, encoded once: compact JSON and a newline. When every string is printable
     * ASCII without a quote or backslash (what Jackson writes as it is), the bytes are put
     * together by hand; else Jackson's generator writes them, escapes and all. Same bytes
     * either way. This is the encoding without a past, for tests and one-off messages; a
     * selector thread encodes through its own {@link ChatEncoder}, which writes the same bytes
     * and keeps those around the last message's text.
     */
    static ByteBuffer encodeChat(TcpAddress source, TcpAddress destination, String topic, String text, String user) {
        return new ChatEncoder().encode(source, destination, topic, text, user);
    }

    /**
     * The bytes of a plain chat message up to its text's opening quote, or null if a string
     * among them is not verbatim (see {@link #encodeChat}).
     */
    static byte[] plainHead(TcpAddress source, TcpAddress destination, String topic) {
        if (!isVerbatim(source.ip()) || (destination != null && !isVerbatim(destination.ip())) || !isVerbatim(topic)) {
            return null;
        }
        Ascii out = new Ascii(80 + source.ip().length() + topic.length()
                + (destination != null ? 48 + destination.ip().length() : 0));
        out.put(SOURCE).address(source);
        if (destination != null) {
            out.put(DESTINATION).address(destination);
        }
        out.put(MESSAGE_TOPIC).put(topic).quote().put(TEXT);
        return Arrays.copyOf(out.bytes, out.length);
    }

    /** The bytes of a plain chat message from its text's closing quote to its newline, or null. */
    static byte[] plainTail(String user) {
        if (user != null && !isVerbatim(user)) {
            return null;
        }
        Ascii out = new Ascii(16 + (user != null ? user.length() : 0));
        out.quote();
        if (user != null) {
            out.put(USER).put(user).quote();
        }
        out.put(END);
        return Arrays.copyOf(out.bytes, out.length);
    }

    // The pieces of a chat message around its values, as encodeChat writes them and
    // PlainChatScanner reads them. A piece after a string value starts after its closing quote.
    static final byte[] SOURCE = ascii("{\"source\":");
    static final byte[] DESTINATION = ascii(",\"destination\":");
    static final byte[] MESSAGE_TOPIC = ascii(",\"message\":{\"topic\":\"");
    static final byte[] TEXT = ascii(",\"text\":\"");
    static final byte[] USER = ascii(",\"user\":\"");
    static final byte[] IP = ascii("{\"ip\":\"");
    static final byte[] PORT = ascii(",\"port\":\"");
    private static final byte[] END = ascii("}}\n");
    private static final byte[] ADDRESS_END = ascii("}");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether Jackson writes {@code s} as it is: printable ASCII, no quote, no backslash. */
    static boolean isVerbatim(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (!PlainStrings.isPlain(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** An ASCII byte array being filled; its size is known in advance. */
    private static final class Ascii {
        final byte[] bytes;
        int length;

        Ascii(int size) {
            bytes = new byte[size];
        }

        Ascii quote() {
            bytes[length++] = '"';
            return this;
        }

        Ascii put(byte[] b) {
            System.arraycopy(b, 0, bytes, length, b.length);
            length += b.length;
            return this;
        }

        Ascii put(String s) {
            s.getBytes(0, s.length(), bytes, length); // ASCII: the deprecated copy is exact and cheapest
            length += s.length();
            return this;
        }

        void address(TcpAddress a) {
            put(IP).put(a.ip()).quote().put(PORT).digits(a.port()).quote().put(ADDRESS_END);
        }

        /** A port's decimal digits, without a string in between. */
        Ascii digits(int port) {
            int n = port < 10 ? 1 : port < 100 ? 2 : port < 1000 ? 3 : port < 10000 ? 4 : 5;
            for (int i = length + n - 1, v = port; i >= length; i--, v /= 10) {
                bytes[i] = (byte) ('0' + v % 10);
            }
            length += n;
            return this;
        }
    }

    /** {@link #encodeChat} by Jackson's generator, for strings that need escaping or are not ASCII. */
    static ByteBuffer encodeChatWithJackson(TcpAddress source, TcpAddress destination, String topic, String text,
            String user) {
        ByteArrayBuilder out = new ByteArrayBuilder(160 + text.length());
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            writeAddress(g, "source", source);
            if (destination != null) {
                writeAddress(g, "destination", destination);
            }
            g.writeObjectFieldStart("message");
            g.writeStringField("topic", topic);
            g.writeStringField("text", text);
            if (user != null) {
                g.writeStringField("user", user);
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            // Strings into memory always serialise; reaching this is a bug.
            throw new IllegalStateException("cannot encode a message to " + topic, e);
        }
        out.append('\n');
        return ByteBuffer.wrap(out.toByteArray()).asReadOnlyBuffer();
    }

    private static void writeAddress(JsonGenerator g, String field, TcpAddress a) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("ip", a.ip());
        g.writeStringField("port", Integer.toString(a.port())); // ports are written as strings
        g.writeEndObject();
    }

    static ByteBuffer encodeRegistration(TcpAddress source, Collection<String> topics) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("source", address(source));
        ArrayNode list = root.putArray("topics");
        topics.forEach(list::add);
        return line(root);
    }

    static ByteBuffer encodeError(String error) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("error", error);
        return line(root);
    }

    private static ByteBuffer line(ObjectNode root) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(root);
            ByteBuffer buffer = ByteBuffer.allocate(json.length + 1);
            buffer.put(json).put((byte) '\n').flip();
            return buffer.asReadOnlyBuffer();
        } catch (JsonProcessingException e) {
            // A tree of strings always serialises; reaching this is a bug.
            throw new IllegalStateException("cannot encode " + root, e);
        }
    }

    private static ObjectNode address(TcpAddress a) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("ip", a.ip());
        node.put("port", Integer.toString(a.port())); // ports are written as strings
        return node;
    }

    private static TcpAddress address(JsonNode parent, String field) throws ProtocolException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw new ProtocolException(field + " is missing");
        }
        if (!node.isObject()) {
            throw new ProtocolException(field + " must be an object with ip and port, not " + type(node));
        }
        String ip = string(node, "ip", field + ".ip");
        JsonNode port = node.get("port");
        int value;
        if (port == null || port.isNull()) {
            throw new ProtocolException(field + ".port is missing");
        } else if (port.isIntegralNumber() && port.canConvertToInt()) {
            value = port.intValue();
        } else if (port.isTextual() && isPortDigits(port.textValue())) {
            value = Integer.parseInt(port.textValue());
        } else {
            throw new ProtocolException(field + ".port must be a port number (string or number), not "
                    + (port.isTextual() ? Names.quote(port.textValue()) : type(port)));
        }
        if (value < 0 || value > 65535) {
            throw new ProtocolException(field + ".port " + value + " is outside 0..65535");
        }
        return new TcpAddress(ip, value);
    }

    /** One to five ASCII digits; by hand, since a regular expression per message costs more than the rest of decoding. */
    private static boolean isPortDigits(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String string(JsonNode parent, String field, String path) throws ProtocolException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw new ProtocolException(path + " is missing");
        }
        if (!node.isTextual()) {
            throw new ProtocolException(path + " must be a string, not " + type(node));
        }
        return node.textValue();
    }

    private static String type(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }


}
