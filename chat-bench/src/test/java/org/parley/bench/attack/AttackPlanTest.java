package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AttackPlanTest {
    @Test
    void noArgumentsRunEveryAttackForTenSecondsAgainstTheRepositorysJar() {
        AttackPlan plan = AttackPlan.parse(new String[0], "/repo");
        assertEquals(Attacks.all().size(), plan.attacks().size());
        assertEquals(10, plan.seconds());
        assertEquals(1.0, plan.scale());
        assertEquals("1g", plan.heap());
        assertEquals(Path.of("/repo", "chat-apps", "target", "parley.jar"), plan.jar());
        assertNull(plan.out());
    }

    @Test
    void onlyRunsTheNamedAttacksInTheSuitesOrder() {
        AttackPlan plan = AttackPlan.parse(new String[] {"--only", "sigterm-acked,zmq-far-time", "--seconds", "1",
                "--scale", "0.01", "--out", "x.md"}, "/repo");
        assertEquals(List.of("zmq-far-time", "sigterm-acked"), plan.attacks().stream().map(Attack::id).toList());
        assertEquals(Path.of("x.md"), plan.out());
    }

    @Test
    void everyAttackHasADistinctIdAndADescription() {
        List<String> ids = Attacks.ids();
        assertEquals(13, ids.size(), ids.toString());
        assertEquals(ids.size(), ids.stream().distinct().count(), ids.toString());
        Attacks.all().forEach(a -> assertTrue(!a.description().isBlank(), a.id()));
    }

    @Test
    void anUnknownAttackIsRefusedWithTheListOfKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttackPlan.parse(new String[] {"--only", "zmq-nope"}, "/repo"));
        assertTrue(e.getMessage().contains("unknown attack \"zmq-nope\"") && e.getMessage().contains("zmq-far-time"),
                e.getMessage());
    }

    @Test
    void outOfRangeValuesAreRefusedByName() {
        assertEquals("--seconds 0 is outside 1..120", assertThrows(IllegalArgumentException.class,
                () -> AttackPlan.parse(new String[] {"--seconds", "0"}, "/repo")).getMessage());
        assertEquals("--scale 2.0 is outside 0.001..1", assertThrows(IllegalArgumentException.class,
                () -> AttackPlan.parse(new String[] {"--scale", "2"}, "/repo")).getMessage());
        assertEquals("--seconds needs a value", assertThrows(IllegalArgumentException.class,
                () -> AttackPlan.parse(new String[] {"--seconds"}, "/repo")).getMessage());
    }
}
