package org.parley.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.parley.core.ProtocolException;

/**
 * The users of an authenticating server, from its users file (docs/SECURITY.md): who they
 * are, the credentials that prove it, and the channels each may read and post to. One file for
 * every transport.
 *
 * <pre>
 * # name   settings, each key=value
 * alice    curve=Yne@$w-vo&lt;fVvi]a&lt;NY6T1ed:M$fCG*[IaLV{hID   write=dev,ops
 * bob      curve=...   read=dev,team-*   write=dev
 * </pre>
 *
 * <p>Settings: {@code curve=} the user's CurveZMQ public key (40 characters of Z85);
 * {@code token=} the SHA-256 of the user's secret token (64 hex digits), for TCP over TLS;
 * {@code read=} and {@code write=} comma-separated channel rules: a name, a prefix ending in
 * {@code *}, or {@code *} for every channel. Without {@code read=} a user reads every channel,
 * without {@code write=} posts to every channel. {@value Names#ALL} shows every channel, so a
 * user reads it only with {@code read=*} or {@code ALL} named.
 *
 * <p>Thread safety: immutable once parsed; safe from any thread.
 */
public final class Users {
    /** The scheme of a CurveZMQ public key, in Z85. */
    public static final String CURVE = "curve";
    /**
     * The scheme of a secret token: the credential is {@code <user>:<token>}, and the file holds
     * the token's SHA-256 in hex ({@code token=}), never the token.
     */
    public static final String TOKEN = "token";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern Z85_KEY = Pattern.compile("[0-9a-zA-Z.\\-:+=^!/*?&<>()\\[\\]{}@%$#]{40}");
    private static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

    private final Map<String, User> byName;
    private final Map<String, String> byCurveKey;

    private Users(Map<String, User> byName, Map<String, String> byCurveKey) {
        this.byName = byName;
        this.byCurveKey = byCurveKey;
    }

    private record User(String name, List<String> read, List<String> write, byte[] tokenHash) {
    }

    /**
     * Reads a users file.
     *
     * @throws IOException if it cannot be read, or a line breaks the format: the message names
     *                     the file, the line and what is wrong
     */
    public static Users read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("users file " + file + " is a folder");
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException("users file " + file + " is over " + MAX_FILE_BYTES + " bytes");
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            StrictUtf8.check(bytes, "its text");
            return parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8).lines().toList());
        } catch (ProtocolException e) {
            throw new IOException("users file " + file + ": " + e.getMessage());
        }
    }

    /** Parses the lines of a users file; the error names the line. */
    static Users parse(List<String> lines) throws ProtocolException {
        Map<String, User> byName = new HashMap<>();
        Map<String, String> byCurveKey = new HashMap<>();
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                String[] words = line.split("\\s+");
                String name = Names.requireUser(words[0]);
                if (byName.containsKey(name)) {
                    throw new ProtocolException("names user " + Names.quote(name) + " a second time");
                }
                List<String> read = List.of("*");
                List<String> write = List.of("*");
                byte[] tokenHash = null;
                for (int i = 1; i < words.length; i++) {
                    int eq = words[i].indexOf('=');
                    String key = eq < 0 ? words[i] : words[i].substring(0, eq).toLowerCase(Locale.ROOT);
                    String value = eq < 0 ? "" : words[i].substring(eq + 1);
                    switch (key) {
                        case CURVE -> {
                            if (!Z85_KEY.matcher(value).matches()) {
                                throw new ProtocolException("curve= takes a public key of 40 Z85 characters "
                                        + "(as keygen writes it), not " + Names.quote(value));
                            }
                            String other = byCurveKey.putIfAbsent(value, name);
                            if (other != null) {
                                throw new ProtocolException("gives " + name + " the curve key of " + other);
                            }
                        }
                        case TOKEN -> {
                            if (!SHA256_HEX.matcher(value).matches()) {
                                throw new ProtocolException("token= takes the SHA-256 of the token in 64 lowercase hex "
                                        + "digits (as keygen --token prints it), not " + Names.quote(value));
                            }
                            tokenHash = java.util.HexFormat.of().parseHex(value);
                        }
                        case "read" -> read = rules(value, true);
                        case "write" -> write = rules(value, false);
                        default -> throw new ProtocolException("has an unknown setting " + Names.quote(key)
                                + "; expected curve=, token=, read= or write=");
                    }
                }
                byName.put(name, new User(name, read, write, tokenHash));
            } catch (ProtocolException e) {
                throw new ProtocolException("line " + n + " " + e.getMessage(), e);
            }
        }
        return new Users(Map.copyOf(byName), Map.copyOf(byCurveKey));
    }

    private static List<String> rules(String value, boolean read) throws ProtocolException {
        List<String> rules = new ArrayList<>();
        if (value.isEmpty()) {
            return rules; // no channel at all
        }
        for (String rule : value.split(",", -1)) {
            String name = rule.endsWith("*") ? rule.substring(0, rule.length() - 1) : rule;
            if (!name.isEmpty() && !Names.isValidChannel(name)) {
                throw new ProtocolException("has a channel rule " + Names.quote(rule)
                        + " that is neither a channel name, a prefix ending in *, nor *");
            }
            if (!read && Names.ALL.equals(rule)) {
                throw new ProtocolException("lets a user write to ALL, which is read-only");
            }
            rules.add(rule);
        }
        return List.copyOf(rules);
    }

    /** Compared with a token given for a user with none, so that the answer takes the same time. */
    private static final byte[] NO_TOKEN = new byte[32];

    /** The user whose credential of {@code scheme} this is, or {@code null} if none. */
    public String userOf(String scheme, String credential) {
        if (credential == null) {
            return null;
        }
        if (CURVE.equals(scheme)) {
            return byCurveKey.get(credential);
        }
        if (TOKEN.equals(scheme)) {
            int colon = credential.indexOf(':');
            User u = colon <= 0 ? null : byName.get(credential.substring(0, colon));
            // Hashed and compared whether or not the user exists, or has a token: an answer that
            // came sooner for a name not in the file would tell who is.
            byte[] given = sha256(credential.substring(colon + 1));
            boolean known = u != null && u.tokenHash() != null;
            boolean same = java.security.MessageDigest.isEqual(known ? u.tokenHash() : NO_TOKEN, given);
            return known && same ? u.name() : null;
        }
        return null;
    }

    /** The SHA-256 of a token's UTF-8 bytes: what {@code token=} holds, in hex. */
    public static byte[] sha256(String token) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256, which every JDK has, is missing", e);
        }
    }

    /** Whether {@code user} may read {@code channel} ({@value Names#ALL}: only with {@code *} or ALL named). */
    public boolean mayRead(String user, String channel) {
        User u = user == null ? null : byName.get(user);
        return u != null && allows(u.read(), channel);
    }

    /**
     * Checks that {@code user} is known and may post to {@code channel}.
     *
     * @throws ProtocolException naming the user and the channel if not
     */
    public void requireWrite(String user, String channel) throws ProtocolException {
        User u = byName.get(user);
        if (u == null) {
            throw new ProtocolException("user " + Names.quote(user) + " is not a user of this server");
        }
        if (!allows(u.write(), channel)) {
            throw new ProtocolException("user " + user + " may not post to " + channel);
        }
    }

    private static boolean allows(List<String> rules, String channel) {
        for (String rule : rules) {
            if (rule.equals("*") || rule.equals(channel)) {
                return true;
            }
            if (rule.endsWith("*") && !Names.ALL.equals(channel)
                    && channel.startsWith(rule.substring(0, rule.length() - 1))) {
                return true;
            }
        }
        return false;
    }

    /** How many users the file names. */
    public int size() {
        return byName.size();
    }

    @Override
    public String toString() {
        return "Users[" + byName.size() + "]";
    }
}
