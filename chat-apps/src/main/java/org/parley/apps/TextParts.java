package org.parley.apps;

import java.util.ArrayList;
import java.util.List;
import org.parley.core.internal.ChatLimits;

/**
 * A typed line longer than the text limit, cut into messages that fit it: a paste of any size
 * is sent rather than refused. Shared by the interactive clients of both transports.
 *
 * <p>Thread safety: stateless.
 */
final class TextParts {
    /** The protocol's default text limit, which the servers apply unless configured otherwise. */
    static final int LIMIT = ChatLimits.DEFAULT_MAX_TEXT_BYTES;

    private TextParts() {
    }

    /**
     * {@code text} as parts of at most {@code maxBytes} of UTF-8 each, in order: cut between two
     * characters (never inside one, a surrogate pair included), preferably after the last line
     * break, else after the last white space, in the second half of a part, else as late as the
     * limit allows. The parts together are the text, except parts of white space alone, which
     * are left out (they could not be sent). A text within the limit is one part.
     */
    static List<String> split(String text, int maxBytes) {
        if (maxBytes < 4) {
            throw new IllegalArgumentException("maxBytes < 4: " + maxBytes); // the longest character
        }
        List<String> parts = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = start;
            int bytes = 0;
            while (end < text.length()) {
                int cp = text.codePointAt(end);
                int n = utf8Length(cp);
                if (bytes + n > maxBytes) {
                    break;
                }
                bytes += n;
                end += Character.charCount(cp);
            }
            if (end < text.length()) {
                end = preferredCut(text, start, end);
            }
            String part = text.substring(start, end);
            if (!part.isBlank()) {
                parts.add(part);
            }
            start = end;
        }
        return parts;
    }

    /** The line that says a text was cut: {@code sent in 4 parts: the text limit is 16384 bytes}. */
    static String notice(int parts) {
        return "sent in " + parts + " parts: the text limit is " + LIMIT + " bytes";
    }

    /** Where to end a part that would end at {@code end}: after a line break or a space in its second half, if any. */
    private static int preferredCut(String text, int start, int end) {
        int half = start + (end - start) / 2;
        for (int i = end - 1; i > half; i--) {
            if (text.charAt(i) == '\n') {
                return i + 1;
            }
        }
        for (int i = end - 1; i > half; i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i + 1;
            }
        }
        return end;
    }

    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
}
