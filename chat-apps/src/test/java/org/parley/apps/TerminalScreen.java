package org.parley.apps;

import java.util.ArrayList;
import java.util.List;

/**
 * What a terminal shows after a stream of output, as lines of text: enough of a terminal to
 * read what JLine draws on a short line (carriage return, erase to the end of the line, cursor
 * moves along and between lines), not a full emulator. Escape sequences that change modes
 * (keypad, bracketed paste, mouse) are read and ignored; output past the last column is kept
 * on the same line rather than wrapped.
 */
final class TerminalScreen {
    private static final char ESC = '\u001b';

    private final List<StringBuilder> rows = new ArrayList<>();
    private int row;
    private int col;

    private TerminalScreen() {
        rows.add(new StringBuilder());
    }

    /** The lines a terminal shows after {@code output}, trailing spaces removed. */
    static List<String> render(String output) {
        TerminalScreen screen = new TerminalScreen();
        screen.write(output);
        return screen.rows.stream().map(r -> r.toString().stripTrailing()).toList();
    }

    private void write(String s) {
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == ESC && i < s.length()) {
                i = escape(s, i);
            } else if (c == '\r') {
                col = 0;
            } else if (c == '\n') {
                moveTo(row + 1);
                col = 0;
            } else if (c == '\b') {
                col = Math.max(0, col - 1);
            } else if (c >= ' ') {
                StringBuilder line = rows.get(row);
                while (line.length() < col) {
                    line.append(' ');
                }
                if (col < line.length()) {
                    line.setCharAt(col, c);
                } else {
                    line.append(c);
                }
                col++;
            } // other control characters (a bell) show nothing
        }
    }

    /** Reads the sequence after an ESC at {@code i}; returns the index after it. */
    private int escape(String s, int i) {
        char kind = s.charAt(i++);
        if (kind == ']') { // an operating system command, up to BEL or ESC backslash
            while (i < s.length() && s.charAt(i) != '\u0007' && s.charAt(i) != ESC) {
                i++;
            }
            return Math.min(s.length(), i + (i < s.length() && s.charAt(i) == ESC ? 2 : 1));
        }
        if (kind != '[') {
            return i; // ESC = , ESC > and the like: one character
        }
        int start = i;
        while (i < s.length() && (s.charAt(i) < 0x40 || s.charAt(i) > 0x7e)) {
            i++;
        }
        if (i == s.length()) {
            return i;
        }
        String params = s.substring(start, i);
        char command = s.charAt(i++);
        if (params.startsWith("?")) {
            return i; // a mode
        }
        int n;
        try {
            n = Integer.parseInt(params.split(";", -1)[0]);
        } catch (NumberFormatException e) {
            n = 1; // none given
        }
        switch (command) {
            case 'K' -> {
                StringBuilder line = rows.get(row);
                if (params.isEmpty() || params.equals("0")) {
                    line.setLength(Math.min(line.length(), col));
                } else if (params.equals("2")) {
                    line.setLength(0);
                }
            }
            case 'J' -> {
                rows.get(row).setLength(Math.min(rows.get(row).length(), col));
                while (rows.size() > row + 1) {
                    rows.remove(rows.size() - 1);
                }
            }
            case 'A' -> moveTo(Math.max(0, row - n));
            case 'B' -> moveTo(row + n);
            case 'C' -> col += n;
            case 'D' -> col = Math.max(0, col - n);
            case 'G' -> col = n - 1;
            default -> {
                // colours and the rest change nothing this reads
            }
        }
        return i;
    }

    private void moveTo(int target) {
        row = target;
        while (rows.size() <= row) {
            rows.add(new StringBuilder());
        }
    }
}
