package org.parley.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.parley.core.internal.Names;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.impl.LineReaderImpl;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Standard input and output of an interactive command.
 *
 * <p>On a terminal, JLine edits the input line and incoming messages print above it, so a
 * half-typed line stays intact. With a pipe, lines are read and printed plainly.
 *
 * <p>Thread safety: {@link #println} may be called from any thread; {@link #readLine} from
 * one thread (the input thread).
 */
abstract class Console implements AutoCloseable {
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|\r|\n");

    /** A terminal console when both standard input and output are terminals, else a plain one. */
    static Console open() {
        return open(false);
    }

    /**
     * Like {@link #open()}; with {@code echoed}, the server sends each line posted back as a
     * message, so on a terminal a typed line is erased once entered: the message is the one
     * line that shows it.
     */
    static Console open(boolean echoed) {
        if (System.console() != null) {
            try {
                return new TerminalConsole(echoed);
            } catch (IOException | RuntimeException e) {
                // Fall back to plain lines: the chat still works, only without line editing.
                return new PlainConsole();
            }
        }
        return new PlainConsole();
    }

    /** The next line typed, or {@code null} at end of input. */
    abstract String readLine() throws IOException;

    /**
     * Reads standard input on a daemon thread of its own (Java cannot wait on it together with
     * a socket): hands each non-blank line to {@code onLine} (each line of a bracketed paste on
     * its own), then runs {@code onEnd} at end of
     * input, once {@code onLine} returned false (the user asked to leave), or after a read
     * error, which it reports as {@code <who>: cannot read standard input}. The thread is a
     * daemon: blocked in a read at exit, it does not keep the process alive.
     */
    void readLinesInBackground(String who, Predicate<String> onLine, Runnable onEnd) {
        Thread input = new Thread(() -> {
            try {
                String line;
                reading:
                while ((line = readLine()) != null) {
                    // A paste the terminal bracketed comes as one text: each of its lines is one.
                    for (String one : LINE_BREAK.split(line, -1)) {
                        if (!one.isBlank() && !onLine.test(one)) { // an empty Enter is not a message
                            break reading;
                        }
                    }
                }
            } catch (IOException | RuntimeException | java.io.IOError e) {
                // One line, never a stack trace: a terminal that went away is no program error.
                try {
                    error(who + ": cannot read standard input: " + e.getMessage());
                } catch (RuntimeException | java.io.IOError closedToo) {
                    // the terminal is gone too: there is nowhere to say it
                }
            } finally {
                onEnd.run();
            }
        }, "parley-input");
        input.setDaemon(true);
        input.start();
    }

    /** Prints one line of output (a message), without disturbing the line being typed. */
    abstract void println(String line);

    /** Prints one line to standard error, without disturbing the line being typed. */
    abstract void error(String line);

    @Override
    public void close() {
    }

    /** The text as it may be shown on one line: {@link Names#printable}, the one display rule. */
    static String printable(String text) {
        return Names.printable(text);
    }

    /** Prints one line of output to standard output as it is, whole, with no console open. */
    static void printLine(String line) {
        PrintStream out = System.out;
        synchronized (out) {
            out.println(printable(line));
            out.flush();
        }
    }

    private static final class PlainConsole extends Console {
        private final BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

        @Override
        String readLine() throws IOException {
            return in.readLine();
        }

        @Override
        void println(String line) {
            printLine(line);
        }

        @Override
        void error(String line) {
            System.err.println(printable(line));
        }
    }

    /**
     * A line reader that draws the line once per burst of input rather than once per character.
     * JLine redraws the whole line after every key, work that grows with the line: a paste of
     * 16 KB without bracketed paste (a terminal that does not support it, or has it off) took
     * 20 s to read, one of 32 KB never ended. While more input is already waiting, the drawing
     * waits for the last of it; a key typed alone is drawn at once.
     *
     * <p>Thread safety: as {@link LineReaderImpl}; the drawing is put off on the thread that
     * reads, only.
     */
    private static final class BurstReader extends LineReaderImpl {
        /** How long a key waits for the next one before the line is drawn. */
        private static final long TYPEAHEAD_MILLIS = 2;
        private volatile Thread reading;

        BurstReader(Terminal terminal) {
            super(terminal, "parley", null);
        }

        @Override
        public String readLine(String prompt) {
            reading = Thread.currentThread();
            try {
                return super.readLine(prompt);
            } finally {
                reading = null;
            }
        }

        @Override
        public boolean redisplay() {
            if (Thread.currentThread() == reading && peekCharacter(TYPEAHEAD_MILLIS) >= 0) {
                return true; // more input is waiting: drawn after it
            }
            return super.redisplay();
        }
    }

    private static final class TerminalConsole extends Console {
        private final Terminal terminal;
        private final LineReader reader;
        private volatile boolean closed;

        TerminalConsole(boolean echoed) throws IOException {
            // UTF-8 whatever the locale, as every other stream of the commands.
            terminal = TerminalBuilder.builder().system(true).encoding(StandardCharsets.UTF_8).build();
            BurstReader burst = new BurstReader(terminal);
            burst.setHistory(new DefaultHistory());
            reader = burst;
            // A chat line is sent as typed: no shell-like history expansion, which would make
            // "!!" the line before and drop every backslash.
            reader.setOpt(LineReader.Option.DISABLE_EVENT_EXPANSION);
            if (echoed) {
                reader.setOpt(LineReader.Option.ERASE_LINE_ON_FINISH);
            }
        }

        @Override
        String readLine() {
            try {
                return reader.readLine("> ");
            } catch (EndOfFileException | UserInterruptException e) {
                return null; // Ctrl-D or Ctrl-C: the user is done
            } catch (IllegalStateException e) {
                if (closed) {
                    return null; // closed under the reader: the client is ending
                }
                throw e;
            }
        }

        @Override
        void println(String line) {
            reader.printAbove(printable(line));
        }

        @Override
        void error(String line) {
            reader.printAbove(printable(line));
        }

        @Override
        public void close() {
            closed = true;
            try {
                terminal.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
