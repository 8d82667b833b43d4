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
        return List.of(new ZmqFarTime(), new ZmqLongSub(), new ZmqPubHugeFrame(), new ZmqRouterNegativeLength(),
                new ZmqEndlessMultipart(), new TcpUnfinishedObjects(), new ZmqBigTextsManyChannels(),
                new ZmqChannelExhaustion(), new ZmqHistoryAll(), new TcpNeverRegister(), new LogFlood(), new BadUtf8(),
                new SigtermAcked());
    }

    static List<String> ids() {
        return all().stream().map(Attack::id).toList();
    }
}
