package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

@Timeout(30)
class ZmtpTest {
    @Test
    void greetingIsSignatureVersionNullMechanismNotServerAndFiller() {
        byte[] g = Zmtp.greeting();
        assertEquals(64, g.length);
        assertEquals("ff00000000000000007f0300", HexFormat.of().formatHex(g, 0, 12));
        assertArrayEquals(Arrays.copyOf("NULL".getBytes(StandardCharsets.US_ASCII), 20), Arrays.copyOfRange(g, 12, 32));
        assertArrayEquals(new byte[32], Arrays.copyOfRange(g, 32, 64), "as-server 0, then 31 zero bytes");
    }

    @Test
    void readyIsAShortCommandWithTheSocketTypeProperty() {
        byte[] r = Zmtp.ready("SUB");
        String expected = "04" + "19" + "05" + hex("READY") + "0b" + hex("Socket-Type") + "00000003" + hex("SUB");
        assertEquals(expected, HexFormat.of().formatHex(r));
        assertEquals(2 + 0x19, r.length);
    }

    @Test
    void framesUpTo255BytesHaveAOneByteSizeAndLongerOnesAreLarge() {
        assertEquals("0100", HexFormat.of().formatHex(Zmtp.frameHeader(true, 0)));
        assertEquals("00ff", HexFormat.of().formatHex(Zmtp.frameHeader(false, 255)));
        assertEquals("030000000000100000", HexFormat.of().formatHex(Zmtp.frameHeader(true, 1 << 20)));
        assertEquals("028000000000000000", HexFormat.of().formatHex(Zmtp.largeFrameHeader(Zmtp.FLAG_LARGE, 1L << 63)));
        assertEquals("02800000007fffff00",
                HexFormat.of().formatHex(Zmtp.largeFrameHeader(Zmtp.FLAG_LARGE, 0x8000_0000_7FFF_FF00L)));
    }

    @Test
    void aJeromqRouterTakesARequestFromARawDealer() throws IOException {
        try (ZContext context = new ZContext(1); ZMQ.Socket router = context.createSocket(SocketType.ROUTER)) {
            router.setLinger(0);
            int port = router.bindToRandomPort("tcp://127.0.0.1");
            try (RawConn raw = Zmtp.handshake(new InetSocketAddress("127.0.0.1", port), "DEALER", 5_000)) {
                byte[] body = "{\"user\":\"raw\",\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_8);
                ByteBuffer out = ByteBuffer.allocate(512).put(Zmtp.frame(true, new byte[0])).put(Zmtp.frame(false, body)).flip();
                raw.write(out, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
                router.setReceiveTimeOut(5_000);
                byte[] identity = router.recv(0);
                assertEquals(true, identity != null && router.hasReceiveMore(), "identity frame");
                assertEquals(0, router.recv(0).length, "the empty delimiter");
                assertArrayEquals(body, router.recv(0));
            }
        }
    }

    private static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
    }
}
