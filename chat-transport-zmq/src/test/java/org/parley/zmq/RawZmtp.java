package org.parley.zmq;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;

/**
 * A peer that speaks ZMTP 3.0 (the NULL mechanism) over a plain {@link Socket}, so a test can
 * send what no ZeroMQ library would: frame headers that declare sizes the sender never sends,
 * multipart messages that never end, subscriptions of any length.
 *
 * <p>Frames on the wire (ZMTP 3.0, rfc.zeromq.org/spec/23): one flags byte (bit 0 MORE, bit 1
 * LONG, bit 2 COMMAND), then the size in one byte, or in eight big-endian bytes when LONG is
 * set, then the body.
 *
 * <p>Thread safety: one thread at a time.
 */
final class RawZmtp implements AutoCloseable {
    static final int MORE = 0x01;
    static final int LONG = 0x02;
    static final int COMMAND = 0x04;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawZmtp(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects to a ZeroMQ socket on the loopback port and completes the handshake as {@code socketType}. */
    static RawZmtp connect(int port, String socketType) throws IOException {
        RawZmtp peer = new RawZmtp(new Socket(InetAddress.getLoopbackAddress(), port));
        peer.handshake(socketType);
        return peer;
    }

    /** Accepts one ZeroMQ peer (a client connecting) and completes the handshake as {@code socketType}. */
    static RawZmtp accept(ServerSocket listener, String socketType) throws IOException {
        listener.setSoTimeout(5000);
        RawZmtp peer = new RawZmtp(listener.accept());
        peer.handshake(socketType);
        return peer;
    }

    /** Connects without any handshake: the caller writes what it likes. */
    static RawZmtp connectRaw(int port) throws IOException {
        return new RawZmtp(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    /** The 64-byte ZMTP 3.0 greeting of a NULL-mechanism peer that is not the server. */
    static byte[] greeting() {
        ByteBuffer g = ByteBuffer.allocate(64);
        g.put(new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f}); // signature
        g.put((byte) 3).put((byte) 0); // version 3.0
        g.put(Arrays.copyOf("NULL".getBytes(US_ASCII), 20)); // mechanism, zero-padded
        g.put((byte) 0); // as-server
        // 31 bytes of filler: already zero
        return g.array();
    }

    private void handshake(String socketType) throws IOException {
        out.write(greeting());
        out.flush();
        byte[] theirs = new byte[64];
        in.readFully(theirs);
        if ((theirs[0] & 0xff) != 0xff || theirs[10] != 3) {
            throw new IOException("not a ZMTP 3 greeting: " + Arrays.toString(Arrays.copyOf(theirs, 12)));
        }
        ByteArrayOutputStream ready = new ByteArrayOutputStream();
        ready.write(5);
        ready.writeBytes("READY".getBytes(US_ASCII));
        byte[] name = "Socket-Type".getBytes(US_ASCII);
        byte[] value = socketType.getBytes(US_ASCII);
        ready.write(name.length);
        ready.writeBytes(name);
        ready.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
        ready.writeBytes(value);
        sendFrame(COMMAND, ready.toByteArray());
        Frame theirReady = readFrame();
        if ((theirReady.flags() & COMMAND) == 0) {
            throw new IOException("expected the peer's READY command, got flags " + theirReady.flags());
        }
    }

    /** One frame: {@code flags} (MORE, COMMAND; LONG is chosen by size) and the body. */
    void sendFrame(int flags, byte[] body) throws IOException {
        header(flags, body.length);
        out.write(body);
        out.flush();
    }

    /** A frame of the message under way (MORE) or its last one. */
    void send(byte[] body, boolean more) throws IOException {
        sendFrame(more ? MORE : 0, body);
    }

    /** {@code count} copies of one frame, written in batches: a flood. */
    void sendMany(int count, int flags, byte[] body) throws IOException {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            if (body.length > 255) {
                batch.write(flags | LONG);
                batch.writeBytes(ByteBuffer.allocate(8).putLong(body.length).array());
            } else {
                batch.write(flags);
                batch.write(body.length);
            }
            batch.writeBytes(body);
            if (batch.size() >= 1 << 16 || i == count - 1) {
                out.write(batch.toByteArray());
                batch.reset();
            }
        }
        out.flush();
    }

    /** Only a frame's header, declaring {@code size} bytes (any 64 bits) in the long form. */
    void sendLongHeader(int flags, long size) throws IOException {
        out.write(flags | LONG);
        out.write(ByteBuffer.allocate(8).putLong(size).array());
        out.flush();
    }

    /** Raw bytes, as they are. */
    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private void header(int flags, long size) throws IOException {
        if (size > 255) {
            out.write(flags | LONG);
            out.write(ByteBuffer.allocate(8).putLong(size).array());
        } else {
            out.write(flags);
            out.write((int) size);
        }
    }

    /** A frame received. */
    record Frame(int flags, byte[] body) {
        boolean more() {
            return (flags & MORE) != 0;
        }
    }

    /** The next frame, waiting up to the socket's timeout (5 s). */
    Frame readFrame() throws IOException {
        return readFrame(in.readUnsignedByte());
    }

    /**
     * The next frame if one starts within {@code timeout}, else null (nothing read); the rest
     * of a frame that has started is waited for as {@link #readFrame()} does.
     */
    Frame pollFrame(Duration timeout) throws IOException {
        int flags;
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        try {
            flags = in.readUnsignedByte();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(5000);
        }
        return readFrame(flags);
    }

    private Frame readFrame(int flags) throws IOException {
        long size = (flags & LONG) != 0 ? in.readLong() : in.readUnsignedByte();
        if (size < 0 || size > 1 << 24) {
            throw new IOException("frame of " + size + " bytes");
        }
        byte[] body = new byte[(int) size];
        in.readFully(body);
        return new Frame(flags, body);
    }

    /**
     * Whether the other side closed the connection within {@code timeout}: reads (and drops)
     * whatever else it sends until the end of the stream or the time runs out.
     */
    boolean closedWithin(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] sink = new byte[4096];
        while (System.nanoTime() - deadline < 0) {
            socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis()));
            try {
                if (in.read(sink) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (EOFException | SocketException e) {
                return true; // reset by the peer
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
