package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.zmq.ZmqChatClient;
import org.parley.zmq.ZmqClientOptions;

/**
 * Slash commands typed into the interactive clients, run as processes through a pipe: each does
 * what it says, and none is sent as chat text.
 */
class SlashCommandsIT extends WithProcesses {
    private static final String TIME = Launched.TIME;




    @Test
    void mcClientHelpJoinEscapeUnknownAndQuitDoWhatTheySayAndNoneIsSent() throws Exception {
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ZmqLaunchersIT.ports(server);
        String post = Integer.toString(ports[0]);
        String pub = Integer.toString(ports[1]);
        try (ZmqChatClient prober = ZmqChatClient.connect(ZmqClientOptions.builder()
                .postPort(ports[0]).user("prober").build())) {
            prober.post("ops", "said in ops before dave came").get();
            Launched dave = start("mc_client", "127.0.0.1", post, pub, "dev", "dave");
            Launched watcher = start("mc_client", "127.0.0.1", post, pub, "ALL", "watcher");
            ZmqLaunchersIT.awaitJoined(ports, "dev", dave, watcher);
            dave.awaitErr("-- .*; new messages follow --", Launched.SOON); // the probes may be in its history

            dave.type("/help");
            dave.awaitErr("/help +lists these commands", Launched.SOON);
            dave.awaitErr("/join <channel> +leaves this channel for another.*", Launched.SOON);
            dave.awaitErr("/quit +leaves, as Ctrl-D does", Launched.SOON);
            dave.awaitErr("//text +sends /text .*", Launched.SOON);

            dave.type("//x");
            watcher.awaitOut("\\[dev] dave: /x " + TIME, Launched.SOON);
            dave.type("/nope");
            dave.awaitErr("mc_client: unknown command /nope; /help lists the commands", Launched.SOON);
            dave.type("/join dev/ops");
            dave.awaitErr("mc_client: channel \"dev/ops\" breaks the rule .*; nothing changed", Launched.SOON);
            dave.type("still in dev");
            watcher.awaitOut("\\[dev] dave: still in dev " + TIME, Launched.SOON);

            // Another channel, with its recent history as on start; the old one is left.
            dave.type("/join ops");
            dave.awaitErr("mc_client: joined ops as dave", Launched.SOON);
            dave.awaitOut("prober: said in ops before dave came " + TIME, Launched.SOON);
            dave.awaitErr("-- 1 earlier message above; new messages follow --", Launched.SOON);
            dave.type("in ops now");
            watcher.awaitOut("\\[ops] dave: in ops now " + TIME, Launched.SOON);
            prober.post("dev", "dev after dave left").get();
            prober.post("ops", "ops after dave came").get(); // published after the other
            dave.awaitOut("prober: ops after dave came " + TIME, Launched.SOON);
            // His own post, live or (had his new subscription not yet reached the server) fetched
            // before the next message of ops.
            dave.awaitOut("dave: in ops now " + TIME, Launched.SOON);
            // Still in dev, dave would have printed the one published before it.
            assertTrue(dave.out().stream().noneMatch(l -> l.contains("dev after dave left")), dave.out().toString());

            // ALL is read-only, as on start.
            dave.type("/join ALL");
            dave.awaitErr("mc_client: joined ALL as dave \\(read-only.*", Launched.SOON);
            dave.type("can I post here?");
            dave.awaitErr("mc_client: channel ALL is read-only: this line was not sent.*", Launched.SOON);

            dave.type("/join dev");
            dave.awaitErrAll("mc_client: joined dev as dave", 2, Launched.SOON);
            dave.type("last words");
            dave.type("/quit");
            dave.type("after quit"); // never read: /quit ended input
            assertEquals(0, dave.exitCode(Launched.SOON), dave.err().toString()); // standard input is still open
            watcher.awaitOut("\\[dev] dave: last words " + TIME, Launched.SOON); // acknowledged before it left
            prober.post("dev", "the end").get(); // published after anything dave posted
            watcher.awaitOut("\\[dev] prober: the end " + TIME, Launched.SOON);

            List<String> seen = watcher.out();
            assertTrue(seen.stream().noneMatch(l -> l.matches("\\[\\w+] dave: /(help|nope|join|quit).*")
                    || l.contains("after quit") || l.contains("can I post")), seen.toString());
        }
    }

    @Test
    void topicClientHelpJoinEscapeUnknownAndQuitDoWhatTheySayAndNoneIsSent() throws Exception {
        Launched server = start("topicserver", "0");
        String address = "127.0.0.1:" + TcpChatIT.portOf(server);
        Launched a = start("chat", "-topic", address, "dev");
        Launched b = start("chat", "-topic", address, "dev", "ops");
        a.nextErrContaining("connected to");
        b.nextErrContaining("connected to");
        a.handshake(b, "dev");

        a.type("/help");
        a.awaitErr("/help +lists these commands", Launched.SOON);
        a.awaitErr("/join <topic> \\[<topic>\\.\\.\\.] +registers for these topics instead.*", Launched.SOON);
        a.awaitErr("/quit +leaves, as Ctrl-D does", Launched.SOON);
        a.awaitErr("//text +sends /text .*", Launched.SOON);

        a.type("//x");
        b.nextOut("dev:/x");
        a.type("/nope");
        a.awaitErr("chat: unknown command /nope; /help lists the commands", Launched.SOON);
        a.type("/join no/pe");
        a.awaitErr("chat: channel \"no/pe\" breaks the rule .*; nothing changed", Launched.SOON);
        a.type("still in dev");
        b.nextOut("dev:still in dev");

        // A new registration replaces the topics: a hears ops only, and posts there.
        a.type("/join ops");
        a.awaitErr("chat: registered for ops; typed lines go to ops", Launched.SOON);
        a.handshake(b, "ops");
        b.type("dev after a left"); // b's lines go to dev, which a has left
        b.type("/join ops dev");
        b.awaitErr("chat: registered for ops dev; typed lines go to ops", Launched.SOON);
        b.type("ops after");
        a.nextOut("ops:ops after"); // b's connection sent it after the one to dev

        a.type("last words");
        a.type("/quit");
        a.type("after quit"); // never read: /quit ended input
        assertEquals(0, a.exitCode(), a.err().toString()); // standard input is still open
        b.nextOut("ops:last words");
        // A client that connects now sends after anything a could have sent.
        Launched c = start("chat", "-topic", address, "ops");
        c.nextErrContaining("connected to");
        c.handshake(b, "ops");

        assertTrue(a.out().stream().noneMatch(l -> l.contains("dev after a left")), a.out().toString());
        List<String> seen = b.out();
        assertTrue(seen.stream().noneMatch(l -> l.matches("\\w+:/(help|nope|join|quit).*") || l.contains("after quit")),
                seen.toString());
    }

    @Test
    void interactiveClientAndDirectModeSayInOneLineThatTheyHaveNothingToJoin() throws Exception {
        Launched server = start("pub_server", "127.0.0.1", "0", "0");
        int[] ports = ZmqLaunchersIT.ports(server);
        Launched alice = start("interactive_client", "127.0.0.1", Integer.toString(ports[0]),
                Integer.toString(ports[1]), "alice", "--history", "0");
        int free = TcpChatIT.freePort();
        Launched host = start("chat", "-direct", Integer.toString(free));

        alice.awaitErr("interactive_client: joined general as alice", Launched.WAIT);
        alice.type("/join dev");
        alice.awaitErr("interactive_client: /join: this client posts to general only \\(mc_client joins other channels\\)",
                Launched.SOON);
        alice.type("/quit");
        assertEquals(0, alice.exitCode(Launched.SOON));

        host.nextErrContaining("listening on port " + free);
        host.type("/join dev");
        host.awaitErr("chat: /join: direct mode has no topics: typed lines go to the peers \\(chat -topic has topics\\)",
                Launched.SOON);
        host.type("/quit");
        assertEquals(0, host.exitCode(Launched.SOON));
        assertTrue(alice.err().stream().noneMatch(l -> l.contains("not sent")), alice.err().toString());
        assertTrue(alice.err().stream().noneMatch(l -> l.startsWith("--")), "no history asked, no marker: " + alice.err());
        assertTrue(host.err().stream().noneMatch(l -> l.contains("not sent")), host.err().toString());
    }
}
