package org.parley.bench;

import java.util.function.IntFunction;

/**
 * One system the benchmark knows: an id for {@code --only}, a display name, and either a
 * scenario factory (by K) or the reason it is not measured.
 *
 * @param id          what {@code --only} takes: raw-jeromq, parley-zmq, raw-nio, parley-tcp, redis, nats,
 *                    raw-jeromq-relay, parley-zmq-curve, parley-tcp-tls, parley-zmq-sqlite, parley-tcp-sqlite
 * @param name        display name
 * @param description one line for the report
 * @param unavailable why it is not measured, or null when it is
 * @param version     the external server's version line, or ""
 * @param factory     scenario for a given K, or null when unavailable
 * @param onRequest   measured only when {@code --only} names it: a ceiling that explains a ratio
 *                    rather than a baseline the issue asks for, kept out of the full run's ten minutes
 */
record BenchSystem(String id, String name, String description, String unavailable, String version,
                   IntFunction<Scenario> factory, boolean onRequest) {
    boolean measurable() {
        return unavailable == null;
    }
}
