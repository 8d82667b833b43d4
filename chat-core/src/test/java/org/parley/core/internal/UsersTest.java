package org.parley.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.core.ProtocolException;

class UsersTest {
    private static final String KEY_A = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    private static final String KEY_B = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

    @TempDir
    Path dir;

    private static Users parse(String... lines) throws ProtocolException {
        return Users.parse(List.of(lines));
    }

    @Test
    void keysNameTheirUsersAndRulesLimitWhatEachReadsAndWrites() throws Exception {
        Users users = parse(
                "# comment",
                "",
                "alice curve=" + KEY_A,
                "  bob  curve=" + KEY_B + "  read=dev,team-*  write=dev",
                "carol read= write=");
        assertEquals(3, users.size());
        assertEquals("alice", users.userOf(Users.CURVE, KEY_A));
        assertEquals("bob", users.userOf(Users.CURVE, KEY_B));
        assertNull(users.userOf(Users.CURVE, KEY_A.replace('Y', 'Z')));
        assertNull(users.userOf("token", KEY_A));

        assertTrue(users.mayRead("alice", "anything"));
        assertTrue(users.mayRead("alice", "ALL"));
        users.requireWrite("alice", "anything");

        assertTrue(users.mayRead("bob", "dev"));
        assertTrue(users.mayRead("bob", "team-red"));
        assertFalse(users.mayRead("bob", "team"));
        assertFalse(users.mayRead("bob", "devops"));
        assertFalse(users.mayRead("bob", "ALL"), "a prefix rule does not open ALL");
        users.requireWrite("bob", "dev");
        assertEquals("user bob may not post to ops",
                assertThrows(ProtocolException.class, () -> users.requireWrite("bob", "ops")).getMessage());

        assertFalse(users.mayRead("carol", "dev"), "an empty rule allows nothing");
        assertThrows(ProtocolException.class, () -> users.requireWrite("carol", "dev"));
        assertFalse(users.mayRead("mallory", "dev"));
        assertEquals("user \"mallory\" is not a user of this server",
                assertThrows(ProtocolException.class, () -> users.requireWrite("mallory", "dev")).getMessage());
    }

    @Test
    void aTokenNamesItsUserOnlyWithTheRightTokenAndName() throws Exception {
        String hash = java.util.HexFormat.of().formatHex(Users.sha256("s3cret"));
        Users users = parse("alice token=" + hash, "bob");
        assertEquals("alice", users.userOf(Users.TOKEN, "alice:s3cret"));
        assertNull(users.userOf(Users.TOKEN, "alice:s3cre"));
        assertNull(users.userOf(Users.TOKEN, "bob:s3cret"), "bob has no token");
        assertNull(users.userOf(Users.TOKEN, "s3cret"));
        assertTrue(assertThrows(ProtocolException.class, () -> parse("carol token=" + "A".repeat(64))).getMessage()
                .startsWith("line 1 token= takes the SHA-256 of the token in 64 lowercase hex digits"));
    }

    @Test
    void allIsReadOnlyWithEveryChannelOrByName() throws Exception {
        Users users = parse("watcher read=ALL", "everyone read=*");
        assertTrue(users.mayRead("watcher", "ALL"));
        assertFalse(users.mayRead("watcher", "dev"));
        assertTrue(users.mayRead("everyone", "ALL"));
    }

    @Test
    void aBadLineIsNamedWithWhatIsWrong() {
        assertEquals("line 2 names user \"alice\" a second time",
                assertThrows(ProtocolException.class, () -> parse("alice", "alice")).getMessage());
        assertTrue(assertThrows(ProtocolException.class, () -> parse("ALL")).getMessage().startsWith("line 1 "));
        assertEquals("line 1 has an unknown setting \"password\"; expected curve=, token=, read= or write=",
                assertThrows(ProtocolException.class, () -> parse("alice password=x")).getMessage());
        assertTrue(assertThrows(ProtocolException.class, () -> parse("alice curve=short")).getMessage()
                .startsWith("line 1 curve= takes a public key of 40 Z85 characters"));
        assertEquals("line 2 gives bob the curve key of alice",
                assertThrows(ProtocolException.class, () -> parse("alice curve=" + KEY_A, "bob curve=" + KEY_A))
                        .getMessage());
        assertEquals("line 1 lets a user write to ALL, which is read-only",
                assertThrows(ProtocolException.class, () -> parse("alice write=ALL")).getMessage());
        assertTrue(assertThrows(ProtocolException.class, () -> parse("alice read=dev,no/slash")).getMessage()
                .startsWith("line 1 has a channel rule \"no/slash\""));
    }

    @Test
    void aFileThatCannotBeReadSaysWhichAndWhy() throws Exception {
        Path file = dir.resolve("users");
        Files.write(file, new byte[] {'a', (byte) 0xff, '\n'});
        IOException e = assertThrows(IOException.class, () -> Users.read(file));
        assertTrue(e.getMessage().startsWith("users file " + file + ": its text is not valid UTF-8"), e.getMessage());
        Files.writeString(file, "alice\nbad name here\n");
        e = assertThrows(IOException.class, () -> Users.read(file));
        assertTrue(e.getMessage().startsWith("users file " + file + ": line 2 "), e.getMessage());
        assertThrows(IOException.class, () -> Users.read(dir.resolve("missing")));
        assertEquals("users file " + dir + " is a folder",
                assertThrows(IOException.class, () -> Users.read(dir)).getMessage());
    }
}
