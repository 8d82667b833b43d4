package org.parley.core;

import java.io.IOException;

/**
 * A peer or a caller broke a rule of the Parley protocol: a bad name, text or frame.
 *
 * <p>The message names the value and the rule, for example
 * {@code text of 17000 bytes exceeds the limit of 16384}, so it can be sent back to the
 * peer as it is.
 *
 * <p>Thread safety: immutable.
 */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
