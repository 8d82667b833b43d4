package org.parley.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keygen, and ZeroMQ servers and clients with keys, as a user runs them (docs/SECURITY.md). */
class AuthIT extends WithProcesses {
    @TempDir
    Path dir;

    /** Runs {@code parley keygen <dir>/<name>} and returns the users-file line it printed. */
    private String keygen(String name) throws Exception {
        Launched keygen = start("keygen", dir.resolve(name).toString());
        assertEquals(0, keygen.exitCode(), keygen.err().toString());
        keygen.awaitOut("wrote .*" + name + "\\.key \\(keep it secret\\) and .*" + name + "\\.pub", Launched.SOON);
        return keygen.awaitOut("for a server's users file: " + name + " curve=.{40}", Launched.SOON)
                .substring("for a server's users file: ".length());
    }

    /** The exit code, once the process has ended and its output is all read. */
    private static int exited(Launched l) throws InterruptedException {
        int code = l.exitCode();
        l.awaitOutputEnd(Launched.SOON);
        return code;
    }

    private String key(String name) {
        return dir.resolve(name + ".key").toString();
    }

    private String pub(String name) {
        return dir.resolve(name + ".pub").toString();
    }

    @Test
    void usersWithKeysChatAndNobodySpeaksAsSomeoneElse() throws Exception {
        keygen("server");
        String alice = keygen("alice");
        String bob = keygen("bob");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(key("alice")))));
        Path users = Files.writeString(dir.resolve("users"), alice + "\n" + bob + " write=dev\n");

        Launched server = start("mc_server", "127.0.0.1", "0", "0", "--auth", users.toString(), "--key", key("server"));
        server.awaitErr(".*listening for posts.* \\(CurveZMQ; users of " + users + "\\)", Launched.WAIT);
        int[] ports = ZmqLaunchersIT.ports(server);
        String post = Integer.toString(ports[0]);
        String pubPort = Integer.toString(ports[1]);

        Launched bobClient = start("mc_client", "127.0.0.1", post, pubPort, "general", "bob",
                "--key", key("bob"), "--server-key", pub("server"));
        bobClient.awaitErr("mc_client: joined general as bob", Launched.WAIT);
        // alice posts until bob, whose subscription takes a moment, shows one of hers.
        Launched.probeUntilPrinted(i -> {
            Launched p = start("post_client", "127.0.0.1", post, "alice", "hello bob " + i,
                    "--key", key("alice"), "--server-key", pub("server"));
            assertEquals(0, p.exitCode(), p.err().toString());
        }, "alice: hello bob \\d+ " + Launched.TIME, bobClient);

        // alice's key, bob's name: refused, and nobody sees it.
        Launched forged = start("post_client", "127.0.0.1", post, "bob", "I am bob",
                "--key", key("alice"), "--server-key", pub("server"));
        assertEquals(1, exited(forged));
        assertEquals(List.of("post_client: the server rejected the post: user \"bob\" is not this connection's user: "
                + "its key is alice's"), forged.err());

        // bob's write rule: dev only.
        Launched outside = start("post_client", "127.0.0.1", post, "bob", "to general",
                "--key", key("bob"), "--server-key", pub("server"));
        assertEquals(1, exited(outside));
        assertEquals(List.of("post_client: the server rejected the post: user bob may not post to general"),
                outside.err());

        // No key at all: one line that says what may be wrong.
        Launched plain = start("post_client", "127.0.0.1", post, "alice", "in clear");
        assertEquals(1, exited(plain));
        assertEquals(1, plain.err().size(), plain.err().toString());
        assertTrue(plain.err().get(0).contains("the server may require a key (CurveZMQ)"), plain.err().toString());

        // A key the server does not know.
        keygen("mallory");
        Launched stranger = start("post_client", "127.0.0.1", post, "mallory", "let me in",
                "--key", key("mallory"), "--server-key", pub("server"));
        assertEquals(1, exited(stranger));
        assertTrue(stranger.err().get(0).contains("the server refused this client's key"), stranger.err().toString());
    }

    @Test
    void mistakesInKeysAndUsersFilesAreOneLineEach() throws Exception {
        keygen("server");
        Launched again = start("keygen", dir.resolve("server").toString());
        assertEquals(1, exited(again));
        assertEquals(List.of("keygen: " + dir.resolve("server.key") + " exists already: move it away first "
                + "(a new key would lock out whoever uses the old one)"), again.err());

        Path users = Files.writeString(dir.resolve("users"), "alice\nbob curve=nonsense\n");
        Launched noKey = start("mc_server", "127.0.0.1", "0", "0", "--auth", users.toString());
        assertEquals(2, exited(noKey));
        assertEquals("mc_server: --auth needs --key: users prove their keys over CurveZMQ, which needs the server's own",
                noKey.err().get(0));

        Launched badUsers = start("mc_server", "127.0.0.1", "0", "0", "--auth", users.toString(), "--key", key("server"));
        assertEquals(1, exited(badUsers));
        assertEquals(1, badUsers.err().size(), badUsers.err().toString());
        assertTrue(badUsers.err().get(0).startsWith("mc_server: users file " + users + ": line 2 curve= takes a public key"),
                badUsers.err().toString());

        Launched keyAlone = start("mc_server", "127.0.0.1", "0", "0", "--key", key("server"));
        assertEquals(2, exited(keyAlone));
        assertEquals("mc_server: --key needs --auth: an encrypted server lets in only the users of a users file",
                keyAlone.err().get(0));

        Path good = Files.writeString(dir.resolve("good-users"), "alice\n");
        Launched pubAsKey = start("mc_server", "127.0.0.1", "0", "0", "--auth", good.toString(), "--key", pub("server"));
        assertEquals(1, exited(pubAsKey));
        assertEquals(List.of("mc_server: key file \"" + pub("server") + "\" has no secret key: give the .key file "
                + "that keygen wrote, not the .pub"), pubAsKey.err());

        Launched halfClient = start("post_client", "127.0.0.1", "1", "alice", "hi", "--key", key("server"));
        assertEquals(2, exited(halfClient));
        assertEquals("post_client: --key and --server-key go together: this user's key pair and the server's public key",
                halfClient.err().get(0));
    }
}
