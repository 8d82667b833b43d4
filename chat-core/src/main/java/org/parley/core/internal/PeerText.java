package org.parley.core.internal;

/**
 * What a log line may show of something a peer sent: a short prefix, with every character
 * that could forge a line or repaint a terminal escaped. A log says what happened; it never
 * grows by what an attacker sends.
 *
 * <p>Not part of Parley's API: it may change without notice.
 *
 * <p>Thread safety: stateless.
 */
public final class PeerText {
    /** Characters of a peer's text that a log line shows at most. */
    public static final int MAX_SHOWN = 64;

    private PeerText() {
    }

    /**
     * {@code text} quoted, at most {@value #MAX_SHOWN} characters of it, controls, format
     * characters (such as U+202E) and non-ASCII shown as {@code \}{@code uXXXX}; longer text ends with
     * {@code ...(N chars)}.
     */
    public static String excerpt(String text) {
        return excerpt(text, MAX_SHOWN);
    }

    /**
     * {@link #excerpt(String)} showing up to {@code maxShown} characters: for a peer's text
     * that is usually a sentence, such as a server's error message.
     */
    public static String excerpt(String text, int maxShown) {
        if (text == null) {
            return "(missing)";
        }
        int shown = Math.min(text.length(), maxShown);
        StringBuilder out = new StringBuilder(shown + 16).append('"');
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                out.append(c);
            } else if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('"');
        if (text.length() > shown) {
            out.append("...(").append(text.length()).append(" chars)");
        }
        return out.toString();
    }
}
