package org.parley.zmq;

import com.neilalexander.jnacl.crypto.curve25519;
import org.parley.core.internal.Names;
import org.zeromq.ZMQ;

/**
 * CurveZMQ keys as Parley takes them: 32 bytes written as 40 characters of Z85 (ZeroMQ's
 * RFC 32), the form {@code parley keygen} writes and ZeroMQ's tools read.
 *
 * <p>Thread safety: stateless; safe from any thread.
 */
final class CurveKeys {
    static final int Z85_LENGTH = 40;

    private CurveKeys() {
    }

    /** Returns {@code key} if it is 40 characters of Z85; the error names {@code what}. */
    static String requireKey(String what, String key) {
        if (key == null || key.length() != Z85_LENGTH || decode(key) == null) {
            throw new IllegalArgumentException("the " + what + " must be 40 characters of Z85, not "
                    + (key == null ? "null" : Names.quote(key.length() > 60 ? key.substring(0, 60) + "..." : key)));
        }
        return key;
    }

    /** The 32 bytes of a Z85 key, or {@code null} if it is not one. */
    static byte[] decode(String key) {
        try {
            byte[] bytes = ZMQ.Curve.z85Decode(key);
            return bytes != null && bytes.length == 32 ? bytes : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The public key of a secret key, both in Z85. */
    static String publicKeyOf(String secretKey) {
        byte[] publicKey = new byte[32];
        curve25519.crypto_scalarmult_base(publicKey, decode(secretKey));
        return ZMQ.Curve.z85Encode(publicKey);
    }
}
