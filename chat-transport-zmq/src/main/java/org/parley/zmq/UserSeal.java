package org.parley.zmq;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * User-Ids that only this server can have made: {@code <user>/<HMAC-SHA256 of the user under a
 * key drawn when the server starts>}. The ZAP handler gives a connection a sealed User-Id, and
 * the server reads a connection's user only from a seal it can open. A client cannot make one:
 * JeroMQ 0.6.0 lets the properties a client sends in its handshake replace the ZAP handler's,
 * User-Id included, so an unsealed name there would let any user name another.
 *
 * <p>Thread safety: not thread-safe; the server's thread alone uses it.
 */
final class UserSeal {
    private final Mac mac;

    UserSeal() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256, which every JDK has, is missing", e);
        }
    }

    /** {@code user}, sealed. */
    String close(String user) {
        return user + "/" + tag(user);
    }

    /** The user of a seal this server made, or null for anything else (null included). */
    String open(String sealed) {
        int slash = sealed == null ? -1 : sealed.lastIndexOf('/');
        if (slash <= 0) {
            return null;
        }
        String user = sealed.substring(0, slash);
        byte[] given = sealed.substring(slash + 1).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(given, tag(user).getBytes(StandardCharsets.US_ASCII)) ? user : null;
    }

    private String tag(String user) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
    }
}
