package org.parley.core.testing;

import java.util.Map;

/**
 * Every live thread's stack, for the message of a test that found a thread stuck: a hang that
 * happens once in many runs says where it was.
 *
 * <p>Thread safety: safe from any thread.
 */
public final class ThreadDump {
    private ThreadDump() {
    }

    /** The stacks of all live threads, each with its name and state. */
    public static String now() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            b.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement frame : e.getValue()) {
                b.append("    at ").append(frame).append('\n');
            }
        }
        return b.toString();
    }
}
