package org.parley.apps;

import java.util.List;

/** The TCP chat's commands: {@code chat} and {@code topicserver}. */
final class TcpCommands {
    private TcpCommands() {
    }

    static List<Command> all() {
        return List.of();
    }
}
