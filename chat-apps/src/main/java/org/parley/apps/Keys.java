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
import org.parley.core.internal.SignedTokens;
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
                return "<name>|<folder/name> | --token <name> | --secret <file> | --sign <name> --secret <file> [--for S]";
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
                        + "written, and the users file holds only its SHA-256"),
                        new Option("--secret <file>", "writes a new secret for signed tokens, readable by its "
                                + "owner only"),
                        new Option("--sign <name>", "prints a token for <name> signed with --secret's file, good for "
                                + "--for seconds (default 3600)"));
            }

            @Override
            public int run(String[] args) throws Exception {
                return keygen(args);
            }
        });
    }

    static final String SECRET = "--secret";

    private static int keygen(String[] args) throws Cli.UsageException, Cli.FailureException {
        if (args.length == 2 && args[0].equals(SECRET)) {
            Path file = Path.of(args[1]);
            if (Files.exists(file)) {
                throw new Cli.FailureException(file + " exists already: move it away first (a new secret voids "
                        + "every token signed with the old one)");
            }
            byte[] random = new byte[SignedTokens.MIN_SECRET_BYTES];
            new java.security.SecureRandom().nextBytes(random);
            try {
                write(file, w -> w.write(java.util.Base64.getEncoder().encodeToString(random) + "\n"), true);
            } catch (IOException e) {
                throw new Cli.FailureException("cannot write " + file + ": " + e.getMessage());
            }
            System.out.println("wrote " + file + " (keep it secret: whoever has it can sign tokens for any user)");
            return 0;
        }
        if (args.length >= 2 && args[0].equals("--sign")) {
            String name = Cli.user(args[1]);
            String secretFile = null;
            long seconds = 3600;
            for (int i = 2; i < args.length; i++) {
                if (args[i].equals(SECRET) && i + 1 < args.length) {
                    secretFile = args[++i];
                } else if (args[i].equals("--for") && i + 1 < args.length) {
                    try {
                        seconds = Long.parseLong(args[++i]);
                    } catch (NumberFormatException e) {
                        seconds = 0;
                    }
                    if (seconds < 1 || seconds > 366L * 24 * 3600) {
                        throw new Cli.UsageException("--for takes a whole number of seconds, 1 to a year");
                    }
                } else {
                    throw new Cli.UsageException("unexpected argument \"" + args[i] + "\"");
                }
            }
            if (secretFile == null) {
                throw new Cli.UsageException("--sign needs " + SECRET + " <file>");
            }
            java.time.Instant until = java.time.Instant.now().plusSeconds(seconds);
            System.out.println(new SignedTokens(readSecret(secretFile)).sign(name, until));
            return 0;
        }
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

    /** The secret in a file {@code keygen --secret} wrote (base64 of at least 32 bytes). */
    static byte[] readSecret(String file) throws Cli.FailureException {
        Path path = Path.of(file);
        String text;
        try {
            if (!Files.isRegularFile(path)) {
                throw new Cli.FailureException("secret file " + Names.quote(file) + " does not exist");
            }
            if (Files.size(path) > 4096) {
                throw new Cli.FailureException("secret file " + Names.quote(file) + " is not one: too long");
            }
            text = Files.readString(path).strip();
        } catch (IOException e) {
            throw new Cli.FailureException("secret file " + Names.quote(file) + " cannot be read: " + e.getMessage(), e);
        }
        try {
            byte[] secret = java.util.Base64.getDecoder().decode(text);
            if (secret.length < SignedTokens.MIN_SECRET_BYTES) {
                throw new Cli.FailureException("secret file " + Names.quote(file) + " holds fewer than "
                        + SignedTokens.MIN_SECRET_BYTES + " bytes (keygen --secret writes one)");
            }
            return secret;
        } catch (IllegalArgumentException e) {
            throw new Cli.FailureException("secret file " + Names.quote(file) + " is not base64 (keygen --secret "
                    + "writes one): " + e.getMessage(), e);
        }
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
