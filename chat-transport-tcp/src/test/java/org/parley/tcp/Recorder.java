package org.parley.tcp;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link TcpListener} for tests: records every call as a line in a queue. */
final class Recorder implements TcpListener {
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @Override
    public void onMessage(TcpMessage message) {
        events.add(message.displayLine());
    }

    @Override
    public void onError(TcpAddress peer, String error) {
        events.add("error " + error);
    }

    @Override
    public void onPeerJoined(TcpAddress peer) {
        events.add("joined");
    }

    @Override
    public void onPeerLeft(TcpAddress peer, IOException cause) {
        events.add(cause == null ? "left" : "left abnormally");
    }

    @Override
    public void onClosed(IOException cause) {
        events.add(cause == null ? "closed" : "closed abnormally");
    }

    /** The next event within five seconds. */
    String next() throws InterruptedException {
        String e = events.poll(5, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("nothing within 5 s");
        }
        return e;
    }

    /** Skips events until one starting with {@code prefix}; returns it. */
    String until(String prefix) throws InterruptedException {
        while (true) {
            String e = next();
            if (e.startsWith(prefix)) {
                return e;
            }
        }
    }
}
