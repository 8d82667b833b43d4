package org.parley.tcp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.Function;
import org.parley.core.internal.ChatLimits;
import org.parley.core.internal.Names;

/**
 * Direct mode: two (or more) peers chat without a server; what one sends goes to every peer
 * connected to it, with the topic {@value TcpMessage#DIRECT_TOPIC}.
 *
 * <pre>{@code
 * DirectPeer host = DirectPeer.listen(7000, m -> System.out.println(m.displayLine()));
 * DirectPeer guest = DirectPeer.connect("127.0.0.1", 7000, m -> System.out.println(m.displayLine()));
 * guest.send("hi");
 * }</pre>
 *
 * <p>A listening peer is a server too: it serves at most {@value #MAX_PEERS} peers at once,
 * and at most {@value #MAX_PEERS_PER_ADDRESS} from one IP address; one more gets
 * {@code {"error":"the peer is full: 256 connections"}} or
 * {@code {"error":"connection 33 from 10.0.0.7 exceeds the limit of 32 per address"}} and is
 * closed, and its listener hears nothing of it. A connecting peer ends when the other side
 * leaves ({@link TcpListener#onClosed} with {@code null} if it left cleanly).
 *
 * <p>Thread safety: every method may be called from any thread. A listening peer runs its own
 * selector thread, {@code parley-tcp-selector-<port>}; a connecting one is served by the one
 * the process's clients share, {@code parley-tcp-clients-<n>}. Each calls its listener on a
 * thread of its own, {@code parley-tcp-delivery-<port>}.
 */
public final class DirectPeer extends PeerHandle {
    /**
     * Peers a listening peer serves at once. Direct mode is people chatting, each line going to
     * every peer: a few hundred is far past that use, and bounds what a flood of connections costs.
     */
    public static final int MAX_PEERS = 256;
    /** Peers a listening peer serves at once from one IP address (a host running several {@code chat -direct}). */
    public static final int MAX_PEERS_PER_ADDRESS = 32;

    private final int port;
    private final WireLink connection; // the one connection of a connecting peer, else null
    private volatile String user;

    private DirectPeer(PeerCore core, int port, WireLink connection) {
        super(core);
        this.port = port;
        this.connection = connection;
    }

    /** Listens on every interface; {@code port} 0 picks a free one ({@link #port()}). */
    public static DirectPeer listen(int port, TcpListener listener) throws IOException {
        return listen(null, port, listener);
    }

    /**
     * Listens on {@code address} ({@code null}: every interface).
     *
     * @throws java.net.BindException if the port is in use ({@code address 0.0.0.0:7777 is already in use})
     */
    public static DirectPeer listen(InetAddress address, int port, TcpListener listener) throws IOException {
        return listen(address, port, listener, MAX_PEERS, MAX_PEERS_PER_ADDRESS);
    }

    /** As {@link #listen(InetAddress, int, TcpListener)}, with other caps (for tests). */
    static DirectPeer listen(InetAddress address, int port, TcpListener listener, int maxPeers, int maxPeersPerAddress)
            throws IOException {
        ChatLimits.checkPort("port", port, 0);
        ConnectionCaps caps = new ConnectionCaps("peer", maxPeers, maxPeersPerAddress);
        PeerCore core = new PeerCore(Integer.toString(port), listener, caps);
        try {
            InetSocketAddress bound = core.loop.bind(
                    address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port), core::link);
            return new DirectPeer(core, bound.getPort(), null);
        } catch (IOException | RuntimeException e) {
            core.close();
            throw e;
        }
    }

    /**
     * Connects to a listening peer, waiting up to {@link TopicClient#CONNECT_TIMEOUT}.
     *
     * @throws IOException if it cannot be reached
     */
    public static DirectPeer connect(String host, int port, TcpListener listener) throws IOException {
        PeerCore core = new PeerCore(Integer.toString(port), listener, null);
        try {
            WireLink c = core.loop.connect(new InetSocketAddress(host, port), TopicClient.CONNECT_TIMEOUT, core::link);
            return new DirectPeer(core, port, c);
        } catch (IOException | RuntimeException e) {
            core.close();
            throw e;
        }
    }

    /** The port listened on, or the other side's port for a connecting peer. */
    public int port() {
        return port;
    }

    /**
     * Names this peer: the messages it sends from now on carry {@code message.user}, so that a
     * listening peer with several peers can tell them apart. {@code null} sends none (the default).
     *
     * @return this peer
     * @throws IllegalArgumentException if the name breaks the user-name rule or is {@code ALL}
     */
    public DirectPeer user(String name) {
        if (name != null) {
            PeerCore.check(() -> Names.requireUser(name));
        }
        this.user = name;
        return this;
    }

    /** Peers connected now. */
    public int peerCount() {
        return core.peerCount();
    }

    /**
     * Sends {@code text} to every connected peer.
     *
     * @return false if no peer is connected, this peer is closed or its queue is full
     * @throws IllegalArgumentException if the text breaks a rule (the message says which)
     */
    public boolean send(String text) {
        PeerCore.checkText(text);
        String name = user;
        Function<WireLink, ByteBuffer> encoder =
                c -> WireCodec.encodeChat(c.local(), c.remote(), TcpMessage.DIRECT_TOPIC, text, name);
        return connection != null ? core.sendTo(connection, encoder) : core.sendToAll(encoder);
    }

}
