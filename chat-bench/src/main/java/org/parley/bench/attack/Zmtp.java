package org.parley.bench.attack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of ZMTP 3.0 (RFC 23) with the NULL mechanism: enough to open a connection to a
 * ZeroMQ socket by hand and then send what no ZeroMQ library would.
 *
 * <p>Thread safety: stateless.
 */
final class Zmtp {
    /** A greeting is always 64 bytes: signature 10, version 2, mechanism 20, as-server 1, filler 31. */
    static final int GREETING_BYTES = 64;
    static final int FLAG_MORE = 0x01;
    static final int FLAG_LARGE = 0x02;
    static final int FLAG_COMMAND = 0x04;

    private Zmtp() {
    }

    /** The greeting of a NULL-mechanism client: {@code FF 00*8 7F 03 00 "NULL" 00*16 00 00*31}. */
    static byte[] greeting() {
        byte[] g = new byte[GREETING_BYTES];
        g[0] = (byte) 0xFF;
        g[9] = 0x7F;
        g[10] = 3; // version 3.0
        g[11] = 0;
        byte[] mechanism = "NULL".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(mechanism, 0, g, 12, mechanism.length);
        g[32] = 0; // as-server: no
        return g;
    }

    /** The READY command with one property, {@code Socket-Type}, as a short command frame. */
    static byte[] ready(String socketType) {
        byte[] name = "READY".getBytes(StandardCharsets.US_ASCII);
        byte[] key = "Socket-Type".getBytes(StandardCharsets.US_ASCII);
        byte[] value = socketType.getBytes(StandardCharsets.US_ASCII);
        int body = 1 + name.length + 1 + key.length + 4 + value.length;
        if (body > 255) {
            throw new IllegalArgumentException("socket type \"" + socketType + "\" makes a READY of " + body + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(2 + body);
        b.put((byte) FLAG_COMMAND).put((byte) body);
        b.put((byte) name.length).put(name);
        b.put((byte) key.length).put(key);
        b.putInt(value.length).put(value);
        return b.array();
    }

    /** A frame header: flags and a one-byte size, or LARGE and an eight-byte size past 255. */
    static byte[] frameHeader(boolean more, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size < 0: " + size);
        }
        int flags = more ? FLAG_MORE : 0;
        if (size <= 255) {
            return new byte[] {(byte) flags, (byte) size};
        }
        return largeFrameHeader(flags | FLAG_LARGE, size);
    }

    /** A LARGE frame header with any flags and any 64-bit size, negative ones included. */
    static byte[] largeFrameHeader(int flags, long size) {
        return ByteBuffer.allocate(9).put((byte) flags).putLong(size).array();
    }

    /** A whole frame: header then body. */
    static byte[] frame(boolean more, byte[] body) {
        byte[] header = frameHeader(more, body.length);
        byte[] f = new byte[header.length + body.length];
        System.arraycopy(header, 0, f, 0, header.length);
        System.arraycopy(body, 0, f, header.length, body.length);
        return f;
    }

    /**
     * Connects to a ZeroMQ socket as {@code socketType}: sends the greeting and READY, then reads
     * the peer's greeting and READY, all within {@code timeoutMillis}.
     *
     * @throws IOException if the connection fails, closes, or the peer's handshake does not come in time
     */
    static RawConn handshake(InetSocketAddress address, String socketType, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        RawConn conn = RawConn.connect(address, timeoutMillis);
        try {
            ByteBuffer out = ByteBuffer.allocate(GREETING_BYTES + 64);
            out.put(greeting()).put(ready(socketType)).flip();
            if (!conn.write(out, deadline)) {
                throw new IOException("handshake with " + address + " not written within " + timeoutMillis + " ms");
            }
            ByteBuffer greeting = ByteBuffer.allocate(GREETING_BYTES);
            readFully(conn, greeting, deadline, address, "greeting");
            if ((greeting.get(0) & 0xFF) != 0xFF || greeting.get(9) != 0x7F || greeting.get(10) != 3) {
                throw new IOException(address + " sent no ZMTP 3 greeting");
            }
            ByteBuffer flags = ByteBuffer.allocate(1);
            readFully(conn, flags, deadline, address, "command");
            int f = flags.get(0) & 0xFF;
            if ((f & FLAG_COMMAND) == 0) {
                throw new IOException(address + " sent a message frame where READY was due");
            }
            ByteBuffer size = ByteBuffer.allocate((f & FLAG_LARGE) != 0 ? 8 : 1);
            readFully(conn, size, deadline, address, "command size");
            long n = size.capacity() == 8 ? size.getLong(0) : size.get(0) & 0xFF;
            if (n < 6 || n > 65_536) {
                throw new IOException(address + " sent a command of " + n + " bytes");
            }
            ByteBuffer body = ByteBuffer.allocate((int) n);
            readFully(conn, body, deadline, address, "command body");
            String name = new String(body.array(), 1, Math.min(body.get(0), body.capacity() - 1), StandardCharsets.US_ASCII);
            if (!name.equals("READY")) {
                throw new IOException(address + " answered the handshake with " + name);
            }
            return conn;
        } catch (IOException | RuntimeException e) {
            conn.close();
            throw e;
        }
    }

    private static void readFully(RawConn conn, ByteBuffer b, long deadline, InetSocketAddress address, String what)
            throws IOException {
        if (!conn.readFully(b, deadline)) {
            throw new IOException(address + ": no " + what + " in time, or the connection closed");
        }
    }
}
