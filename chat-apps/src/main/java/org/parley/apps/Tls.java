package org.parley.apps;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.parley.core.internal.Names;

/**
 * TLS for the TCP commands, from PEM files as certificate authorities and {@code openssl} write
 * them: a certificate chain ({@code --tls-cert}) and its private key in PKCS#8
 * ({@code --tls-key}, {@code BEGIN PRIVATE KEY}) for the server; for a client, the certificate
 * (or authority) to trust ({@code --tls-ca}), or the JDK's trusted authorities ({@code --tls}).
 */
final class Tls {
    static final String CERT = "--tls-cert";
    static final String KEY = "--tls-key";
    static final String CA = "--tls-ca";
    static final String ON = "--tls";
    private static final int MAX_PEM_BYTES = 1024 * 1024;
    private static final char[] NO_PASSWORD = new char[0];

    private Tls() {
    }

    /** The server's context: its certificate chain and key. */
    static SSLContext server(String certFile, String keyFile) throws Cli.FailureException {
        List<Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new Cli.FailureException("the key in " + Names.quote(keyFile) + " does not go with the certificate in "
                    + Names.quote(certFile) + ": " + e.getMessage(), e);
        }
    }

    /** A client's context: trusting the certificates in {@code caFile}, or the JDK's authorities if null. */
    static SSLContext client(String caFile) throws Cli.FailureException {
        try {
            if (caFile == null) {
                return SSLContext.getDefault();
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(caFile)) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new Cli.FailureException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static byte[] read(String file, String what) throws Cli.FailureException {
        Path path = Path.of(file);
        try {
            if (!Files.isRegularFile(path)) {
                throw new Cli.FailureException(what + " file " + Names.quote(file) + " does not exist");
            }
            if (Files.size(path) > MAX_PEM_BYTES) {
                throw new Cli.FailureException(what + " file " + Names.quote(file) + " is not a PEM file: too long");
            }
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new Cli.FailureException(what + " file " + Names.quote(file) + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static List<Certificate> certificates(String file) throws Cli.FailureException {
        byte[] pem = read(file, "certificate");
        try {
            Collection<? extends Certificate> found = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem));
            if (found.isEmpty()) {
                throw new GeneralSecurityException("no certificate in it");
            }
            return List.copyOf(found);
        } catch (GeneralSecurityException e) {
            throw new Cli.FailureException("certificate file " + Names.quote(file)
                    + " holds no PEM certificate (BEGIN CERTIFICATE): " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(String file) throws Cli.FailureException {
        String pem = new String(read(file, "key"), StandardCharsets.US_ASCII);
        if (pem.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
            throw new Cli.FailureException("key file " + Names.quote(file) + " is encrypted: give an unencrypted "
                    + "PKCS#8 key (openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem)");
        }
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new Cli.FailureException("key file " + Names.quote(file) + " holds no PKCS#8 key (BEGIN PRIVATE KEY)"
                    + (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
                            ? ": convert it with openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem" : ""));
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
        } catch (IllegalArgumentException e) {
            throw new Cli.FailureException("key file " + Names.quote(file) + " is not valid PEM: " + e.getMessage(), e);
        }
        for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: the next
            }
        }
        throw new Cli.FailureException("key file " + Names.quote(file)
                + " holds a key of no algorithm this JDK knows (EC, RSA, Ed25519, Ed448)");
    }
}
