package org.parley.core.testing;

import org.parley.core.ChatMessage;
import org.parley.core.HubListener;
import org.parley.core.MessageListener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A listener for tests: records every message in a queue that a test waits on with a
 * timeout. Shared with the transport modules through chat-core's test jar.
 */
public final class RecordingListener implements MessageListener, HubListener {
    private final BlockingQueue<ChatMessage> messages = new LinkedBlockingQueue<>();
    private final BlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();

    @Override
    public void onMessage(ChatMessage message) {
        messages.add(message);
    }

    @Override
    public void onMessage(ChatMessage message, Object origin) {
        messages.add(message);
    }

    @Override
    public void onFailure(Throwable error) {
        failures.add(error);
    }

    /** The next message, failing the test if none comes within {@code timeout}. */
    public ChatMessage next(Duration timeout) throws InterruptedException {
        ChatMessage m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (m == null) {
            throw new AssertionError("no message within " + timeout);
        }
        return m;
    }

    /** The next message within five seconds. */
    public ChatMessage next() throws InterruptedException {
        return next(Duration.ofSeconds(5));
    }

    /** The next {@code n} messages, each within five seconds. */
    public List<ChatMessage> next(int n) throws InterruptedException {
        List<ChatMessage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** The next message if one arrives within {@code timeout}, else {@code null}. */
    public ChatMessage poll(Duration timeout) throws InterruptedException {
        return messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next failure within five seconds. */
    public Throwable nextFailure() throws InterruptedException {
        Throwable t = failures.poll(5, TimeUnit.SECONDS);
        if (t == null) {
            throw new AssertionError("no failure within 5 s");
        }
        return t;
    }

    public int queued() {
        return messages.size();
    }
}
