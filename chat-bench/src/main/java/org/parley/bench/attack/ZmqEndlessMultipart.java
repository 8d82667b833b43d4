package org.parley.bench.attack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Attack 5: one multipart message on the ROUTER that never ends: after the handshake as DEALER
 * and an empty delimiter, 1 MiB frames each marked MORE, for the whole attack. A ZeroMQ library
 * would hold the parts until the last one; a raw connection sends them. When the server drops
 * the connection, another one starts.
 */
final class ZmqEndlessMultipart implements Attack {
    static final int FRAME = 1 << 20;

    @Override
    public String id() {
        return "zmq-endless-multipart";
    }

    @Override
    public ServerProcess.Kind server() {
        return ServerProcess.Kind.ZMQ;
    }

    @Override
    public String description() {
        return "raw ZMTP to the post port: 1 MiB frames, each marked MORE, for the whole attack";
    }

    @Override
    public void run(AttackContext ctx) {
        ByteBuffer frame = ByteBuffer.allocate(9 + FRAME);
        frame.put(Zmtp.largeFrameHeader(Zmtp.FLAG_MORE | Zmtp.FLAG_LARGE, FRAME));
        byte[] body = new byte[FRAME];
        Arrays.fill(body, (byte) 'm');
        frame.put(body).flip();
        long frames = 0;
        int connections = 0;
        int dropped = 0;
        String failure = null;
        while (ctx.running()) {
            RawConn conn;
            try {
                conn = ctx.own(Zmtp.handshake(ctx.post(), "DEALER", 2_000));
                connections++;
                conn.write(ByteBuffer.wrap(Zmtp.frameHeader(true, 0)), ctx.endNanos()); // the empty delimiter
            } catch (IOException e) {
                failure = failure == null ? e.getMessage() : failure;
                break;
            }
            try {
                while (ctx.running()) {
                    ByteBuffer f = frame.duplicate();
                    if (!conn.write(f, ctx.endNanos())) {
                        break; // time is up mid-frame
                    }
                    frames++;
                }
            } catch (IOException e) {
                dropped++;
            } finally {
                conn.close();
            }
        }
        ctx.scale(frames + " MiB in 1 MiB frames");
        ctx.note("connections " + connections + ", dropped by the server " + dropped
                + (failure == null ? "" : ", then: " + Json.excerpt(failure, 80)));
    }
}
