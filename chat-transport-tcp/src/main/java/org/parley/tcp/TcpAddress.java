package org.parley.tcp;

import java.net.InetSocketAddress;
import java.util.Objects;
import org.parley.core.internal.ChatLimits;

/**
 * An endpoint as it appears in a message's {@code source} or {@code destination}: an IP
 * address (or host) and a port.
 *
 * <p>Thread safety: immutable.
 *
 * @param ip   the address as text, for example {@code 192.168.1.1}
 * @param port the port, 0..65535
 */
public record TcpAddress(String ip, int port) {
    public TcpAddress {
        Objects.requireNonNull(ip, "ip");
        ChatLimits.checkPort("port", port, 0);
    }

    /** The address of a socket: its IP address without scope or host name, and its port. */
    static TcpAddress of(InetSocketAddress address) {
        String ip = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        int scope = ip.indexOf('%');
        return new TcpAddress(scope < 0 ? ip : ip.substring(0, scope), address.getPort());
    }

    /** {@code ip:port}, with brackets around an IPv6 address. */
    @Override
    public String toString() {
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }
}
