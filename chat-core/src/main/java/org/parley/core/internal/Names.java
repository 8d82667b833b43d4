package org.parley.core.internal;

import org.parley.core.ChatClient;

import org.parley.core.ProtocolException;

import java.util.regex.Pattern;

/**
 * The naming and text rules of the protocol, in one place for every transport.
 *
 * <ul>
 *   <li>user name: 1..32 Unicode letters, digits, {@code _}, {@code -}, {@code .}
 *       ({@value #USER_RULE});</li>
 *   <li>channel or topic: 1..64 of the same ({@value #CHANNEL_RULE});</li>
 *   <li>{@value #ALL}: the reserved, read-only channel that sees every channel; reserved as a
 *       user name too (exact and case-sensitive: {@code all} and {@code All} are ordinary
 *       names);</li>
 *   <li>text: valid UTF-8, not blank, no NUL, at most {@link ChatLimits#maxTextBytes()}.</li>
 * </ul>
 *
 * <p>A value that breaks a rule is rejected with a {@link ProtocolException} naming the rule;
 * it is never truncated or cleaned.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
public final class Names {
    /** The reserved channel that sees every channel and cannot be posted to. */
    public static final String ALL = ChatClient.ALL;
    /** The channel used when none is given. */
    public static final String DEFAULT_CHANNEL = ChatClient.DEFAULT_CHANNEL;
    public static final String USER_RULE = "[\\p{L}\\p{N}_.-]{1,32}";
    public static final String CHANNEL_RULE = "[\\p{L}\\p{N}_.-]{1,64}";
    /** A post id, chosen by the client so that a post sent again is recorded once: the channel rule. */
    public static final String POST_ID_RULE = CHANNEL_RULE;
    public static final int MAX_USER_LENGTH = 32;
    public static final int MAX_CHANNEL_LENGTH = 64;
    /** The error for the user name {@value #ALL}, on every transport and launcher. */
    public static final String RESERVED_USER_ERROR =
            "user name \"ALL\" is reserved: ALL is the channel that sees every channel";

    /** The same rules as regular expressions, for documentation and tests. */
    public static final Pattern USER_PATTERN = Pattern.compile(USER_RULE);
    public static final Pattern CHANNEL_PATTERN = Pattern.compile(CHANNEL_RULE);

    private Names() {
    }

    /** Whether {@code name} is a valid user name: it fits the rule and is not {@value #ALL}. */
    public static boolean isValidUser(String name) {
        return fitsRule(name, MAX_USER_LENGTH) && !ALL.equals(name);
    }

    /** Whether {@code name} is a valid channel name; {@value #ALL} is one. */
    public static boolean isValidChannel(String name) {
        return fitsRule(name, MAX_CHANNEL_LENGTH);
    }

    /** Returns {@code name} if it is a valid user name. */
    public static String requireUser(String name) throws ProtocolException {
        if (ALL.equals(name)) {
            throw new ProtocolException(RESERVED_USER_ERROR);
        }
        if (!isValidUser(name)) {
            throw new ProtocolException(broken("user name", name, USER_RULE));
        }
        return name;
    }

    /** Returns {@code name} if it is a valid channel to read: any channel or {@value #ALL}. */
    public static String requireChannel(String name) throws ProtocolException {
        if (!isValidChannel(name)) {
            throw new ProtocolException(broken("channel", name, CHANNEL_RULE));
        }
        return name;
    }

    /**
     * {@link #requireUser} for a caller's own argument, where a broken rule is a mistake in the
     * calling code: returns {@code name}, or throws {@link IllegalArgumentException}.
     */
    public static String checkUser(String name) {
        if (ALL.equals(name)) {
            throw new IllegalArgumentException(RESERVED_USER_ERROR);
        }
        if (!isValidUser(name)) {
            throw new IllegalArgumentException(broken("user name", name, USER_RULE));
        }
        return name;
    }

    /** {@link #requireChannel} for a caller's own argument: throws {@link IllegalArgumentException}. */
    public static String checkChannel(String name) {
        if (!isValidChannel(name)) {
            throw new IllegalArgumentException(broken("channel", name, CHANNEL_RULE));
        }
        return name;
    }

    /** The one wording of a broken naming rule, whichever exception carries it. */
    private static String broken(String what, String name, String rule) {
        return what + " " + quote(name) + " breaks the rule " + rule;
    }

    /**
     * Returns {@code id} if it is a valid post id: {@code null} (none), or 1..64 of the characters
     * of a channel name ({@value #POST_ID_RULE}).
     */
    public static String requirePostId(String id) throws ProtocolException {
        if (id != null && !fitsRule(id, MAX_CHANNEL_LENGTH)) {
            throw new ProtocolException(broken("post id", id, POST_ID_RULE));
        }
        return id;
    }

    /** Returns {@code name} if it is a channel that may be posted to: valid and not {@value #ALL}. */
    public static String requireWritableChannel(String name) throws ProtocolException {
        requireChannel(name);
        if (ALL.equals(name)) {
            throw new ProtocolException("channel ALL is read-only");
        }
        return name;
    }

    /** Returns {@code text} if it is valid UTF-8, not blank, free of NUL and within the limit. */
    public static String requireText(String text, ChatLimits limits) throws ProtocolException {
        if (text == null) {
            throw new ProtocolException("text is missing");
        }
        int bytes = 0;
        boolean blank = true;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                throw new ProtocolException("text contains a NUL character at index " + i);
            }
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    throw new ProtocolException("text is not valid UTF-8: unpaired surrogate at index " + i);
                }
                bytes += 4;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw new ProtocolException("text is not valid UTF-8: unpaired surrogate at index " + i);
            } else {
                bytes += 3;
            }
            if (blank && !Character.isWhitespace(c) && !Character.isSpaceChar(c)) {
                blank = false;
            }
        }
        if (blank) {
            throw new ProtocolException("text is blank");
        }
        if (bytes > limits.maxTextBytes()) {
            throw new ProtocolException(
                    "text of " + bytes + " bytes exceeds the limit of " + limits.maxTextBytes());
        }
        return text;
    }

    /**
     * The display rule: {@code text} as a terminal or a page may show it on one line. C0 and C1
     * control characters but tab (a newline, an escape sequence that would repaint the
     * screen), DEL, and the bidirectional controls U+061C, U+200E, U+200F, U+202A to U+202E
     * and U+2066 to U+2069 (which could make a line read in another order than it was
     * written) are each shown as U+FFFD. Everything else, the other format characters such as
     * the zero-width joiner of an emoji sequence included, is shown as it is. Names cannot
     * hold any of these characters: the naming rule admits letters, digits, {@code _ . -} only.
     */
    public static String printable(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isHidden(c)) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    private static boolean isHidden(char c) {
        if (c < 0x20) {
            return c != '\t';
        }
        if (c < 0x7f) {
            return false;
        }
        return c <= 0x9f || c == 0x061c || c == 0x200e || c == 0x200f
                || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    }

    /** A value as it appears in an error or a log line: quoted, and shortened if it is very long. */
    public static String quote(String value) {
        if (value == null) {
            return "(missing)";
        }
        String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return '"' + shown + '"';
    }

    // Hand-written equivalent of the regular expressions (checked against them in NamesTest):
    // the hub validates every message, and this avoids a regex match per post.
    private static boolean fitsRule(String name, int maxCodePoints) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        int count = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if (!isNameCodePoint(cp) || ++count > maxCodePoints) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static boolean isNameCodePoint(int cp) {
        if (cp < 0x80) {
            // ASCII, the usual case, without a look-up: its only letters and digits are these.
            return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')
                    || cp == '_' || cp == '.' || cp == '-';
        }
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER,
                    Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
                return true;
            default:
                return false;
        }
    }
}
