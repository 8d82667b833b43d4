package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.apps.SlashCommands.Help;
import org.parley.apps.SlashCommands.Join;
import org.parley.apps.SlashCommands.JoinRule;
import org.parley.apps.SlashCommands.Quit;
import org.parley.apps.SlashCommands.Refused;
import org.parley.apps.SlashCommands.Text;

/** The one reading of a typed line that every interactive client shares. */
class SlashCommandsTest {
    private static final SlashCommands ONE = new SlashCommands(JoinRule.oneChannel("leaves for another channel"));
    private static final SlashCommands TOPICS = new SlashCommands(JoinRule.channels("registers for these", 3));
    private static final SlashCommands NONE = new SlashCommands(JoinRule.none("this client posts to general only"));

    @Test
    void aLineWithoutALeadingSlashIsTextAsTyped() {
        for (String line : List.of("hello", " /help", "a/b", "x //y", "\t/quit", "100% /join dev")) {
            assertEquals(new Text(line), ONE.parse(line), line);
        }
    }

    @Test
    void aDoubleSlashSendsTheRestWithOneSlashLess() {
        assertEquals(new Text("/x"), ONE.parse("//x"));
        assertEquals(new Text("/help"), ONE.parse("//help"));
        assertEquals(new Text("//"), ONE.parse("///"));
        assertEquals(new Text("/"), ONE.parse("//"));
        assertEquals(new Text("/join dev now"), TOPICS.parse("//join dev now"));
    }

    @Test
    void helpAndQuitTakeNoArgumentAndAnyCase() {
        assertEquals(new Help(), ONE.parse("/help"));
        assertEquals(new Help(), ONE.parse("/HELP  "));
        assertEquals(new Quit(), ONE.parse("/quit"));
        assertEquals(new Quit(), NONE.parse("/Quit"));
        assertEquals(new Refused("/help takes no argument"), ONE.parse("/help me"));
        assertEquals(new Refused("/quit takes no argument; nothing was done"), ONE.parse("/quit now"));
    }

    @Test
    void joinTakesChannelsCheckedWithTheCommandLinesRule() {
        assertEquals(new Join(List.of("dev")), ONE.parse("/join dev"));
        assertEquals(new Join(List.of("ALL")), ONE.parse("/join   ALL "));
        assertEquals(new Join(List.of("ops", "dev")), TOPICS.parse("/join ops dev"));
        assertEquals(new Refused("/join needs a channel: /join <channel>"), ONE.parse("/join"));
        assertEquals(new Refused("/join takes one channel: /join <channel>"), ONE.parse("/join a b"));
        assertEquals(new Refused("/join takes at most 3 topics"), TOPICS.parse("/join a b c d"));
        Refused bad = assertInstanceOf(Refused.class, ONE.parse("/join dev/ops"));
        assertEquals("channel \"dev/ops\" breaks the rule [\\p{L}\\p{N}_.-]{1,64}"
                + " (1 to 64 letters, digits, _ - .); nothing changed", bad.message());
        Refused oneBadOfTwo = assertInstanceOf(Refused.class, TOPICS.parse("/join dev " + "x".repeat(65)));
        assertTrue(oneBadOfTwo.message().startsWith("channel \"xxx"), oneBadOfTwo.message());
    }

    @Test
    void aClientWithNothingToJoinSaysSoInOneLine() {
        assertEquals(new Refused("/join: this client posts to general only"), NONE.parse("/join dev"));
        assertEquals(new Refused("/join: this client posts to general only"), NONE.parse("/join"));
    }

    @Test
    void anUnknownWordIsRefusedWithTheLineThatSaysWhereTheCommandsAre() {
        assertEquals(new Refused("unknown command /nope; /help lists the commands"), ONE.parse("/nope"));
        assertEquals(new Refused("unknown command /nope; /help lists the commands"), ONE.parse("/nope with words"));
        assertEquals(new Refused("unknown command /; /help lists the commands"), ONE.parse("/"));
        assertEquals(new Refused("unknown command /; /help lists the commands"), ONE.parse("/ help"));
        Refused longWord = assertInstanceOf(Refused.class, ONE.parse("/" + "y".repeat(70_000)));
        assertEquals("unknown command /" + "y".repeat(40) + "...; /help lists the commands", longWord.message());
    }

    @Test
    void whoAndChannelsAreCommandsThatTakeNoArgument() {
        assertEquals(new SlashCommands.Who(), ONE.parse("/who"));
        assertEquals(new SlashCommands.Channels(), ONE.parse("/CHANNELS"));
        assertEquals(new Refused("/who takes no argument: it lists this channel"), ONE.parse("/who dev"));
        assertEquals(new Refused("/channels takes no argument"), TOPICS.parse("/channels x"));
    }

    @Test
    void helpListsEveryCommandOnALineOfItsOwn() {
        assertEquals(List.of(
                "/help             lists these commands",
                "/join <channel>   leaves for another channel",
                "/who              lists who is in this channel",
                "/channels         lists the channels in use and how many are in each",
                "/quit             leaves, as Ctrl-D does",
                "//text            sends /text (a line that starts with one / is a command, never sent)"), ONE.help());
        assertEquals("/join <topic> [<topic>...]   registers for these", TOPICS.help().get(1));
        assertEquals("/join       (this client posts to general only)", NONE.help().get(1));
    }
}
