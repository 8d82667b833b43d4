package org.parley.apps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What one typed line is to an interactive client ({@code mc_client}, {@code interactive_client},
 * {@code chat -topic}, {@code chat -direct}): chat text to send, or a command for the client
 * itself. The one parser of the four, so they read a line alike.
 *
 * <p>A line that starts with one {@code /} is a command and is never sent: {@code /help},
 * {@code /quit}, {@code /join}; any other word gets {@code unknown command /word; /help lists the
 * commands}. A line that starts with {@code //} is sent with one slash less, so {@code //text}
 * sends {@code /text}. Every other line is chat text, as typed.
 *
 * <p>Thread safety: immutable; {@link #parse} and {@link #help} may be called from any thread.
 */
final class SlashCommands {
    /** The most characters of an unknown command's word repeated in the line that refuses it. */
    private static final int SHOWN_WORD = 40;

    /** The commands a client understands. */
    private enum Word {
        HELP("/help", "lists these commands"),
        JOIN("/join", null), // its synopsis and meaning are the client's: see JoinRule
        WHO("/who", "lists who is in this channel"),
        CHANNELS("/channels", "lists the channels in use and how many are in each"),
        QUIT("/quit", "leaves, as Ctrl-D does");

        final String synopsis;
        final String meaning;

        Word(String synopsis, String meaning) {
            this.synopsis = synopsis;
            this.meaning = meaning;
        }

        /** The word typed after the slash, in any case. */
        static Word of(String typed) {
            for (Word w : values()) {
                if (w.synopsis.substring(1).equals(typed.toLowerCase(Locale.ROOT))) {
                    return w;
                }
            }
            return null;
        }
    }

    /**
     * How a client takes {@code /join}: its help line ({@code synopsis}, {@code meaning}) and
     * how many channels it takes; none ({@code maxChannels} 0) when the client has nothing to
     * join, and then {@code meaning} is the one line it answers.
     */
    record JoinRule(String synopsis, String meaning, int maxChannels) {
        /** A client of one channel at a time ({@code mc_client}). */
        static JoinRule oneChannel(String meaning) {
            return new JoinRule("/join <channel>", meaning, 1);
        }

        /** A client of up to {@code max} channels at once ({@code chat -topic}). */
        static JoinRule channels(String meaning, int max) {
            return new JoinRule("/join <topic> [<topic>...]", meaning, max);
        }

        /** A client with nothing to join; {@code why} is the line {@code /join} gets, after {@code /join: }. */
        static JoinRule none(String why) {
            return new JoinRule("/join", why, 0);
        }
    }

    /** One typed line, read. */
    sealed interface Input permits Text, Help, Quit, Join, Who, Channels, Refused {
    }

    /** {@code /who}: who is in the current channel. */
    record Who() implements Input {
    }

    /** {@code /channels}: the channels in use. */
    record Channels() implements Input {
    }

    /** Chat text to send, as it is to be sent. */
    record Text(String text) implements Input {
    }

    /** {@code /help}: print {@link #help()}. */
    record Help() implements Input {
    }

    /** {@code /quit}: leave, as at end of input. */
    record Quit() implements Input {
    }

    /** {@code /join}: these channels, checked with the command line's rule, replace the current ones. */
    record Join(List<String> channels) implements Input {
        Join {
            channels = List.copyOf(channels);
        }
    }

    /** A line that is neither sent nor acted on; {@code message} is the one line that says why. */
    record Refused(String message) implements Input {
    }

    private final JoinRule join;

    SlashCommands(JoinRule join) {
        this.join = join;
    }

    /** What {@code line} is. */
    Input parse(String line) {
        if (!line.startsWith("/")) {
            return new Text(line);
        }
        if (line.startsWith("//")) {
            return new Text(line.substring(1));
        }
        // The word is what follows the slash up to white space: "/ help" is no command.
        String[] words = line.substring(1).split("\\s+", -1);
        List<String> args = Arrays.stream(words).skip(1).filter(w -> !w.isEmpty()).toList();
        Word word = Word.of(words[0]);
        if (word == null) {
            String shown = words[0].length() > SHOWN_WORD ? words[0].substring(0, SHOWN_WORD) + "..." : words[0];
            return new Refused("unknown command /" + shown + "; /help lists the commands");
        }
        return switch (word) {
            case HELP -> args.isEmpty() ? new Help() : new Refused("/help takes no argument");
            case QUIT -> args.isEmpty() ? new Quit() : new Refused("/quit takes no argument; nothing was done");
            case JOIN -> join(args);
            case WHO -> args.isEmpty() ? new Who() : new Refused("/who takes no argument: it lists this channel");
            case CHANNELS -> args.isEmpty() ? new Channels() : new Refused("/channels takes no argument");
        };
    }

    private Input join(List<String> channels) {
        if (join.maxChannels() == 0) {
            return new Refused("/join: " + join.meaning());
        }
        if (channels.isEmpty()) {
            return new Refused("/join needs a channel: " + join.synopsis());
        }
        if (channels.size() > join.maxChannels()) {
            return new Refused(join.maxChannels() == 1 ? "/join takes one channel: " + join.synopsis()
                    : "/join takes at most " + join.maxChannels() + " topics");
        }
        for (String channel : channels) {
            try {
                Cli.channel(channel); // the command line's rule and its wording
            } catch (Cli.UsageException e) {
                return new Refused(e.getMessage() + "; nothing changed");
            }
        }
        return new Join(channels);
    }

    /**
     * Reads {@code line} and acts on it, on the thread that reads input: chat text goes to
     * {@code send}, the channels of {@code /join} to {@code join}, {@code /who} and
     * {@code /channels} to {@code ask}; {@code /help} prints
     * {@link #help()} and a refused line its reason (after {@code <who>: }) on {@code console}'s
     * standard error. Returns false for {@code /quit}, true otherwise.
     */
    boolean handle(String line, Console console, String who, Consumer<String> send, Consumer<List<String>> join,
            Consumer<Input> ask) {
        Input input = parse(line);
        if (input instanceof Text t) {
            send.accept(t.text());
        } else if (input instanceof Join j) {
            join.accept(j.channels());
        } else if (input instanceof Who || input instanceof Channels) {
            ask.accept(input);
        } else if (input instanceof Help) {
            help().forEach(console::error);
        } else if (input instanceof Refused r) {
            console.error(who + ": " + r.message());
        }
        return !(input instanceof Quit);
    }

    /** What {@code /help} prints: one line per command, the meanings lined up. */
    List<String> help() {
        List<String[]> rows = new ArrayList<>();
        for (Word w : Word.values()) {
            rows.add(w == Word.JOIN ? new String[] {join.synopsis(), join.maxChannels() == 0 ? "(" + join.meaning() + ")"
                    : join.meaning()} : new String[] {w.synopsis, w.meaning});
        }
        rows.add(new String[] {"//text", "sends /text (a line that starts with one / is a command, never sent)"});
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        List<String> lines = new ArrayList<>();
        for (String[] r : rows) {
            lines.add(r[0] + " ".repeat(width - r[0].length() + 3) + r[1]);
        }
        return lines;
    }
}
