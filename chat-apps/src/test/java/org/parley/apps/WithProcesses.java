package org.parley.apps;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Launcher tests' commands as real processes, each stopped after its test, whatever happened. */
abstract class WithProcesses {
    private final List<Launched> started = new ArrayList<>();

    @AfterEach
    void killEverything() {
        started.forEach(Launched::close);
    }

    /** Starts {@code bin/<command> args...}, to be stopped after the test. */
    Launched start(String command, String... args) throws IOException {
        Launched l = Launched.start(command, args);
        started.add(l);
        return l;
    }
}
