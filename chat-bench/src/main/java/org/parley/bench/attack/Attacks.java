package org.parley.bench.attack;

import java.util.List;

/**
 * The suite, in the order it runs.
 *
 * <p>Thread safety: stateless; each call makes new attacks.
 */
final class Attacks {
    private Attacks() {
    }

    static List<Attack> all() {
        return List.of(new ZmqFarTime());
    }

    static List<String> ids() {
        return all().stream().map(Attack::id).toList();
    }
}
