package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AttackTableTest {
    @Test
    void aRowHasEveryColumnAndPeakRssInMib() {
        AttackResult r = new AttackResult("zmq-far-time", "200 posts", "20/20", "60/60", "yes, answers",
                "exit 0 after 31 ms", 92_672, List.of("sent 200", "history ok"));
        assertEquals("| zmq-far-time | 200 posts | 20/20 | 60/60 | yes, answers | exit 0 after 31 ms | 91 | sent 200; history ok |",
                AttackTable.row(r));
        String table = AttackTable.markdown(List.of(r));
        assertTrue(table.startsWith(AttackTable.HEADER + "\n|---|"), table);
    }

    @Test
    void barsAndNewlinesInNotesCannotBreakTheTable() {
        assertEquals("a \\| b c", AttackTable.cell("a | b\nc"));
    }

    @Test
    void anUnknownPeakIsAQuestionMark() {
        assertEquals("?", new AttackResult("x", "", "", "", "", "", -1, List.of()).peakRssMib());
    }

    @Test
    void deliveryShowsThePercentageOnlyWhenSomeWereLost() {
        assertEquals("20/20", new Delivery(20, 20).text());
        assertEquals("15/20 (75%)", new Delivery(20, 15).text());
        assertEquals("0/0", new Delivery(0, 0).text());
        assertThrows(IllegalArgumentException.class, () -> new Delivery(1, 2));
    }

    @Test
    void quantilesAreNearestRank() {
        double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, DeliveryLog.quantile(sorted, 0.5));
        assertEquals(10, DeliveryLog.quantile(sorted, 0.99));
        assertTrue(Double.isNaN(DeliveryLog.quantile(new double[0], 0.5)));
    }
}
