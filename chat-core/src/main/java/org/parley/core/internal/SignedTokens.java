package org.parley.core.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.parley.core.ProtocolException;

/**
 * Short-lived signed tokens, as a web application hands its users for a chat page (Centrifugo's
 * connection tokens are the model): {@code <user in base64url>.<expiry, seconds since
 * 1970>.<HMAC-SHA256 of "user\nexpiry" under the server's secret, base64url>}. Whoever holds
 * the secret (the server, the application that signs users in) can make one; nobody else can,
 * and none is good after its expiry.
 *
 * <p>Thread safety: immutable; safe from any thread.
 */
public final class SignedTokens {
    /** The least secret taken: 32 bytes, HMAC-SHA256's own size. */
    public static final int MIN_SECRET_BYTES = 32;
    private final byte[] secret;

    public SignedTokens(byte[] secret) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("a token secret needs at least " + MIN_SECRET_BYTES + " bytes, not "
                    + secret.length);
        }
        this.secret = secret.clone();
    }

    /** A token for {@code user} that is good until {@code expires}. */
    public String sign(String user, Instant expires) {
        long exp = expires.getEpochSecond();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(user.getBytes(StandardCharsets.UTF_8))
                + "." + exp + "." + mac(user, exp);
    }

    /**
     * The user of a token this secret signed that is good at {@code now}.
     *
     * @throws ProtocolException that says what is wrong: not a token, not signed with this
     *                           secret, or expired (and when)
     */
    public String verify(String token, Instant now) throws ProtocolException {
        String[] parts = token == null ? new String[0] : token.split("\\.", -1);
        if (parts.length != 3) {
            throw new ProtocolException("the token is not one this server signs (user.expiry.signature)");
        }
        String user;
        long exp;
        try {
            user = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
            exp = Long.parseLong(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("the token is not one this server signs (user.expiry.signature)");
        }
        byte[] given = parts[2].getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(given, mac(user, exp).getBytes(StandardCharsets.US_ASCII))) {
            throw new ProtocolException("the token's signature is not this server's");
        }
        if (now.getEpochSecond() >= exp) {
            throw new ProtocolException("the token expired at " + Instant.ofEpochSecond(exp));
        }
        return Names.requireUser(user);
    }

    private String mac(String user, long exp) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] tag = mac.doFinal((user + "\n" + exp).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(tag);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256, which every JDK has, is missing", e);
        }
    }
}
