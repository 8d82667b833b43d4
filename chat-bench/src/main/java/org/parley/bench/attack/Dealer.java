package org.parley.bench.attack;

import java.nio.charset.StandardCharsets;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A JeroMQ DEALER on the post port that frames requests as the protocol says (an empty
 * delimiter, then one JSON frame) and reads the replies back.
 *
 * <p>Thread safety: one thread uses it, as for any ZeroMQ socket.
 */
final class Dealer implements AutoCloseable {
    private final ZMQ.Socket socket;

    Dealer(ZContext context, String endpoint) {
        socket = context.createSocket(SocketType.DEALER);
        socket.setLinger(0);
        socket.setSndHWM(100_000);
        socket.setRcvHWM(100_000);
        socket.connect(endpoint);
    }

    ZMQ.Socket socket() {
        return socket;
    }

    /** Queues one request without waiting; false if ZeroMQ would have to block. */
    boolean send(byte[] body) {
        if (!socket.send(new byte[0], ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
            return false;
        }
        return socket.send(body, ZMQ.DONTWAIT);
    }

    /** One reply, waiting at most {@code timeoutMillis}; null if none came. */
    String receive(int timeoutMillis) {
        socket.setReceiveTimeOut(timeoutMillis);
        return receiveNow(socket.recv(0));
    }

    /** One reply if one is waiting, else null. */
    String receiveNow() {
        return receiveNow(socket.recv(ZMQ.DONTWAIT));
    }

    private String receiveNow(byte[] first) {
        if (first == null) {
            return null;
        }
        byte[] body = first;
        while (socket.hasReceiveMore()) {
            body = socket.recv(0); // the delimiter came first; the body is the last frame
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    /** A post request as JSON bytes; {@code ref} may be null. */
    static byte[] post(String user, String channel, String text, String ref) {
        return ("{\"type\":\"post\",\"user\":" + Json.str(user) + ",\"channel\":" + Json.str(channel)
                + ",\"text\":" + Json.str(text) + (ref == null ? "" : ",\"ref\":" + Json.str(ref)) + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        socket.close();
    }
}
