package org.parley.apps;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.parley.core.internal.Names;
import org.zeromq.ZCert;
import org.zeromq.ZConfig;

/**
 * CurveZMQ key files and the {@code keygen} command that writes them: ZeroMQ's certificate
 * format (as CZMQ's {@code zcert} writes it), {@code <name>.key} holding both keys (kept
 * secret) and {@code <name>.pub} the public key alone.
 */
final class Keys {
    static final String KEY = "--key";
    static final String SERVER_KEY = "--server-key";
    static final String AUTH = "--auth";

    private Keys() {
    }

    /** A key pair read from a file, each key 40 characters of Z85; {@code secret} null for a public key file. */
    record Pair(String publicKey, String secret) {
    }

    static List<Command> all() {
        return List.of(new Command() {
            @Override
            public String name() {
                return "keygen";
            }

            @Override
            public String arguments() {
                return "<name>|<folder/name> | --token <name>";
            }

            @Override
            public String summary() {
                return "Writes a new CurveZMQ key pair for a user or a server: <name>.key (both keys: keep it "
                        + "secret) and <name>.pub (the public key, to hand out), in this folder or the one given, "
                        + "and prints the line that names the user in a server's users file. With --token, "
                        + "prints a new secret token for the user instead (for chat -topic --token), and its line.";
            }

            @Override
            public List<Option> options() {
                return List.of(new Option("--token <name>", "a token for TCP over TLS, printed once: nothing is "
                        + "written, and the users file holds only its SHA-256"));
            }

            @Override
            public int run(String[] args) throws Exception {
                return keygen(args);
            }
        });
    }

    private static int keygen(String[] args) throws Cli.UsageException, Cli.FailureException {
        if (args.length == 2 && args[0].equals("--token")) {
            String name = Cli.user(args[1]);
            byte[] random = new byte[24];
            new java.security.SecureRandom().nextBytes(random);
            String token = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            System.out.println("token for " + name + " (shown once; give it to " + name + " alone): " + token);
            System.out.println("for a server's users file: " + name + " token="
                    + java.util.HexFormat.of().formatHex(org.parley.core.internal.Users.sha256(token)));
            return 0;
        }
        Cli.requireCount(args, 1);
        Path given = Path.of(args[0]);
        String name = Cli.user(given.getFileName() == null ? args[0] : given.getFileName().toString());
        ZCert cert = new ZCert();
        Path secret = given.resolveSibling(name + ".key");
        Path pub = given.resolveSibling(name + ".pub");
        if (Files.exists(secret) || Files.exists(pub)) {
            throw new Cli.FailureException((Files.exists(secret) ? secret : pub)
                    + " exists already: move it away first (a new key would lock out whoever uses the old one)");
        }
        try {
            write(secret, w -> cert.saveSecret(w), true);
            write(pub, w -> cert.savePublic(w), false);
        } catch (IOException e) {
            throw new Cli.FailureException("cannot write the key files: " + e.getMessage());
        }
        System.out.println("wrote " + secret + " (keep it secret) and " + pub);
        System.out.println("for a server's users file: " + name + " curve=" + cert.getPublicKeyAsZ85());
        return 0;
    }

    private interface Saver {
        void save(Writer writer) throws IOException;
    }

    private static void write(Path file, Saver saver, boolean secret) throws IOException {
        StringWriter text = new StringWriter();
        saver.save(text);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    secret ? "rw-------" : "rw-r--r--")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file); // a file system without POSIX permissions
        } catch (FileAlreadyExistsException e) {
            throw new IOException(file + " exists already");
        }
        Files.writeString(file, text.toString(), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * Reads a key file that {@code keygen} (or CZMQ's {@code zcert}) wrote.
     *
     * @param secret whether the secret key is needed ({@code .key}); else a {@code .pub} does
     * @throws Cli.FailureException naming the file and what is wrong with it
     */
    static Pair read(String file, boolean secret) throws Cli.FailureException {
        Path path = Path.of(file);
        ZConfig config;
        try {
            if (!Files.isRegularFile(path)) {
                throw new Cli.FailureException("key file " + Names.quote(file) + " does not exist");
            }
            if (Files.size(path) > 64 * 1024) {
                throw new Cli.FailureException("key file " + Names.quote(file) + " is not a key file: too long");
            }
            config = ZConfig.load(path.toString());
        } catch (IOException | RuntimeException e) {
            throw new Cli.FailureException("key file " + Names.quote(file) + " cannot be read: " + e.getMessage());
        }
        String publicKey = config == null ? null : config.getValue("curve/public-key");
        String secretKey = config == null ? null : config.getValue("curve/secret-key");
        if (publicKey == null || publicKey.length() != 40) {
            throw new Cli.FailureException("key file " + Names.quote(file)
                    + " is not a key file: it has no curve public-key of 40 characters (keygen writes them)");
        }
        if (secret && (secretKey == null || secretKey.length() != 40)) {
            throw new Cli.FailureException("key file " + Names.quote(file)
                    + " has no secret key: give the .key file that keygen wrote, not the .pub");
        }
        return new Pair(publicKey, secretKey);
    }
}
