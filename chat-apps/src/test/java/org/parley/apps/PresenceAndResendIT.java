package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * mc_client as a user runs it: who is in a channel (join and leave notices, /who, /channels),
 * and a line typed while the server restarts, which is shown as being sent, then sent, and
 * reaches the others once.
 */
class PresenceAndResendIT extends WithProcesses {
    private static final String TIME = Launched.TIME;



    @Test
    void clientsSeeWhoJoinsAndLeavesAndAskWhoIsThereAndWhichChannelsAreInUse() throws Exception {
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ZmqLaunchersIT.ports(server);
        String post = Integer.toString(ports[0]);
        String pub = Integer.toString(ports[1]);
        Launched alice = start("mc_client", "127.0.0.1", post, pub, "dev", "alice");
        alice.awaitErr("mc_client: joined dev as alice", Launched.SOON);
        Launched bob = start("mc_client", "127.0.0.1", post, pub, "dev", "bob");
        bob.awaitErr("mc_client: joined dev as bob", Launched.SOON);
        // Each says every 5 s that it is there.
        alice.awaitErr("mc_client: bob joined dev", Launched.SOON);

        bob.type("/who");
        bob.awaitErr("mc_client: in dev: alice, bob", Launched.SOON);
        bob.type("/channels");
        bob.awaitErr("mc_client: channels: dev \\(2 here\\)", Launched.SOON);

        bob.type("/quit");
        assertEquals(0, bob.exitCode(Launched.SOON));
        // Gone after 15 s of silence.
        alice.awaitErr("mc_client: bob left dev", Duration.ofSeconds(45)); // 15 s of silence, then a refresh, on a busy machine
        assertTrue(bob.err().stream().noneMatch(l -> l.contains("Exception")), bob.err().toString());
    }

    @Test
    void aLineTypedWhileTheServerRestartsIsShownAsSendingThenSentAndArrivesOnce() throws Exception {
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ZmqLaunchersIT.ports(server);
        String post = Integer.toString(ports[0]);
        String pub = Integer.toString(ports[1]);
        Launched alice = start("mc_client", "127.0.0.1", post, pub, "dev", "alice");
        Launched bob = start("mc_client", "127.0.0.1", post, pub, "dev", "bob");
        ZmqLaunchersIT.awaitJoined(ports, "dev", alice, bob);

        server.terminate(); // Ctrl-C
        assertEquals(0, server.exitCode(Launched.SOON));
        alice.awaitErr("mc_client: connection lost, reconnecting\\.\\.\\.", Launched.SOON);
        alice.type("typed while the server was away");
        alice.awaitErr("mc_client: sending \"typed while the server was away\"\\.\\.\\.", Launched.SOON);

        Launched again = start("mc_server", "127.0.0.1", post, pub);
        again.awaitErr(".*listening.*", Launched.SOON);
        alice.awaitErr("mc_client: reconnected", Launched.WAIT);
        alice.awaitErr("mc_client: sent \"typed while the server was away\"", Launched.WAIT);
        bob.awaitOut("alice: typed while the server was away " + TIME, Launched.WAIT);
        alice.type("and after it came back");
        bob.awaitOut("alice: and after it came back " + TIME, Launched.SOON);
        assertEquals(1, bob.out().stream().filter(l -> l.contains("typed while the server was away")).count(),
                bob.out().toString());
        for (Launched client : List.of(alice, bob)) {
            assertTrue(client.err().stream().noneMatch(l -> l.contains("Exception") || l.contains("\tat ")),
                    client.err().toString());
        }
    }

    @Test
    void aClientWithoutItsServerForLongerThanRetryForGivesUpWithOneLine() throws Exception {
        Launched server = start("mc_server", "127.0.0.1", "0", "0");
        int[] ports = ZmqLaunchersIT.ports(server);
        Launched alice = start("mc_client", "127.0.0.1", Integer.toString(ports[0]), Integer.toString(ports[1]), "dev",
                "alice", "--retry-for", "1");
        alice.awaitErr("mc_client: joined dev as alice", Launched.SOON);
        server.terminate();
        assertEquals(1, alice.exitCode(Launched.WAIT));
        alice.awaitErr("mc_client: connection lost, reconnecting\\.\\.\\.", Launched.SOON);
        alice.awaitErr("mc_client: gave up reconnecting to tcp://127.0.0.1:" + ports[0] + " after 1 s", Launched.SOON);
        assertTrue(alice.err().stream().noneMatch(l -> l.contains("Exception") || l.contains("\tat ")),
                alice.err().toString());
    }
}
