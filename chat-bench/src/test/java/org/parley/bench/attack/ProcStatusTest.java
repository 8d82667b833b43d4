package org.parley.bench.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProcStatusTest {
    private static final String STATUS = """
            Name:\tjava
            VmPeak:\t 5871236 kB
            VmSize:\t 5806724 kB
            VmHWM:\t  412344 kB
            VmRSS:\t  398112 kB
            Threads:\t31
            """;

    @Test
    void peakRssIsVmHwmInKib() {
        assertEquals(OptionalLong.of(412_344), ProcStatus.vmHwmKib(STATUS));
    }

    @Test
    void aStatusWithoutVmHwmGivesNoFigure() {
        assertEquals(OptionalLong.empty(), ProcStatus.vmHwmKib("Name:\tkthreadd\nState:\tS (sleeping)\n"));
        assertEquals(OptionalLong.empty(), ProcStatus.vmHwmKib("VmHWM:\t lots kB\n"));
    }

    @Test
    void openFilesLimitIsTheSoftOne() {
        String limits = """
                Limit                     Soft Limit           Hard Limit           Units
                Max processes             96367                96367                processes
                Max open files            20000                524288               files
                """;
        assertEquals(OptionalLong.of(20_000), ProcStatus.openFilesLimit(limits));
        assertEquals(OptionalLong.empty(), ProcStatus.openFilesLimit("Max open files            unlimited            unlimited            files\n"));
    }

    @Test
    void thisJvmHasAPeakRssAndIsJava() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "Linux only");
        assertTrue(ProcStatus.peakRssKib(ProcessHandle.current().pid()).orElse(0) > 0);
        assertEquals(ProcessHandle.current().pid(), ProcStatus.javaProcess(ProcessHandle.current()).pid());
    }
}
