/**
 * {@code bin/attack}: a repeatable suite of attacks on Parley's servers, each run against the
 * real server in its own process, reporting what a well-behaved client still gets and how
 * much memory the server took.
 *
 * <p>Everything here speaks the wire protocol only (raw bytes over sockets, JeroMQ sockets
 * for the ZeroMQ side) and starts the servers through {@code parley.jar}'s commands: it
 * imports nothing of Parley's own code, so it measures whatever the servers are today.
 */
package org.parley.bench.attack;
